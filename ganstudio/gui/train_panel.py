"""The Train tab: the options form, run controls, live loss plots, a sample grid, live quality metrics and the log.

The panel composes small widgets, each with one job, and wires them together:
- `TrainForm` (train_form.py): the options; `TrainControls` (train_controls.py): the run buttons;
- `TrainRun` (train_run.py): the run's thread and worker, the one place that knows whether a run is going;
- `TrainHeader`, `LossPlots`, `TrainSamples`, `MetricsView`, `TrainLog`, `TrainResult`: what the run shows;
- `LiveMetrics` (metrics_worker.py): FID, class coverage and mode collapse, measured on a second thread.
Towards the main window it emits intent signals (`model_ready`, `snapshot_ready`, ...); it holds no training
state of its own. Closing the app calls `shutdown_with_feedback()`, which stops the run cleanly (checkpoint saved,
export skipped) while a dialog says so and the window keeps painting; `shutdown()` stops and waits plainly.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEventLoop, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressDialog,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ganstudio.core.config import ConfigError
from ganstudio.core.data import builtin_dataset, default_download_dir
from ganstudio.core.events import CheckpointSaved, GeneratorSnapshot, LogMessage, SampleGrid, TrainingFinished
from ganstudio.gui import train_form
from ganstudio.gui.dialogs import WidthHint
from ganstudio.gui.download_progress import DownloadProgress
from ganstudio.gui.fit_scroll_area import FitScrollArea
from ganstudio.gui.loss_plots import LossPlots
from ganstudio.gui.metrics_view import MetricsView
from ganstudio.gui.metrics_worker import LiveMetrics
from ganstudio.gui.sample_grid import SampleGridView
from ganstudio.gui.train_controls import TrainControls
from ganstudio.gui.train_form import TrainForm
from ganstudio.gui.train_header import TrainHeader
from ganstudio.gui.train_log import TrainLog
from ganstudio.gui.train_result import TrainResult, finish_title
from ganstudio.gui.train_run import TrainRun
from ganstudio.gui.train_samples import TrainSamples
from ganstudio.gui.train_worker import MetricsBatch, TrainRequest
from ganstudio.paths import CHECKPOINT_NAME, RUN_SUMMARY_NAME, runs_root

ENDINGS = {"stopped": "stopped", "diverged": "diverged", "error": "failed"}  # how a run ended, in the bar


QUIT_EXPLAIN_MS = 1500  # a quit that takes longer says why
QUIT_LIMIT_MS = 60_000  # waiting longer than this for a checkpoint write means something is wrong
SLOW_SAVE_TEXT = (
    "Saving the run...\nStill writing the checkpoint of step {step:,}: a large model or a slow disk takes a few "
    "seconds.\nThe window closes when it is saved, so the run can be resumed."
)


def quit_dialog(parent: QWidget, step: int) -> QProgressDialog:
    """A busy dialog without buttons, shown while quitting saves the run."""
    dialog = QProgressDialog(parent, labelText=f"Saving the run...\nStopping training at step {step:,}", maximum=0)
    dialog.setCancelButton(None)  # nothing to cancel: the save must finish
    dialog.setWindowTitle("Saving the run")
    dialog.setWindowModality(Qt.WindowModality.ApplicationModal)
    dialog.setMinimumDuration(0)
    dialog.setMinimumWidth(420)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    dialog.show()
    return dialog


def show_error(parent: QWidget | None, title: str, message: str) -> None:
    """A readable, modal error box."""
    from ganstudio.gui.dialogs import show_error as dialog_error

    dialog_error(parent, title, message)


def saved_train_options(folder: str) -> dict[str, Any]:
    """The training options saved in a run folder's run.json ({} when unreadable)."""
    try:
        document = json.loads((Path(folder) / RUN_SUMMARY_NAME).read_text(encoding="utf-8"))
        config = document["train_config"]
        return config if isinstance(config, dict) else {}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


LEFT_COLUMN_MIN_WIDTH = 350
# Percent of the tab's width the options column takes, within its minimum and maximum: on a 1024 px screen the
# plots, samples and quality metrics need the width more than the form (which scrolls), on a wide one it has room.
FORM_SHARE = 38


def claim_run_dir(form: TrainForm) -> tuple[str, bool]:
    """The run folder for a new run, and whether it is new (made now, or not there yet): only then may a run
    that writes nothing remove it again."""
    typed = form.run_dir_edit.text().strip()
    existed = bool(typed) and Path(typed).expanduser().exists()
    return form.run_dir(), not existed


def _splitter(orientation: Qt.Orientation, *parts: tuple[QWidget, int]) -> QSplitter:
    splitter = QSplitter(orientation)
    for widget, stretch in parts:
        splitter.addWidget(widget)
        splitter.setStretchFactor(splitter.count() - 1, stretch)
    splitter.setSizes([1000 * stretch for _, stretch in parts])
    splitter.setChildrenCollapsible(False)
    return splitter


class TrainPanel(QWidget):
    model_ready = Signal(str)  # generator.onnx of the finished run, when the user asks to explore it
    snapshot_ready = Signal(object)  # the newest GeneratorSnapshot, for exploring the live generator
    status_message = Signal(str)  # one line for the main window's status bar
    training_active_changed = Signal(bool)  # a run is training now (started or resumed) / no longer (paused, ended)
    training_finished = Signal(object)  # the TrainingFinished event

    def __init__(self, parent: QWidget | None = None, preview_seconds: float = 3.0) -> None:
        super().__init__(parent)
        self.preview_seconds = preview_seconds  # seconds between live sample grids (and generator snapshots)
        self._last_finished: TrainingFinished | None = None
        self._ended_early = False  # the run failed or was cancelled before training
        self._step = 0
        self._run_dir = ""  # the folder of the run in progress, or of the last one
        self.form = TrainForm()
        self.controls = TrainControls()
        self.header = TrainHeader()
        self.plots = LossPlots()
        self.samples = TrainSamples()
        self.metrics_view = MetricsView()
        self.live_metrics = LiveMetrics(self.metrics_view, self)
        self.log_view = TrainLog()
        self.result = TrainResult()
        self.run = TrainRun(self)
        self.download = DownloadProgress(self)
        self._lay_out()
        self._connect()
        self._update_buttons()

    # ------------------------------------------------------------------ parts callers and tests reach
    @property
    def start_button(self) -> QPushButton:
        return self.controls.start_button

    @property
    def pause_button(self) -> QPushButton:
        return self.controls.pause_button

    @property
    def resume_button(self) -> QPushButton:
        return self.controls.resume_button

    @property
    def stop_button(self) -> QPushButton:
        return self.controls.stop_button

    @property
    def resume_run_button(self) -> QPushButton:
        return self.controls.resume_run_button

    @property
    def load_button(self) -> QPushButton:
        return self.result.load_button

    @property
    def result_label(self) -> QLabel:
        return self.result.label

    @property
    def stage_label(self) -> QLabel:
        return self.header.stage_label

    @property
    def sample_grid(self) -> SampleGridView:
        return self.samples.grid

    # ------------------------------------------------------------------ public API
    def is_running(self) -> bool:
        return self.run.is_running()

    def is_paused(self) -> bool:
        return self.run.state().paused

    def current_step(self) -> int:
        return self._step

    def last_result(self) -> TrainingFinished | None:
        return self._last_finished

    def start(self) -> None:
        """Start a new run with the form's options."""
        if self.is_running():
            return
        self.form.revalidate()  # the run folder may have changed on disk since the last edit
        if not self.form.is_valid():
            return
        model_config, train_config = self.form.configs()
        self.form.save_settings()
        run_dir, fresh = claim_run_dir(self.form)
        request = TrainRequest(
            model_config,
            train_config,
            run_dir,
            conditional=self.form.conditional(),
            data_dir=self.form.data_dir(),
            preview_seconds=self.preview_seconds,
            fresh_run_dir=fresh,
        )
        self.plots.set_objective(train_config.loss)
        self._launch(request, f"new run in {request.run_dir}", train_config.dataset)

    def resume_run(self, folder: str | None = None) -> None:
        """Continue a saved run folder for the form's budget (counted on top of what it has done)."""
        if self.is_running():
            return
        folder = folder or train_form.choose_directory(self, "Choose a run folder to continue", str(runs_root()))
        if not folder:
            return
        if not (Path(folder) / CHECKPOINT_NAME).is_file():
            show_error(self, "Cannot resume", f"{folder} holds no {CHECKPOINT_NAME}; choose a GAN Studio run folder.")
            return
        self.form.revalidate()
        try:
            model_config, train_config = self.form.resume_configs()
        except ConfigError as exc:
            show_error(self, "Cannot resume", f"Fix the options first (their budget and device are used):\n{exc}")
            return
        saved = saved_train_options(folder)
        moved_to = self._moved_dataset(folder)
        if moved_to == "":
            return
        self.plots.set_objective(str(saved.get("loss") or train_config.loss))
        request = TrainRequest(
            model_config,
            train_config,
            folder,
            resume_from=folder,
            data_dir=self.form.data_dir(),
            preview_seconds=self.preview_seconds,
            dataset_moved_to=moved_to,
        )
        self._launch(request, f"resuming {folder}", str(saved.get("dataset", "")))

    def _moved_dataset(self, folder: str) -> str | None:
        """Where a resumed run's image folder is now: None when it is where the run recorded it (or the
        checkpoint cannot tell; the run reports that), the folder the user picks when it moved, "" if cancelled."""
        from ganstudio.core.checkpoint_header import CheckpointError, read_checkpoint_header
        from ganstudio.core.run_setup import DatasetMissingError, resume_dataset

        try:
            resume_dataset(read_checkpoint_header(Path(folder)).train_config.dataset)
        except CheckpointError:
            return None
        except DatasetMissingError as exc:
            self.status_message.emit(str(exc))
            return train_form.choose_directory(self, "The run's image folder moved: choose where it is now")
        return None

    def pause(self) -> None:
        if self.run.pause():
            self.header.set_stage("Paused")
            self.status_message.emit(f"Training paused at step {self._step:,}")

    def resume(self) -> None:
        if self.run.resume():
            self.header.set_stage("Training")
            self.status_message.emit("Training resumed")

    def stop(self) -> None:
        if self.run.stop():
            self.header.show_stopping()
            self.status_message.emit("Stopping training...")

    def shutdown_with_feedback(self, explain_after_ms: int = QUIT_EXPLAIN_MS, limit_ms: int = QUIT_LIMIT_MS) -> bool:
        """For quitting: stop the run, saving its checkpoint but skipping the ONNX export, while a progress
        dialog says so and the window keeps painting (a local event loop waits, not the UI thread). A stop
        takes well under 2 s for the app's models; past `explain_after_ms` the dialog says what still takes
        time. True when the run has ended (within `limit_ms`)."""
        if not self.is_running():
            self.live_metrics.shutdown()
            return True
        self.download.close()
        self.run.stop(export=False)
        self.header.show_stopping()
        dialog = quit_dialog(self.window(), self._step)
        QApplication.processEvents()  # paint the dialog before anything else may block
        self.live_metrics.shutdown()
        loop = QEventLoop(self)
        self.run.ended.connect(loop.quit)
        explain = QTimer(self, singleShot=True, interval=explain_after_ms)
        explain.timeout.connect(lambda: dialog.setLabelText(SLOW_SAVE_TEXT.format(step=self._step)))
        give_up = QTimer(self, singleShot=True, interval=limit_ms)
        give_up.timeout.connect(loop.quit)
        if self.is_running():
            explain.start()
            give_up.start()
            loop.exec()
        self.run.ended.disconnect(loop.quit)
        explain.stop()
        give_up.stop()
        dialog.close()
        dialog.deleteLater()
        return not self.is_running()

    def shutdown(self, timeout_ms: int = 15000) -> None:
        """Stop any run cleanly (checkpoint + export happen in the core) and wait for its thread."""
        self.live_metrics.shutdown()
        if self.is_running():
            self.download.close()
            self.run.shutdown(timeout_ms)

    # ------------------------------------------------------------------ building
    def _lay_out(self) -> None:
        layout = QHBoxLayout(self)
        layout.addWidget(self._left_column(), FORM_SHARE)
        right = QVBoxLayout()
        right.setContentsMargins(0, 0, 0, 0)
        middle = _splitter(Qt.Orientation.Horizontal, (self.plots, 1), (self.samples, 1))
        views = _splitter(
            Qt.Orientation.Vertical, (middle, 5), (FitScrollArea(self.metrics_view), 3), (self.log_view, 1)
        )
        right.addWidget(self.header)
        right.addWidget(views, 1)
        right.addWidget(self.result)
        layout.addLayout(right, 100 - FORM_SHARE)

    def _left_column(self) -> QWidget:
        """The options form (scrolling) above the run buttons, just wide enough for the form."""
        scroll = QScrollArea(widgetResizable=True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.form)
        needed = max(self.form.sizeHint().width(), self.form.advanced.sizeHint().width())
        width = needed + scroll.verticalScrollBar().sizeHint().width() + 6
        column = WidthHint(width)  # the form's width when there is room ...
        layout = QVBoxLayout(column)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.controls)
        column.setMinimumWidth(min(width, LEFT_COLUMN_MIN_WIDTH))  # ... and less on a 1024 px screen (it scrolls)
        column.setMaximumWidth(max(460, needed + 40))
        return column

    def _connect(self) -> None:
        self.form.validity_changed.connect(self._update_buttons)
        self.controls.start_requested.connect(self.start)
        self.controls.pause_requested.connect(self.pause)
        self.controls.resume_requested.connect(self.resume)
        self.controls.stop_requested.connect(self.stop)
        self.controls.resume_run_requested.connect(lambda: self.resume_run())
        self.result.load_requested.connect(self._open_in_explore)
        self.download.cancel_requested.connect(self._cancel_download)
        self.live_metrics.log_message.connect(self.log_view.add)
        run = self.run
        run.state_changed.connect(self._update_buttons)
        run.active_changed.connect(self.training_active_changed)
        run.metrics.connect(self._on_metrics)
        run.train_event.connect(self._on_event)
        run.stage.connect(self._on_stage)
        run.download_progress.connect(self._on_download_progress)
        run.load_progress.connect(self.header.show_load_progress)
        run.failed.connect(self._on_failed)
        run.cancelled.connect(self._on_cancelled)
        run.ended.connect(self._on_ended)

    # ------------------------------------------------------------------ running
    def _launch(self, request: TrainRequest, what: str, dataset: str) -> None:
        self.plots.clear()
        model = request.model_config
        self.live_metrics.start_run(
            dataset, self.form.metrics_every(), request.data_dir, model.image_size, model.channels
        )
        self.samples.clear()
        self.log_view.clear()
        self.result.clear()
        self.header.reset()
        self._last_finished = None
        self._ended_early = False
        self._step = 0
        self.log_view.add(what)
        builtin = builtin_dataset(dataset)
        self.download.destination = str(default_download_dir(builtin)) if builtin else ""
        self._run_dir = request.run_dir
        self.form.show_active_run_dir(request.run_dir)
        self.form.setEnabled(False)
        self.status_message.emit("Training started")
        self.run.start(request)

    def _on_ended(self) -> None:
        self.live_metrics.finished(self._last_finished)  # the final measurement, then its thread ends
        self.download.close()
        self.form.end_active_run_dir(self._run_dir)
        self.form.setEnabled(True)
        self.form.revalidate()
        if self._last_finished is None and not self._ended_early:
            self.header.set_stage("Ready")

    def _update_buttons(self, *_args: object) -> None:
        self.controls.show_state(self.run.state(), self.form.is_valid())

    # ------------------------------------------------------------------ what the run reports (UI thread)
    def _on_stage(self, text: str) -> None:
        state = self.run.state()
        if text == "Training":
            self.download.close()
            self.header.set_progress(0.0)
        if not state.paused and not state.stopping:
            self.header.set_stage(text)
        self.status_message.emit(text)

    def _on_metrics(self, batch: MetricsBatch) -> None:
        if batch.restored:
            self.plots.clear()
        self.plots.append(batch.rows)
        if batch.latest is not None:
            self._step = batch.latest.step
            self.header.show_metrics(batch.latest)
        elif len(batch.rows):
            self._step = int(batch.rows[-1, 0])

    def _on_event(self, event: object) -> None:
        if isinstance(event, SampleGrid):
            self.samples.show_grid(event)
        elif isinstance(event, GeneratorSnapshot):
            self.snapshot_ready.emit(event)
            self.live_metrics.snapshot(event)
        elif isinstance(event, LogMessage):
            self.log_view.add(event.text)
        elif isinstance(event, CheckpointSaved):
            self.log_view.add(f"checkpoint saved at step {event.step:,}: {event.path}")
        elif isinstance(event, TrainingFinished):
            self._on_finished(event)

    def _on_finished(self, event: TrainingFinished) -> None:
        self._last_finished = event
        self.log_view.add(event.message)
        title = finish_title(event.reason)
        self.result.show_finished(event)
        self.header.show_finished(title, event.reason == "completed", ENDINGS.get(event.reason, event.reason))
        self.status_message.emit(f"{title} at step {event.step:,}" + (f": {event.run_dir}" if event.run_dir else ""))
        self.training_finished.emit(event)
        if event.reason == "diverged":
            show_error(self, "Training diverged", event.message)
        elif event.reason == "error":
            show_error(self, "Training problem", event.message)

    def _on_failed(self, message: str) -> None:
        self._end_early("Failed", f"error: {message}")
        self.status_message.emit(f"Training failed: {message.splitlines()[0] if message else ''}")
        show_error(self, "Training could not run", message)

    def _on_cancelled(self, message: str) -> None:
        self._end_early("Cancelled", message)
        self.status_message.emit(message[:1].upper() + message[1:])

    def _end_early(self, stage: str, log_line: str) -> None:
        self._ended_early = True
        self.download.close()
        self.header.show_ended(stage, stage.lower())
        self.log_view.add(log_line)

    def _on_download_progress(self, name: str, done: float, total: float) -> None:
        state = self.run.state()
        if self.download.is_open() or (state.running and not state.stopping):
            self.download.report(name, done, total)

    def _cancel_download(self) -> None:
        if self.run.stop():
            self.header.set_stage("Cancelling the download...")

    def _open_in_explore(self, onnx_path: str) -> None:
        self.status_message.emit(f"Opening {onnx_path} in Explore")
        self.model_ready.emit(onnx_path)
