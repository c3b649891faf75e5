"""Run one kind of background job (a projection, a latent map, a nearest-images search) latest-wins.

`TaskRunner.run(fn)` hands `fn(report, cancelled)` to a worker thread; a newer run() replaces a job still waiting
and makes the one in flight see `cancelled()` true, so it can stop early. Only the newest job's progress and
result reach the GUI thread (as plain data through queued signals); errors arrive as one readable line.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal

from ganstudio.errors import GanStudioError
from ganstudio.gui.latest_wins import LatestWinsWorker

Report = Callable[[object], None]
Cancelled = Callable[[], bool]
Task = Callable[[Report, Cancelled], object]
STOP_WAIT_MS = 5000


class _TaskWorker(LatestWinsWorker):
    progress = Signal(int, object)  # generation, progress value
    done = Signal(int, object)  # generation, result
    failed = Signal(int, str)  # generation, message

    def __init__(self) -> None:
        super().__init__()
        self._newest = 0
        self._generation_lock = threading.Lock()

    def newer(self, generation: int) -> None:
        with self._generation_lock:
            self._newest = generation

    def _stale(self, generation: int) -> bool:
        with self._generation_lock:
            return generation != self._newest or self.cancelled()

    def _process(self, job: Any) -> None:
        generation, task = job
        if self._stale(generation):
            return
        try:
            result = task(lambda value: self.progress.emit(generation, value), lambda: self._stale(generation))
        except GanStudioError as exc:  # typed, user-facing (includes cancellation, dropped below as stale)
            if not self._stale(generation):
                self.failed.emit(generation, str(exc))
            return
        except Exception as exc:  # a bug or a library error: still one line, never a dead thread
            self.failed.emit(generation, f"{type(exc).__name__}: {exc}")
            return
        if not self._stale(generation):
            self.done.emit(generation, result)


class TaskRunner(QObject):
    progress = Signal(object)
    finished = Signal(object)
    failed = Signal(str)

    def __init__(self, name: str, parent: QObject | None = None, stop_wait_ms: int = STOP_WAIT_MS) -> None:
        super().__init__(parent)
        self._name = name
        self._stop_wait_ms = stop_wait_ms  # a job that cannot poll cancelled() (t-SNE) may need longer
        self._generation = 0
        self._worker: _TaskWorker | None = None
        self._thread: QThread | None = None

    def run(self, task: Task) -> None:
        worker = self._ensure_worker()
        self._generation += 1
        worker.newer(self._generation)
        worker.submit((self._generation, task))

    def cancel(self) -> None:
        """Forget the job in flight: its result is dropped and it sees cancelled()."""
        self._generation += 1
        if self._worker is not None:
            self._worker.newer(self._generation)

    def busy(self) -> bool:
        return self._worker is not None and self._worker.busy()

    def _ensure_worker(self) -> _TaskWorker:
        if self._worker is None:
            worker = _TaskWorker()
            worker.progress.connect(self._on_progress)
            worker.done.connect(self._on_done)
            worker.failed.connect(self._on_failed)
            self._thread = worker.start_thread(self._name, QThread.Priority.LowPriority)
            self._worker = worker
        return self._worker

    def _on_progress(self, generation: int, value: object) -> None:
        if generation == self._generation:
            self.progress.emit(value)

    def _on_done(self, generation: int, result: object) -> None:
        if generation == self._generation:
            self.finished.emit(result)

    def _on_failed(self, generation: int, message: str) -> None:
        if generation == self._generation:
            self.failed.emit(message)

    def shutdown(self) -> None:
        """Stop the job in flight cooperatively and end the thread (never terminate)."""
        worker, thread = self._worker, self._thread
        self._worker = self._thread = None
        if worker is None or thread is None:
            return
        worker.stop()
        thread.quit()  # thread-safe: the loop ends once the job in flight returns (it polls cancelled())
        thread.wait(self._stop_wait_ms)
        worker.deleteLater()
        thread.deleteLater()
