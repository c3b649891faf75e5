"""A latest-wins worker: a QObject on its own QThread that runs submitted jobs one at a time, where a new job
replaces the one still waiting (stylegan3's AsyncRenderer idea, in Qt).

    any thread                            the worker's thread
    ----------                            -------------------
    submit(job)  -> store it (locked)     _drain(): take the next job, process it, repeat until none is left
                 -> wake once  -------->  (a queued signal; further submits while it drains only store)

One base serves both the renderer and the live metrics because they are the same machine: a single consumer,
a lock around what is waiting, one queued wake per burst, a drain loop, cooperative stop. They differ only in
what "waiting" holds (one slot for metrics; one slot per channel plus one-off jobs for rendering) and in pacing,
which subclasses supply through `_store_locked`, `_take_locked`, `_clear_locked` and `_wait_locked`. superqt's
workers (not a dependency here) start one worker per call and do not coalesce, so latest-wins would still need
this code on top of them.

Only plain data leaves through signals (declared by subclasses). Stopping is cooperative: `stop()` drops what
waits, sets a flag that long jobs poll through `cancelled()`, and asks the thread for interruption; the owner
then quits and waits for the thread. Never QThread.terminate().
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot


class LatestWinsWorker(QObject):
    """Runs jobs one at a time on its thread; a job submitted while another waits replaces it.

    Subclasses implement `_process(job)` (runs on the worker's thread, outside the lock) and may override the
    storage hooks, which all run under `self._lock`.
    """

    drained = Signal()  # finish() or stop() was asked and nothing is left: the thread may quit
    _wake = Signal()  # queued to the worker's thread

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lock = threading.Lock()
        self._pending: Any = None
        self._scheduled = False  # a _drain call is queued or running
        self._finishing = False
        self._stop = threading.Event()
        self._wake.connect(self._drain, Qt.ConnectionType.QueuedConnection)

    # ------------------------------------------------------------- any thread
    def submit(self, job: Any) -> None:
        """Run `job` next; it replaces a job that is still waiting (latest wins)."""
        self._post(lambda: self._store_locked(job))

    def finish(self) -> None:
        """Run what is waiting, then send `drained`."""
        with self._lock:
            self._finishing = True
            wake = self._schedule_locked()
        if wake:
            self._wake.emit()

    def stop(self) -> None:
        """Drop what is waiting and end soon: a job in flight sees `cancelled()` and should return early."""
        with self._lock:
            self._stop.set()
            self._clear_locked()
            self._finishing = True
            wake = self._schedule_locked()
        thread = self.thread()
        if thread is not None:
            thread.requestInterruption()  # thread-safe; ignored for the main thread
        if wake:
            self._wake.emit()

    def cancelled(self) -> bool:
        """stop() was called (a job in flight polls this between its steps)."""
        return self._stop.is_set()

    def busy(self) -> bool:
        """A job is running or waiting to run."""
        with self._lock:
            return self._scheduled

    def finishing(self) -> bool:
        """finish() or stop() was called: the thread ends once nothing is left."""
        with self._lock:
            return self._finishing

    def start_thread(self, name: str, priority: QThread.Priority = QThread.Priority.InheritPriority) -> QThread:
        """Move this worker to a new, started QThread named `name` and return it (the caller owns it)."""
        thread = QThread()
        thread.setObjectName(name)
        self.moveToThread(thread)
        thread.start(priority)
        return thread

    # ------------------------------------------------------------- for subclasses
    def _post(self, store: Callable[[], None]) -> None:
        """Call `store()` under the lock (unless stopped) and wake the drain loop if it is idle."""
        with self._lock:
            if self._stop.is_set():
                return
            store()
            wake = self._schedule_locked()
        if wake:
            self._wake.emit()

    def _store_locked(self, job: Any) -> None:
        self._pending = job

    def _take_locked(self) -> Any:
        """The next job to run, removed from what waits; None when nothing waits."""
        job, self._pending = self._pending, None
        return job

    def _clear_locked(self) -> None:
        self._pending = None

    def _wait_locked(self) -> float:
        """Seconds to wait before the next job may start (pacing); 0 = now."""
        return 0.0

    def _process(self, job: Any) -> None:
        raise NotImplementedError

    # ------------------------------------------------------------- the worker's thread
    def _schedule_locked(self) -> bool:
        """True when the caller must wake the drain loop (emit outside the lock)."""
        if self._scheduled:
            return False
        self._scheduled = True
        return True

    @Slot()
    def _drain(self) -> None:
        while True:
            with self._lock:
                stopped = self._stop.is_set()
                wait = 0.0 if stopped else self._wait_locked()
                job = None if stopped or wait > 0 else self._take_locked()
                if job is None and wait <= 0:
                    self._scheduled = False
                    finishing = self._finishing
                    break
            if wait > 0:
                self._stop.wait(wait)  # newer jobs replace the waiting one meanwhile: still latest-wins
                continue
            self._process(job)
        if finishing:
            self.drained.emit()
