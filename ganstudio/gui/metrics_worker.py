"""Live quality metrics while training: FID next to its floor, class coverage and mode-collapse checks.

Three pieces, from the bottom up:

* `evaluate_snapshot(job)` (no Qt): rebuild the snapshot's generator in torch, generate a fixed, seeded batch
  of samples (the same latents every time, so numbers along a run are comparable; a conditional model gets its
  labels spread evenly over the classes) and score them with `core.metrics.evaluate_generator_images`.
* `MetricsWorker`: a QObject on its own QThread. `submit()` is latest-wins (stylegan3's AsyncRenderer): while one
  snapshot is evaluated, only the newest pending one is kept, so there is never more than one evaluation running
  or queued. It sends only plain data: the report dict, error strings, log lines.
* `LiveMetrics`: the UI-thread side the Train tab talks to. It decides when a snapshot is worth measuring (at
  least `min_seconds` of training AND `every_steps` steps since the last measurement, whichever comes later, not
  while the user drags a slider, plus once when the run ends), owns the thread (started with a run that can be
  measured, which it first spends preparing the real reference; ended when the run is over and the last report
  is in) and feeds a `MetricsView`.

The evaluation competes with training for the CPU, so it stays small: 2,000 samples in batches of 500, the
process-wide torch thread count is left as training set it, the thread runs at low priority (where the OS honours
QThread's), and it gives way to the user: see `MetricsSchedule` and `MetricsWorker.hold`.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QThread, Signal, Slot

from ganstudio.core.events import GeneratorSnapshot, TrainingFinished

log = logging.getLogger(__name__)

SAMPLES = 2000  # generated images per measurement (the floor is computed at the same size)
BATCH_SIZE = 500  # images per generator call
SEED = 0  # latents (and label order) of every measurement: fixed, so numbers along a run are comparable
MIN_SECONDS = 15.0  # at least this long between two measurements ...
DEFAULT_EVERY_STEPS = 200  # ... and at least this many steps (whichever comes later)
# A measurement that falls due while the user drags a slider waits until the sliders have been still this long:
# on two cores it would take the CPU the drag and training share (slider_latency.py: training lost 30-34% during
# a drag that overlapped a measurement, 12-18% otherwise) ...
QUIET_SECONDS = 1.0
MAX_DEFER_SECONDS = 60.0  # ... but never longer than this past its due time, so a long session still gets numbers
STOP_WAIT_MS = 30_000  # an evaluation cannot be interrupted inside onnxruntime; a few seconds at most


@dataclass(frozen=True)
class MetricsJob:
    """One generator snapshot to measure, and what to measure it against."""

    snapshot: GeneratorSnapshot
    dataset: str  # the training set spec: "mnist", "fashion-mnist" or a folder (no metrics for folders)
    data_dir: str | None = None  # where the real images are; None = the data layer's usual search
    run: int = 0  # which training run asked (reports of an earlier run are ignored)
    samples: int = SAMPLES
    batch_size: int = BATCH_SIZE
    seed: int = SEED


@dataclass(frozen=True)
class ReferenceJob:
    """Compute the real images' reference statistics ahead of the first measurement (at the start of a run)."""

    dataset: str
    data_dir: str | None = None
    image_size: int = 28


def prepare_reference(job: ReferenceJob) -> None:
    """Load the classifier and the real reference into core.metrics' caches (the first measurement's cost: about
    ten times a later one's, 10,000 real images through the classifier), so it is paid while the run starts up
    rather than at some later moment the user may be dragging a slider. Only submitted for datasets that have a
    classifier (LiveMetrics.start_run checks)."""
    from ganstudio.core import metrics

    metrics.get_reference(job.dataset, job.image_size, Path(job.data_dir) if job.data_dir else None)


def unavailable_report(dataset: str) -> dict[str, Any] | None:
    """The core's "unavailable" report when `dataset` has no shipped classifier (e.g. an image folder), else None.

    Cheap (no torch, nothing evaluated), so the Train tab can say so as soon as a run starts.
    """
    from ganstudio.core import metrics
    from ganstudio.core.data import canonical_name, is_named_dataset

    named = bool(dataset) and "/" not in dataset and "\\" not in dataset and is_named_dataset(dataset)
    if named and metrics.classifier_path(canonical_name(dataset)).is_file():
        return None
    # For these inputs the core answers before looking at the images: no reference data is loaded.
    return metrics.evaluate_generator_images(np.zeros((2, 1, 28, 28), np.float32), dataset)


def spread_labels(n: int, num_classes: int, seed: int = SEED) -> np.ndarray:
    """n labels, n/K of each class, in seeded random order (as core.metrics.evaluate_model does)."""
    return np.random.default_rng(seed).permutation(np.arange(n) % num_classes).astype(np.int64)


def evaluate_snapshot(
    job: MetricsJob,
    cancel: Callable[[], bool] = lambda: False,
    log: Callable[[str], None] = lambda _text: None,
    pause: Callable[[], None] = lambda: None,
) -> dict[str, Any] | None:
    """Generate `job.samples` images from the snapshot and measure them; None when cancelled. `pause` is called
    between the steps (it may block while the user drags a slider).

    The report is core.metrics' dict plus "step", "run" and "samples". Raises MetricsError / ValueError for
    snapshots that cannot be measured (e.g. NaN images from a diverged run).
    """
    from ganstudio.core import metrics

    early = unavailable_report(job.dataset)
    if early is not None:
        return {**early, "step": job.snapshot.step, "run": job.run}

    import torch  # only here: building the GUI must not import torch

    from ganstudio.core.torch_backend import generator_from_snapshot
    from ganstudio.runtime.latent import sample_latents

    cfg = job.snapshot.model_config
    backend = generator_from_snapshot(job.snapshot)  # never draws from the training thread's RNG
    z = sample_latents(job.samples, cfg.latent_dim, job.seed)
    labels = spread_labels(job.samples, cfg.num_classes, job.seed) if cfg.conditional else None
    parts = []
    try:
        with torch.inference_mode():
            for i in range(0, job.samples, job.batch_size):
                pause()
                if cancel():
                    return None
                chunk = None if labels is None else labels[i : i + job.batch_size]
                parts.append(backend.generate(z[i : i + job.batch_size], chunk))  # (b, C, H, W) in [0, 1]
    finally:
        backend.close()
    pause()
    if cancel():
        return None
    images = np.concatenate(parts)
    data_dir = Path(job.data_dir) if job.data_dir else None
    report = metrics.evaluate_generator_images(images, job.dataset, labels=labels, data_dir=data_dir, log=log)
    report.update({"step": job.snapshot.step, "run": job.run, "samples": job.samples})
    return report


def summary_line(report: dict[str, Any]) -> str:
    """One line for the training log."""
    if not report.get("available"):
        return f"quality metrics unavailable: {report.get('reason', '')}"
    k = len(report.get("class_histogram") or ())
    ratio = report.get("fid_ratio")
    text = (
        f"quality at step {report.get('step', 0):,}: FID {report['fid']:.3g}"
        + (f" ({ratio:.1f}x the real-vs-real floor {report['fid_floor']:.3g})" if ratio is not None else "")
        + f", {report['classes_covered']}/{k} classes, mean confidence {report['mean_confidence']:.2f}, "
        f"class KL {report['kl_class']:.3f}"
    )
    if report.get("seconds") is not None:
        text += f" [{report['seconds']:.1f} s]"
    return text


class MetricsWorker(QObject):
    """Evaluates snapshots one at a time on its thread; submit() keeps only the newest pending job."""

    report_ready = Signal(object)  # the report dict (plain data)
    failed = Signal(str)  # a readable error for one measurement; later ones are still tried
    evaluating = Signal(int, int)  # the step now being measured, and the run it belongs to
    log_message = Signal(str)
    drained = Signal()  # finish() was asked and nothing is left: the thread may quit
    _wake = Signal()  # queued to this worker's thread

    def __init__(
        self,
        evaluate: Callable[..., dict[str, Any] | None] = evaluate_snapshot,
        parent: QObject | None = None,
        prepare: Callable[[ReferenceJob], None] = prepare_reference,
        max_pause: float = MAX_DEFER_SECONDS,
    ) -> None:
        super().__init__(parent)
        self._evaluate = evaluate
        self._prepare = prepare
        self.max_pause = max_pause  # a measurement pauses for the user only this long after it started
        self._hold_until = 0.0  # time.monotonic() before which a measurement pauses at its next step
        self._lock = threading.Lock()
        self._pending: MetricsJob | ReferenceJob | None = None
        self._scheduled = False  # a _drain call is queued or running
        self._finishing = False
        self._stop = threading.Event()
        self.evaluations = 0  # measurements started (for tests and diagnostics)
        self._wake.connect(self._drain, Qt.ConnectionType.QueuedConnection)

    # ------------------------------------------------------------- any thread
    def submit(self, job: MetricsJob | ReferenceJob) -> None:
        """Measure `job` next (or prepare for it); replaces a job that is still waiting (latest wins)."""
        with self._lock:
            if self._stop.is_set():
                return
            self._pending = job
            wake = not self._scheduled
            self._scheduled = True
        if wake:
            self._wake.emit()

    def finish(self) -> None:
        """Measure what is pending, then send `drained`."""
        with self._lock:
            self._finishing = True
            wake = not self._scheduled
            self._scheduled = True
        if wake:
            self._wake.emit()

    def stop(self) -> None:
        """Drop the pending job and end soon (an evaluation in flight stops at its next batch)."""
        with self._lock:
            self._stop.set()
            self._pending = None
            self._finishing = True
            wake = not self._scheduled
            self._scheduled = True
        if wake:
            self._wake.emit()

    def hold(self, seconds: float) -> None:
        """A measurement in progress pauses at its next step until `seconds` from now (the user is dragging a
        slider), but never past `max_pause` seconds after it started."""
        self._hold_until = time.monotonic() + seconds  # one float, read by the worker thread: no lock needed

    def busy(self) -> bool:
        with self._lock:
            return self._scheduled

    def finishing(self) -> bool:
        """finish() or stop() was called: the thread ends once the queue is empty."""
        with self._lock:
            return self._finishing

    # ------------------------------------------------------------- the worker thread
    @Slot()
    def _drain(self) -> None:
        while True:
            with self._lock:
                job, self._pending = self._pending, None
                if job is None:
                    self._scheduled = False
                    finishing = self._finishing
                    break
            self._run(job)
        if finishing:
            self.drained.emit()

    def _run(self, job: MetricsJob | ReferenceJob) -> None:
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
            while not self._stop.is_set() and time.monotonic() < min(self._hold_until, deadline):
                time.sleep(0.02)

        try:
            report = self._evaluate(job, cancel=self._stop.is_set, log=self.log_message.emit, pause=pause)
        except Exception as exc:
            log.debug("live metrics failed", exc_info=True)
            self.failed.emit(
                f"{type(exc).__name__}: {exc}" if not str(exc).startswith(type(exc).__name__) else str(exc)
            )
            return
        if report is not None and not self._stop.is_set():
            self.report_ready.emit(report)


class MetricsSchedule:
    """When a snapshot is worth measuring: `every_steps` steps AND `min_seconds` since the last measurement, and
    the user not dragging a slider (`interacting()` in the last `quiet_seconds`; held at most `max_defer`)."""

    def __init__(
        self,
        every_steps: int = DEFAULT_EVERY_STEPS,
        min_seconds: float = MIN_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        quiet_seconds: float = QUIET_SECONDS,
        max_defer: float = MAX_DEFER_SECONDS,
    ) -> None:
        self.every_steps = every_steps  # 0 = never (live metrics off)
        self.min_seconds = min_seconds
        self.quiet_seconds = quiet_seconds
        self.max_defer = max_defer
        self.clock = clock
        self.last_step: int | None = None  # None: the first snapshot sets the base (a resumed run starts late)
        self.last_time = clock()
        self.last_interaction = -math.inf
        self.held_since: float | None = None  # when a due measurement was first held back for the user

    def restart(self, every_steps: int | None = None) -> None:
        if every_steps is not None:
            self.every_steps = every_steps
        self.last_step, self.last_time, self.held_since = None, self.clock(), None

    def interacting(self) -> None:
        """The user moved a slider just now."""
        self.last_interaction = self.clock()

    def due(self, step: int) -> bool:
        if self.every_steps <= 0:
            return False
        if self.last_step is None:
            self.last_step = step
        now = self.clock()
        if step - self.last_step < self.every_steps or now - self.last_time < self.min_seconds:
            return False
        if now - self.last_interaction >= self.quiet_seconds:
            return True
        if self.held_since is None:
            self.held_since = now
        return now - self.held_since >= self.max_defer

    def mark(self, step: int) -> None:
        self.last_step, self.last_time, self.held_since = step, self.clock(), None


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
        view,
        parent: QObject | None = None,
        min_seconds: float = MIN_SECONDS,
        samples: int = SAMPLES,
        evaluate: Callable[..., dict[str, Any] | None] = evaluate_snapshot,
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
        self._watched_window = None
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

    # ------------------------------------------------------------------ the run
    def start_run(
        self, dataset: str, every_steps: int = DEFAULT_EVERY_STEPS, data_dir: str | None = None, image_size: int = 28
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
            self.view.show_unavailable(report.get("reason", ""))
        elif every_steps <= 0:
            self.view.show_unavailable("live quality metrics are off (Advanced options: Quality metrics every)")
        else:
            self.view.reset(
                f"Quality metrics appear after {self.schedule.min_seconds:.0f} s and {every_steps:,} steps of training"
            )
            if self._worker is None or not self._worker.finishing():  # else the previous run's thread is ending
                self._ensure_thread()
                self._worker.submit(ReferenceJob(dataset, data_dir, image_size))

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
        self._ensure_thread()
        self._worker.submit(job)

    def _ensure_thread(self) -> None:
        if self._thread is not None:
            return
        self._watch_window()
        worker = MetricsWorker(self._evaluate, prepare=self._prepare)
        thread = QThread(self)
        thread.setObjectName("ganstudio-metrics")
        worker.moveToThread(thread)
        worker.drained.connect(thread.quit, Qt.ConnectionType.DirectConnection)  # quit() is thread-safe
        worker.report_ready.connect(self._on_report)
        worker.failed.connect(self._on_failed)
        worker.evaluating.connect(self._on_evaluating)
        worker.log_message.connect(lambda text: self.log_message.emit(f"metrics: {text}"))
        thread.finished.connect(worker.deleteLater)
        thread.finished.connect(self._on_thread_finished)
        self._thread, self._worker = thread, worker
        thread.start(QThread.Priority.LowPriority)

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
            self._ensure_thread()
            self._worker.submit(job)
            if not self._active:
                self._worker.finish()

    def _on_evaluating(self, step: int, run: int) -> None:
        if run == self._run:
            self.view.show_busy(step)

    def _on_report(self, report: dict) -> None:
        if report.get("run") != self._run:
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
        window = parent.window() if hasattr(parent, "window") else None
        if window is not None and window is not self._watched_window:
            window.installEventFilter(self)
            self._watched_window = window

    def eventFilter(self, watched, event) -> bool:
        if watched is self._watched_window and event.type() == QEvent.Type.Close and not self._active:
            self.shutdown()
        return False
