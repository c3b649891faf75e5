"""Python's cyclic garbage collector, run on the UI thread only.

Automatic collection runs in whichever thread happens to allocate when a threshold is crossed. When that is a
worker thread (training builds thousands of tensors) and the garbage includes the Python wrapper of a Qt object
(a closed dialog, a replaced widget caught in a reference cycle), the QObject is destroyed on the wrong thread:
its destructor waits for the GIL-holding UI thread while the UI thread waits for Qt's lock, and the app freezes.
So automatic collection is switched off and a timer on the UI thread collects each generation once its
threshold is crossed, as Python would (pyqtgraph's util.garbage_collector does the same).
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

CHECK_INTERVAL_MS = 500  # gen-0 garbage is mostly freed by reference counting; a check is microseconds


class MainThreadGarbageCollector(QObject):
    """Create once, on the UI thread, after the QApplication; `stop()` gives collection back to Python."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = CHECK_INTERVAL_MS) -> None:
        super().__init__(parent)
        self._thresholds = gc.get_threshold()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.check)
        self._timer.start(interval_ms)

    def check(self) -> None:
        """Collect the oldest generation whose count passed its threshold (younger ones come with it)."""
        counts = gc.get_count()
        generation = -1
        for index, (count, threshold) in enumerate(zip(counts, self._thresholds, strict=True)):
            if threshold and count > threshold:
                generation = index
            else:
                break
        if generation >= 0:
            gc.collect(generation)

    def stop(self) -> None:
        self._timer.stop()
        gc.enable()
