"""Calls that take longer than a frame (finding directions, rendering and classifying the latent plane), run
latest-wins on their own QThread.

    calls = BackgroundCalls("ganstudio-plane")
    calls.done.connect(on_done)           # value, or error message, of the newest call only
    calls.call(lambda report: work())     # replaces a call still waiting; report("text") says progress

A call in flight runs to its end (shutdown() stops it at its next report()); a newer call waits for it, and the
results of superseded calls are dropped. Only plain data
crosses threads: the values the calls return (numpy arrays, frozen dataclasses) and strings.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from ganstudio.gui.latest_wins import LatestWinsWorker

log = logging.getLogger(__name__)

Report = Callable[[str], None]


class _Stopped(Exception):
    """Raised from report() when the worker was told to stop."""


@dataclass(frozen=True)
class _Call:
    call_id: int
    fn: Callable[[Report], Any]


class _CallWorker(LatestWinsWorker):
    progress = Signal(int, str)  # call id, text
    finished = Signal(int, object, object)  # call id, value, error message or None

    def _process(self, job: _Call) -> None:
        def report(text: str) -> None:
            if self.cancelled():
                raise _Stopped
            self.progress.emit(job.call_id, text)

        try:
            value = job.fn(report)
        except _Stopped:
            return
        except Exception as exc:  # a failed call costs its panel, never the app
            log.debug("background call failed", exc_info=True)
            self.finished.emit(
                job.call_id, None, str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            )
            return
        self.finished.emit(job.call_id, value, None)


class BackgroundCalls(QObject):
    """The UI-side owner of one worker thread; `shutdown()` before the app ends (never terminate)."""

    progress = Signal(str)
    done = Signal(object, object)  # value, error message (str) or None

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ids = itertools.count(1)
        self._latest = 0
        self._worker = _CallWorker()
        self._worker.progress.connect(self._on_progress)
        self._worker.finished.connect(self._on_finished)
        self._thread: QThread | None = self._worker.start_thread(name, QThread.Priority.LowPriority)

    def call(self, fn: Callable[[Report], Any]) -> None:
        self._latest = next(self._ids)
        if self._thread is not None:
            self._worker.submit(_Call(self._latest, fn))

    def cancel(self) -> None:
        """Forget what was asked: a late result is dropped."""
        self._latest = next(self._ids)

    def shutdown(self, timeout_ms: int = 10000) -> None:
        if self._thread is None:
            return
        thread, self._thread = self._thread, None
        self._worker.stop()
        thread.quit()
        if not thread.wait(timeout_ms):
            log.warning("%s did not stop within %d ms", thread.objectName(), timeout_ms)

    @Slot(int, str)
    def _on_progress(self, call_id: int, text: str) -> None:
        if call_id == self._latest:
            self.progress.emit(text)

    @Slot(int, object, object)
    def _on_finished(self, call_id: int, value: object, error: object) -> None:
        if call_id == self._latest:
            self.done.emit(value, error)
