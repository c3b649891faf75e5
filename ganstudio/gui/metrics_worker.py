"""Live quality metrics while training: FID next to its floor, class coverage and mode-collapse checks.

The measurement itself is `core.live_metrics.evaluate_snapshot(job)` (no Qt) and when to measure is
`runtime.metrics_schedule.MetricsSchedule` (no Qt, no torch). This module is the Qt side:

* `MetricsWorker`: a `LatestWinsWorker` on its own QThread. While one snapshot is evaluated only the newest
  pending one is kept, so there is never more than one evaluation running or queued. It sends only plain data:
  the frozen report, error strings, log lines.
* `LiveMetrics`: the UI-thread side the Train tab talks to. It asks the schedule when a snapshot is worth
  measuring (plus once when the run ends), owns the thread (started with a run that can be measured, which it
  first spends preparing the real reference; ended when the run is over and the last report is in) and feeds a
  `MetricsView`.

The evaluation competes with training for the CPU: the thread runs at low priority (where the OS honours
QThread's), and it gives way to the user: see `MetricsSchedule` and `MetricsWorker.hold`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QThread, Signal
from PySide6.QtWidgets import QWidget

from ganstudio.core.events import GeneratorSnapshot, TrainingFinished
from ganstudio.core.live_metrics import (
    SAMPLES,
    MetricsJob,
    ReferenceJob,
    evaluate_snapshot,
    prepare_reference,
    unavailable_report,
)
from ganstudio.core.quality_report import QualityResult, summary_line
from ganstudio.gui.latest_wins import LatestWinsWorker
from ganstudio.runtime.metrics_schedule import DEFAULT_EVERY_STEPS, MAX_DEFER_SECONDS, MIN_SECONDS, MetricsSchedule

if TYPE_CHECKING:
    from ganstudio.gui.metrics_view import MetricsView

log = logging.getLogger(__name__)

STOP_WAIT_MS = 30_000  # an evaluation cannot be interrupted inside onnxruntime; a few seconds at most

Evaluate = Callable[..., QualityResult | None]  # evaluate_snapshot's signature: (job, cancel, log, pause)


class MetricsWorker(LatestWinsWorker):
    """Evaluates snapshots one at a time on its thread; submit() keeps only the newest pending job."""

    report_ready = Signal(object)  # a QualityReport, SwdReport or UnavailableReport (frozen, plain data)
    failed = Signal(str)  # a readable error for one measurement; later ones are still tried
    evaluating = Signal(int, int)  # the step now being measured, and the run it belongs to
    log_message = Signal(str)

    def __init__(
        self,
        evaluate: Evaluate = evaluate_snapshot,
        parent: QObject | None = None,
        prepare: Callable[[ReferenceJob], None] = prepare_reference,
        max_pause: float = MAX_DEFER_SECONDS,
    ) -> None:
        super().__init__(parent)
        self._evaluate = evaluate
        self._prepare = prepare
        self.max_pause = max_pause  # a measurement pauses for the user only this long after it started
        self._hold_until = 0.0  # time.monotonic() before which a measurement pauses at its next step
        self.evaluations = 0  # measurements started (for tests and diagnostics)

    def hold(self, seconds: float) -> None:
        """A measurement in progress pauses at its next step until `seconds` from now (the user is dragging a
        slider), but never past `max_pause` seconds after it started."""
        self._hold_until = time.monotonic() + seconds  # one float, read by the worker thread: no lock needed

    # ------------------------------------------------------------- the worker thread
    def _process(self, job: MetricsJob | ReferenceJob) -> None:
        if isinstance(job, ReferenceJob):
            try:
                self._prepare(job)
            except Exception:
                log.debug("preparing the live metrics' reference failed", exc_info=True)
            return
        self.evaluations += 1
        self.evaluating.emit(job.snapshot.step, job.run)
        deadline = time.monotonic() + self.max_pause

        def pause() -> None:
            while not self.cancelled() and time.monotonic() < min(self._hold_until, deadline):
                time.sleep(0.02)

        try:
            report = self._evaluate(job, cancel=self.cancelled, log=self.log_message.emit, pause=pause)
        except Exception as exc:
            log.debug("live metrics failed", exc_info=True)
            self.failed.emit(
                f"{type(exc).__name__}: {exc}" if not str(exc).startswith(type(exc).__name__) else str(exc)
            )
            return
        if report is not None and not self.cancelled():
            self.report_ready.emit(report)


class LiveMetrics(QObject):
    """Schedules measurements of a training run's snapshots and shows them in a MetricsView.

    Use: `start_run(dataset, every_steps)` when a run starts, `snapshot(s)` for every GeneratorSnapshot,
    `user_interacting()` whenever the user moves a slider, `finished(event)` once the training thread has ended,
    `shutdown()` before the app ends (also done on aboutToQuit and when the window closes while no training runs).
    """

    report_ready = Signal(object)  # reports of the current run, after the view has shown them
    log_message = Signal(str)  # lines for the training log

    def __init__(
        self,
        view: MetricsView,
        parent: QObject | None = None,
        min_seconds: float = MIN_SECONDS,
        samples: int = SAMPLES,
        evaluate: Evaluate = evaluate_snapshot,
        prepare: Callable[[ReferenceJob], None] = prepare_reference,
    ) -> None:
        super().__init__(parent)
        self.view = view
        self.samples = samples
        self.schedule = MetricsSchedule(0, min_seconds)
        self._evaluate = evaluate
        self._prepare = prepare
        self._thread: QThread | None = None
        self._worker: MetricsWorker | None = None
        self._queued: MetricsJob | None = None  # waits for a thread that is winding down
        self._run = 0
        self._dataset = ""
        self._data_dir: str | None = None
        self._active = False  # the current run is measured
        self._last_snapshot: GeneratorSnapshot | None = None
        self._last_submitted: int | None = None
        self._watched_window: QWidget | None = None
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

    # ------------------------------------------------------------------ the run
    def start_run(
        self,
        dataset: str,
        every_steps: int = DEFAULT_EVERY_STEPS,
        data_dir: str | None = None,
        image_size: int = 28,
        channels: int = 1,
    ) -> None:
        self._run += 1
        self._dataset, self._data_dir = dataset, data_dir
        self._last_snapshot = None
        self._last_submitted = None
        self._queued = None
        if self._worker is not None:
            self._worker.stop()  # still measuring the previous run: not worth the CPU any more
        self.schedule.restart(every_steps)
        report = unavailable_report(dataset)
        self._active = report is None and every_steps > 0
        if report is not None:
            self.view.show_unavailable(report.reason)
        elif every_steps <= 0:
            self.view.show_unavailable("live quality metrics are off (Advanced options: Quality metrics every)")
        else:
            self.view.reset(
                f"Quality metrics appear after {self.schedule.min_seconds:.0f} s and {every_steps:,} steps of training"
            )
            if self._worker is None or not self._worker.finishing():  # else the previous run's thread is ending
                self._ensure_thread().submit(ReferenceJob(dataset, data_dir, image_size, channels, self.samples))

    def snapshot(self, snapshot: GeneratorSnapshot) -> None:
        if not self._active:
            return
        self._last_snapshot = snapshot
        if self.schedule.due(snapshot.step):
            self._submit(snapshot)

    def finished(self, event: TrainingFinished | None) -> None:
        """The run is over: measure the final generator once more (unless it diverged or failed: event None or
        another reason), then let the thread end."""
        snapshot = self._last_snapshot
        ended_well = event is not None and event.reason in ("completed", "stopped")
        if self._active and ended_well and snapshot is not None and snapshot.step != self._last_submitted:
            self._submit(snapshot)
        self._active = False
        if self._worker is not None:
            self._worker.finish()

    def user_interacting(self) -> None:
        """The user is dragging a slider: a measurement falling due now waits until they pause (MetricsSchedule).
        One already running pauses at its next step until they do."""
        self.schedule.interacting()
        if self._worker is not None:
            self._worker.hold(self.schedule.quiet_seconds)

    def busy(self) -> bool:
        """The metrics thread exists (measuring, waiting for snapshots, or winding down)."""
        return self._thread is not None

    def measuring(self) -> bool:
        """A measurement is running or waiting to run."""
        return self._worker is not None and self._worker.busy()

    def shutdown(self, timeout_ms: int = STOP_WAIT_MS) -> None:
        """Stop measuring and wait for the thread (idempotent)."""
        self._active = False
        self._queued = None
        thread, worker = self._thread, self._worker
        if thread is None or worker is None:
            return
        worker.stop()
        thread.quit()
        if not thread.wait(timeout_ms):
            log.warning("live metrics still busy after %d ms", timeout_ms)
            return
        self._thread_done()

    # ------------------------------------------------------------------ internals
    def _submit(self, snapshot: GeneratorSnapshot) -> None:
        self.schedule.mark(snapshot.step)
        self._last_submitted = snapshot.step
        job = MetricsJob(snapshot, self._dataset, self._data_dir, run=self._run, samples=self.samples)
        if self._worker is not None and self._worker.finishing():
            self._queued = job  # that thread is ending: a new one takes this job once it has
            return
        self._ensure_thread().submit(job)

    def _ensure_thread(self) -> MetricsWorker:
        if self._worker is not None:
            return self._worker
        self._watch_window()
        worker = MetricsWorker(self._evaluate, prepare=self._prepare)
        thread = worker.start_thread("ganstudio-metrics", QThread.Priority.LowPriority)
        thread.setParent(self)
        worker.drained.connect(thread.quit, Qt.ConnectionType.DirectConnection)  # quit() is thread-safe
        worker.report_ready.connect(self._on_report)
        worker.failed.connect(self._on_failed)
        worker.evaluating.connect(self._on_evaluating)
        worker.log_message.connect(lambda text: self.log_message.emit(f"metrics: {text}"))
        thread.finished.connect(worker.deleteLater)
        thread.finished.connect(self._on_thread_finished)
        self._thread, self._worker = thread, worker
        return worker

    def _on_thread_finished(self) -> None:
        if self._thread is not None and self.sender() is self._thread:
            self._thread_done()

    def _thread_done(self) -> None:
        thread, self._thread, self._worker = self._thread, None, None
        if thread is None:
            return
        thread.wait()
        thread.deleteLater()
        job, self._queued = self._queued, None
        if job is not None and job.run == self._run:
            worker = self._ensure_thread()
            worker.submit(job)
            if not self._active:
                worker.finish()

    def _on_evaluating(self, step: int, run: int) -> None:
        if run == self._run:
            self.view.show_busy(step)

    def _on_report(self, report: QualityResult) -> None:
        if report.run != self._run:
            return  # from an earlier run
        self.view.show_report(report)
        self.log_message.emit(summary_line(report))
        self.report_ready.emit(report)

    def _on_failed(self, message: str) -> None:
        self.view.show_error(message)
        self.log_message.emit(f"quality metrics failed: {message}")

    # A window closing with no training running gets no call to TrainPanel.shutdown(), but the metrics thread may
    # still be measuring the final snapshot: stop it before the window (its thread's owner) is destroyed.
    def _watch_window(self) -> None:
        parent = self.parent()
        window = parent.window() if isinstance(parent, QWidget) else None
        if window is not None and window is not self._watched_window:
            window.installEventFilter(self)
            self._watched_window = window

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._watched_window and event.type() == QEvent.Type.Close and not self._active:
            self.shutdown()
        return False
