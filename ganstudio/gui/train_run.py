"""One training run on its own QThread: starts it, passes the user's pause / resume / stop to its worker, and
ends it cleanly. The Train tab's widgets listen to its signals; none of them touches the thread or the worker.

Everything the worker sends is re-emitted here on the UI thread, in the order it was sent; `ended` comes last,
once the thread has finished. QThread.terminate() is never used: `shutdown()` asks the run to stop (the core
saves a checkpoint and exports the generator) and waits for the thread.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, QThread, Signal

from ganstudio.gui.train_worker import TrainRequest, TrainWorker

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunState:
    running: bool = False
    paused: bool = False
    stopping: bool = False  # stop was asked for; the run saves and ends

    @property
    def active(self) -> bool:
        """Training now (what the main window paces slider renders by)."""
        return self.running and not self.paused


class TrainRun(QObject):
    metrics = Signal(object)  # MetricsBatch
    train_event = Signal(object)  # SampleGrid, GeneratorSnapshot, CheckpointSaved, LogMessage, TrainingFinished
    stage = Signal(str)  # what happens now ("Loading MNIST...", "Training")
    download_progress = Signal(str, float, float)  # file name, bytes done, bytes total (-1 if unknown)
    load_progress = Signal(str, float, float)  # what, done, total (-1 if unknown)
    failed = Signal(str)  # a readable error; the run is over
    cancelled = Signal(str)  # the user cancelled before training began (e.g. a download)
    ended = Signal()  # the thread has finished: the run is over and a new one may start
    state_changed = Signal(object)  # RunState, after every start, pause, resume, stop and end
    active_changed = Signal(bool)  # RunState.active turned on or off

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: QThread | None = None
        self._worker: TrainWorker | None = None
        self._was_active = False

    # ------------------------------------------------------------------ state
    def state(self) -> RunState:
        worker = self._worker
        if self._thread is None or worker is None:
            return RunState()
        return RunState(True, worker.is_paused(), worker.stop_requested())

    def is_running(self) -> bool:
        return self._thread is not None

    # ------------------------------------------------------------------ control (UI thread)
    def start(self, request: TrainRequest) -> bool:
        """Start a run for `request`; False when one is already running."""
        if self._thread is not None:
            return False
        worker = TrainWorker(request)
        thread = QThread(self)
        thread.setObjectName("ganstudio-training")
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.done.connect(thread.quit, Qt.ConnectionType.DirectConnection)  # quit() is thread-safe
        thread.finished.connect(worker.deleteLater)
        thread.finished.connect(self._on_thread_finished)
        self._forward(worker)
        self._worker, self._thread = worker, thread
        self._changed()
        thread.start()
        return True

    def pause(self) -> bool:
        """Hold training after this step; False when there is nothing to pause."""
        if self._worker is None or self._worker.stop_requested():
            return False
        self._worker.pause()
        self._changed()
        return True

    def resume(self) -> bool:
        if self._worker is None:
            return False
        self._worker.resume()
        self._changed()
        return True

    def stop(self, export: bool = True) -> bool:
        """Ask the run to end (a download is cancelled; training saves and, if `export`, exports its generator);
        False when none runs."""
        if self._worker is None:
            return False
        self._worker.stop(export)
        self._changed()
        return True

    def shutdown(self, timeout_ms: int) -> bool:
        """Stop the run and wait up to `timeout_ms` for its thread; False if it is still busy then."""
        thread, worker = self._thread, self._worker
        if thread is None or worker is None:
            return True
        worker.stop()
        thread.quit()  # remembered: the thread's event loop ends as soon as the worker returns
        if not thread.wait(timeout_ms):
            log.warning("training thread still busy after %d ms; leaving it to finish", timeout_ms)
            return False
        self._release()
        return True

    # ------------------------------------------------------------------ internals
    def _forward(self, worker: TrainWorker) -> None:
        """Re-emit the worker's signals from this (UI-thread) object: queued, so they keep their order."""
        worker.metrics.connect(self.metrics)
        worker.event.connect(self.train_event)
        worker.stage.connect(self.stage)
        worker.download_progress.connect(self.download_progress)
        worker.load_progress.connect(self.load_progress)
        worker.failed.connect(self.failed)
        worker.cancelled.connect(self.cancelled)

    def _on_thread_finished(self) -> None:
        if self._thread is not None and self.sender() is self._thread:  # not a late one shutdown() handled
            self._release()

    def _release(self) -> None:
        thread = self._thread
        if thread is None:
            return
        thread.wait()  # `finished` is sent just before the thread ends
        self._thread, self._worker = None, None
        thread.deleteLater()
        self.ended.emit()
        self._changed()

    def _changed(self) -> None:
        state = self.state()
        if state.active != self._was_active:
            self._was_active = state.active
            self.active_changed.emit(state.active)
        self.state_changed.emit(state)
