"""A thin Qt adapter that runs the core trainer in a QThread.

The worker is a QObject moved to a QThread. Its `run()` slot loads the dataset, builds (or resumes) a
`Trainer` and iterates `trainer.run()`, turning each core event into a queued Qt signal. Only plain data
crosses to the UI thread: frozen core events, `MetricsBatch` records holding numpy arrays, and strings.

Throttling: the trainer can yield hundreds of `StepMetrics` per second. The worker collects them into rows
and emits one `MetricsBatch` at most `EMIT_HZ` times a second (and whenever another event must keep its
order, or training pauses), so the UI thread is never flooded with signals.

Control: `pause()`, `resume()` and `stop()` are called directly from the UI thread. They only flip
thread-safe flags (the worker thread is busy inside the loop, so queued slots would never run).
torch is imported only inside `run()`, so building the GUI stays fast.

CPU threads: torch's default uses every core, which on a 2-core laptop leaves none for the window. When the
options say 0 ("auto"), app runs train with `auto_threads()` = all cores but one; the run folder records that
number. That rule and the resume budget rule live in core/run_setup.py, shared with the CLI.

Export: the worker, not the core, exports the generator when a run ends, so that quitting the app can skip
it (`stop(export=False)`): the checkpoint alone holds the run and can be resumed, and the export takes seconds.

Run folders: before any data is loaded the folder is claimed (core/run_folder.py: made, probed for writing, locked
against a second run, crash leftovers removed) and the lock is held until the run ends. A folder made for this run
(`TrainRequest.fresh_run_dir`) that is still empty when the run ends,
because loading the data failed or the run stopped before its first step, is removed again, so failed starts
leave nothing behind. A folder that holds anything is never removed.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import traceback
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from ganstudio.core.config import BUDGET_FIELDS, ConfigError, ModelConfig, TrainConfig
from ganstudio.core.events import LogMessage, StepMetrics, TrainingFinished
from ganstudio.core.history import LOSS_KEYS
from ganstudio.core.run_setup import app_threads, auto_threads, resume_dataset, resume_overrides, run_dataset_spec
from ganstudio.errors import describe_error

log = logging.getLogger(__name__)

EMIT_HZ = 20.0  # most metric batches per second sent to the UI
PROGRESS_HZ = 10.0  # most data-loading progress signals per second
METRIC_COLUMNS = ("step", *LOSS_KEYS)

__all__ = [
    "METRIC_COLUMNS",
    "MetricsBatch",
    "TrainRequest",
    "TrainWorker",
    "auto_threads",
    "describe_error",
    "remove_if_empty",
]


@dataclass(frozen=True)
class MetricsBatch:
    """Metric rows gathered since the last batch, plus the newest full record for the progress line."""

    rows: np.ndarray = field(repr=False)  # (n, len(METRIC_COLUMNS)) float64, ordered by step
    latest: StepMetrics | None
    restored: bool = False  # True for the loss history of a resumed run (replaces what is plotted)


@dataclass(frozen=True)
class TrainRequest:
    """Everything a training run needs, as plain values built by the UI thread."""

    model_config: ModelConfig
    train_config: TrainConfig
    run_dir: str
    conditional: bool = False  # the class count is taken from the dataset once it is loaded
    resume_from: str | None = None  # a run folder; then only the budget (as extra training) and device are used
    data_dir: str | None = None
    download: bool = True  # fetch MNIST / Fashion-MNIST when missing
    preview_seconds: float = 3.0
    fresh_run_dir: bool = False  # run_dir was made for this run: removed again if the run leaves it empty
    dataset_moved_to: str | None = None  # resume: where the run's image folder is now, when it was moved


def gui_threads(threads: int) -> int:
    """The thread count an app run uses (core/run_setup.app_threads)."""
    return app_threads(threads)


def remove_if_empty(folder: str | Path) -> bool:
    """Remove `folder` if it exists and holds nothing; True when it was removed. Anything with content stays."""
    try:
        Path(folder).rmdir()  # the OS refuses to remove a folder that is not empty
    except OSError:
        return False
    return True


def request_overrides(
    request: TrainRequest, state: dict[str, Any], saved: TrainConfig, dataset: str | None = None
) -> dict[str, Any]:
    """TrainConfig changes for a resumed app run: the form's budget as extra training, its device and threads,
    and the dataset's new place when it moved."""
    new = request.train_config
    extra = {name: getattr(new, name) for name in BUDGET_FIELDS if getattr(new, name)}
    moved = {"dataset": dataset} if dataset else {}
    return resume_overrides(saved, state, extra, device=new.device, threads=app_threads(new.threads), **moved)


class TrainWorker(QObject):
    """Runs one training session; create a new worker (and thread) for each run."""

    metrics = Signal(object)  # MetricsBatch
    event = Signal(object)  # type: ignore[assignment]  # shadows QObject.event, the name callers use; SampleGrid, GeneratorSnapshot, CheckpointSaved, LogMessage, TrainingFinished
    stage = Signal(str)  # a short description of what happens now ("Loading MNIST...", "Training")
    download_progress = Signal(str, float, float)  # file name, bytes done, bytes total (-1 if unknown)
    load_progress = Signal(str, float, float)  # what, done, total (-1 if unknown)
    failed = Signal(str)  # a readable error; the run is over
    cancelled = Signal(str)  # the user cancelled before training began (e.g. a download)
    done = Signal()  # always last

    def __init__(self, request: TrainRequest, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.request = request
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._skip_export = threading.Event()  # set by stop(export=False): quitting, save the checkpoint only
        self._paused = False
        self._control: Any = None  # the core TrainingControl, created in run() (it lives next to torch)
        self._rows: list[tuple[float, ...]] = []
        self._latest: StepMetrics | None = None
        self._last_emit = 0.0
        self._last_progress = 0.0
        self._folder_lock: Any = None  # the run folder's RunFolderLock while this run holds it

    # --------------------------------------------------------------- called from the UI thread
    def pause(self) -> None:
        with self._lock:
            self._paused = True
            if self._control is not None:
                self._control.pause()

    def resume(self) -> None:
        with self._lock:
            self._paused = False
            if self._control is not None:
                self._control.resume()

    def stop(self, export: bool = True) -> None:
        """Ask the run to end: cancels a download, or makes the trainer save and finish after this step; with
        `export` False the generator is not exported to ONNX (the app is quitting and must not wait for it)."""
        with self._lock:
            if not export:
                self._skip_export.set()
            self._stop.set()
            if self._control is not None:
                self._control.stop()

    def is_paused(self) -> bool:
        with self._lock:
            return self._paused

    def stop_requested(self) -> bool:
        return self._stop.is_set()

    # --------------------------------------------------------------- the worker thread
    @Slot()
    def run(self) -> None:
        try:
            self._run()
        except Exception as exc:
            from ganstudio.core.data import DownloadCancelled

            self._flush()
            if isinstance(exc, DownloadCancelled) and self._stop.is_set():
                self.cancelled.emit(str(exc) or "download cancelled")
            else:
                log.debug("training failed", exc_info=True)
                self.event.emit(LogMessage("".join(traceback.format_exception_only(exc)).strip()))
                self.failed.emit(describe_error(exc))
        finally:
            self._flush()
            if self._folder_lock is not None:
                self._folder_lock.release()
            self._discard_unused_run_dir()
            self.done.emit()

    def _run(self) -> None:
        req = self.request
        model_config, dataset_spec = req.model_config, run_dataset_spec(req.train_config.dataset)
        overrides: dict[str, Any] = {}
        self._claim_run_folder()
        if req.resume_from:
            model_config, dataset_spec, overrides = self._read_checkpoint(req.resume_from)
        from ganstudio.core.device import check_device  # imports torch, which the training below needs anyway

        check_device(overrides.get("device", req.train_config.device))  # before minutes of loading, not after
        dataset = self._load_dataset(dataset_spec, model_config)
        if self._stop.is_set():
            self.cancelled.emit("stopped before training began")
            return
        self.stage.emit("Building the models...")
        from ganstudio.core import training  # imports torch: only now, when the user pressed Start

        control = self._make_control(training.TrainingControl)
        if req.resume_from:
            trainer = self._resumed_trainer(training, req.resume_from, dataset, control, overrides)
        else:
            trainer = self._new_trainer(training, model_config, dataset, control)
        self.stage.emit("Training")
        self._train(trainer)

    def _claim_run_folder(self) -> None:
        from ganstudio.core.run_folder import claim_run_folder

        req = self.request
        folder = req.resume_from or req.run_dir
        log = lambda text: self.event.emit(LogMessage(text))  # noqa: E731
        self._folder_lock = claim_run_folder(Path(folder), resume=bool(req.resume_from), log=log)

    def _read_checkpoint(self, folder: str) -> tuple[ModelConfig, str, dict[str, Any]]:
        """The saved model options, dataset (where it is now) and the resume's TrainConfig changes, from the
        checkpoint's header: the trainer loads the weights."""
        self.stage.emit("Reading the checkpoint...")
        from ganstudio.core.checkpoint import inspect_checkpoint

        header = inspect_checkpoint(Path(folder))
        dataset = resume_dataset(header.train_config.dataset, self.request.dataset_moved_to)
        overrides = request_overrides(self.request, header.state, header.train_config, dataset)
        return header.model_config, dataset, overrides

    def _resumed_trainer(
        self, training: ModuleType, folder: str, dataset: Any, control: Any, overrides: dict[str, Any]
    ) -> Any:
        trainer = training.Trainer.from_checkpoint(Path(folder), dataset, control=control, **overrides)
        history = trainer.history.arrays()
        if len(history["step"]):
            rows = np.column_stack([history[name] for name in METRIC_COLUMNS])
            self.metrics.emit(MetricsBatch(rows, None, restored=True))
        self.event.emit(LogMessage(f"resuming {folder} at step {trainer.step:,}"))
        return trainer

    def _new_trainer(self, training: ModuleType, model_config: ModelConfig, dataset: Any, control: Any) -> Any:
        req = self.request
        model_config = self._fit_classes(model_config, dataset)
        from ganstudio.core.config import with_changes

        train_config = with_changes(req.train_config, dataset=run_dataset_spec(req.train_config.dataset))
        if train_config.threads == 0:
            train_config = with_changes(train_config, threads=auto_threads())
            self.event.emit(
                LogMessage(
                    f"CPU threads: auto = {train_config.threads} of {os.cpu_count() or '?'} "
                    "cores (one is left for the window)"
                )
            )
        return training.Trainer(model_config, train_config, dataset, Path(req.run_dir), control)

    def _train(self, trainer: Any) -> None:
        """Iterate the trainer, batching step metrics and forwarding every other event in order."""
        for event in trainer.run(preview_seconds=self.request.preview_seconds, export_on_finish=False):
            if isinstance(event, StepMetrics):
                self._rows.append((event.step, *(getattr(event, key) for key in LOSS_KEYS)))
                self._latest = event
                if time.monotonic() - self._last_emit >= 1.0 / EMIT_HZ:
                    self._flush()
            else:
                self._flush()  # keep the order: metrics up to this step first
                if isinstance(event, TrainingFinished):
                    event = self._exported(trainer, event)
                    if self._discard_unused_run_dir():
                        event = replace(event, run_dir=None)  # nothing to link to: the run wrote nothing
                self.event.emit(event)

    def _exported(self, trainer: Any, event: TrainingFinished) -> TrainingFinished:
        """Export the generator of a run that ended well and saved its checkpoint, unless quitting skips it."""
        if event.reason not in ("completed", "stopped") or event.checkpoint_path is None or not event.run_dir:
            return event
        if self._skip_export.is_set():
            return replace(event, message=f"{event.message}; the generator was not exported (the app was closing)")
        from ganstudio.paths import ONNX_NAME

        self.stage.emit("Exporting the generator...")
        try:
            onnx_path = trainer.export_onnx(Path(event.run_dir) / ONNX_NAME)
        except Exception as exc:  # the checkpoint is saved: the training is not lost, say what failed
            log.debug("export failed", exc_info=True)
            return replace(event, reason="error", message=f"{event.message}, but exporting the generator failed: {exc}")
        return replace(event, onnx_path=str(onnx_path))

    def _make_control(self, base: type) -> Any:
        worker = self

        class FlushingControl(base):
            """The core control, flushing pending metrics before the loop blocks on a pause."""

            def wait_while_paused(self) -> float:
                if self.paused:
                    worker._flush()
                return super().wait_while_paused()

        control = FlushingControl()
        with self._lock:
            if self._paused:
                control.pause()
            if self._stop.is_set():
                control.stop()
            self._control = control
        return control

    def _load_dataset(self, spec: str, model_config: ModelConfig) -> Any:
        from ganstudio.core.data import builtin_dataset, load_dataset

        builtin = builtin_dataset(spec)
        named = builtin is not None
        title = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST"}.get(builtin or "", Path(spec).name)
        self.stage.emit(f"Loading {title}...")
        signal = self.download_progress if named else self.load_progress  # named sets report only downloads
        req = self.request

        def progress(what: str, done: int, total: int | None) -> None:
            now = time.monotonic()
            final = total is not None and done >= total
            if final or now - self._last_progress >= 1.0 / PROGRESS_HZ:
                self._last_progress = now
                signal.emit(str(what), float(done), float(total if total is not None else -1))

        return load_dataset(
            spec,
            image_size=model_config.image_size,
            channels=model_config.channels,
            data_dir=Path(req.data_dir) if req.data_dir else None,
            download=req.download,
            progress=progress,
            cancel=self._stop.is_set,
            log=lambda text: self.event.emit(LogMessage(text)),
        )

    def _fit_classes(self, model_config: ModelConfig, dataset: Any) -> ModelConfig:
        """Take the class count and names from the data: the form only says whether to be conditional."""
        from ganstudio.core.config import with_changes

        if self.request.conditional:
            if dataset.num_classes < 2:
                raise ConfigError(
                    f"conditional: a class-conditional model needs labelled data, but "
                    f"{dataset.name} has no classes; put each class in its own subfolder "
                    f"or untick Class-conditional",
                    field="num_classes",
                )
            return with_changes(model_config, num_classes=dataset.num_classes, class_names=dataset.class_names)
        return with_changes(model_config, num_classes=0, class_names=dataset.class_names)

    def _discard_unused_run_dir(self) -> bool:
        """Remove this run's own folder when it is still empty; True when it was removed."""
        req = self.request
        if not req.fresh_run_dir or not remove_if_empty(req.run_dir):
            return False
        self.event.emit(LogMessage(f"removed the empty run folder {req.run_dir}"))
        return True

    def _flush(self) -> None:
        """Send the gathered metric rows (if any) as one batch. Called on the worker thread only."""
        if not self._rows:
            return
        rows, self._rows = np.asarray(self._rows, dtype=np.float64), []
        self._last_emit = time.monotonic()
        self.metrics.emit(MetricsBatch(rows, self._latest))
