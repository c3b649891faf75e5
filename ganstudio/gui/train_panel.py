"""The Train tab: the options form, run controls, live loss plots, a sample grid, live quality metrics and the log.

The panel holds no training state of its own: a `TrainWorker` in a QThread runs the core trainer and sends
plain events; the panel only displays them. Closing the app calls `shutdown()`, which stops the run (the
core saves a checkpoint and exports the generator) and waits for the thread. QThread.terminate() is never used.
Quality metrics (FID, class coverage, mode collapse) are measured from the run's generator snapshots on a second
thread by `LiveMetrics` (metrics_worker.py) and shown by `MetricsView` (metrics_view.py).
"""

from __future__ import annotations

import html
import json
import logging
import math
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QEvent, Qt, QThread, QUrl, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QProgressDialog,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ganstudio.core.config import ConfigError
from ganstudio.core.events import CheckpointSaved, GeneratorSnapshot, LogMessage, SampleGrid, TrainingFinished
from ganstudio.gui import train_form
from ganstudio.gui.caption import Caption
from ganstudio.gui.loss_plots import LossPlots
from ganstudio.gui.metrics_view import MetricsView
from ganstudio.gui.metrics_worker import LiveMetrics
from ganstudio.gui.sample_grid import SampleGridView
from ganstudio.gui.train_form import TrainForm
from ganstudio.gui.train_worker import MetricsBatch, TrainRequest, TrainWorker
from ganstudio.paths import CHECKPOINT_NAME, RUN_SUMMARY_NAME

log = logging.getLogger(__name__)

MIN_TILE_PX = 48  # preview tiles are shown at least this big (whole multiples of the image size)


def show_error(parent: QWidget | None, title: str, message: str) -> None:
    """A readable, modal error box. Module-level so tests can replace it."""
    from ganstudio.gui.dialogs import show_error as dialog_error

    dialog_error(parent, title, message)


def format_duration(seconds: float | None) -> str:
    if seconds is None or seconds != seconds:
        return "--"
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _button(text: str, tip: str, slot) -> QPushButton:
    button = QPushButton(text)
    button.setToolTip(tip)
    button.clicked.connect(slot)
    return button


def _splitter(orientation: Qt.Orientation, *parts: tuple[QWidget, int]) -> QSplitter:
    splitter = QSplitter(orientation)
    for widget, stretch in parts:
        splitter.addWidget(widget)
        splitter.setStretchFactor(splitter.count() - 1, stretch)
    splitter.setSizes([1000 * stretch for _, stretch in parts])
    splitter.setChildrenCollapsible(False)
    return splitter


def _file_link(path: str) -> str:
    return f'<a href="{QUrl.fromLocalFile(path).toString()}">{html.escape(path)}</a>'


class TrainPanel(QWidget):
    model_ready = Signal(str)  # generator.onnx of the finished run, when the user asks to explore it
    snapshot_ready = Signal(object)  # the newest GeneratorSnapshot, for exploring the live generator
    status_message = Signal(str)  # one line for the main window's status bar
    training_active_changed = Signal(bool)  # a run is training now (started or resumed) / no longer (paused, ended)
    training_finished = Signal(object)  # the TrainingFinished event

    def __init__(self, parent: QWidget | None = None, preview_seconds: float = 3.0) -> None:
        super().__init__(parent)
        self.preview_seconds = preview_seconds  # seconds between live sample grids (and generator snapshots)
        self._thread: QThread | None = None
        self._worker: TrainWorker | None = None
        self._was_active = False  # for training_active_changed
        self._download: QProgressDialog | None = None
        self._onnx_path: str | None = None
        self._last_finished: TrainingFinished | None = None
        self._step = 0
        # The newest preview batch (N, C, H, W) and the one on screen.
        self._samples: np.ndarray | None = None
        self._shown: np.ndarray | None = None

        self.form = TrainForm()
        self.form.validity_changed.connect(self._update_buttons)
        scroll = QScrollArea(widgetResizable=True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.form)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.start_button = _button("Start", "Train a new model with these options", self.start)
        self.start_button.setDefault(True)
        self.pause_button = _button("Pause", "Hold training after this step", self.pause)
        self.resume_button = _button("Resume", "Continue the paused training", self.resume)
        self.stop_button = _button(
            "Stop", "Stop after this step; the run is saved and its generator exported", self.stop
        )
        self.resume_run_button = _button(
            "Resume a run...",
            "Continue a saved run folder, training for the budget set above",
            lambda: self.resume_run(),
        )
        buttons = QHBoxLayout()
        for b in (self.start_button, self.pause_button, self.resume_button, self.stop_button):
            buttons.addWidget(b)
        left_widget = QWidget()
        left = QVBoxLayout(left_widget)
        left.setContentsMargins(0, 0, 0, 0)
        left.addWidget(scroll, 1)
        left.addLayout(buttons)
        left.addWidget(self.resume_run_button)
        needed = max(self.form.sizeHint().width(), self.form.advanced.sizeHint().width())
        left_widget.setMinimumWidth(needed + scroll.verticalScrollBar().sizeHint().width() + 6)
        left_widget.setMaximumWidth(max(460, needed + 40))

        self.stage_label = QLabel("Ready")
        self.stage_label.setStyleSheet("font-weight: 600;")
        # Updated ~20 times a second: a QLabel would re-lay out the whole tab (plots included) on every update.
        self.stats_label = Caption()
        self.progress_bar = QProgressBar(minimum=0, maximum=1000, value=0, format="")
        head = QHBoxLayout()
        head.addWidget(self.stage_label)
        head.addWidget(self.stats_label, 1)

        self.plots = LossPlots()
        self.sample_grid = SampleGridView(spacing=2, placeholder="Samples appear here during training")
        self.sample_grid.installEventFilter(self)  # re-fit the samples when resized
        self.sample_caption = QLabel("Samples")
        samples_box = QGroupBox()
        samples_layout = QVBoxLayout(samples_box)
        samples_layout.setContentsMargins(6, 6, 6, 6)
        samples_layout.addWidget(self.sample_caption)
        samples_layout.addWidget(self.sample_grid, 1)
        self.log_view = QPlainTextEdit(readOnly=True, maximumBlockCount=5000, placeholderText="Training log")
        self.log_view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.metrics_view = MetricsView()
        self.live_metrics = LiveMetrics(self.metrics_view, self)
        self.live_metrics.log_message.connect(self._append_log)
        middle = _splitter(Qt.Orientation.Horizontal, (self.plots, 1), (samples_box, 1))
        vertical = _splitter(Qt.Orientation.Vertical, (middle, 5), (self.metrics_view, 3), (self.log_view, 1))

        self.result_label = QLabel("", wordWrap=True, textFormat=Qt.TextFormat.RichText, openExternalLinks=True)
        self.load_button = _button(
            "Load trained model into Explore", "Open the exported generator in the Explore tab", self._load_clicked
        )
        result = QHBoxLayout()
        result.addWidget(self.result_label, 1)
        result.addWidget(self.load_button, 0, Qt.AlignmentFlag.AlignTop)

        right = QVBoxLayout()
        right.setContentsMargins(0, 0, 0, 0)
        right.addLayout(head)
        right.addWidget(self.progress_bar)
        right.addWidget(vertical)
        right.addLayout(result)
        right.setStretch(2, 1)
        layout = QHBoxLayout(self)
        layout.addWidget(left_widget)
        layout.addLayout(right, 1)
        self.load_button.setEnabled(False)
        self._update_buttons()

    # ------------------------------------------------------------------ public API
    def is_running(self) -> bool:
        return self._thread is not None

    def is_paused(self) -> bool:
        return self._worker is not None and self._worker.is_paused()

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
        request = TrainRequest(
            model_config,
            train_config,
            self.form.run_dir(),
            conditional=self.form.conditional(),
            preview_seconds=self.preview_seconds,
        )
        self.plots.set_objective(train_config.loss)
        self._launch(request, f"new run in {request.run_dir}", train_config.dataset)

    def resume_run(self, folder: str | None = None) -> None:
        """Continue a saved run folder for the form's budget (counted on top of what it has done)."""
        if self.is_running():
            return
        folder = folder or train_form.choose_directory(self, "Choose a run folder to continue")
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
        saved = self._run_train_config(folder)
        self.plots.set_objective(str(saved.get("loss") or train_config.loss))
        request = TrainRequest(
            model_config, train_config, folder, resume_from=folder, preview_seconds=self.preview_seconds
        )
        self._launch(request, f"resuming {folder}", str(saved.get("dataset", "")))

    def pause(self) -> None:
        if self._worker is not None and not self._worker.stop_requested():
            self._worker.pause()
            self.stage_label.setText("Paused")
            self.status_message.emit(f"Training paused at step {self._step:,}")
        self._update_buttons()

    def resume(self) -> None:
        if self._worker is not None:
            self._worker.resume()
            self.stage_label.setText("Training")
            self.status_message.emit("Training resumed")
        self._update_buttons()

    def stop(self) -> None:
        if self._worker is not None:
            self._worker.stop()
            self.stage_label.setText("Stopping: saving the checkpoint and exporting the generator...")
            self.status_message.emit("Stopping training...")
        self._update_buttons()

    def shutdown(self, timeout_ms: int = 15000) -> None:
        """Stop any run cleanly (checkpoint + export happen in the core) and wait for its thread."""
        self.live_metrics.shutdown()
        thread, worker = self._thread, self._worker
        if thread is None or worker is None:
            return
        worker.stop()
        self._close_download_dialog()
        thread.quit()  # remembered: the thread's event loop ends as soon as the worker returns
        if not thread.wait(timeout_ms):
            log.warning("training thread still busy after %d ms; leaving it to finish", timeout_ms)
            return
        self._thread_finished()

    # ------------------------------------------------------------------ running
    def _launch(self, request: TrainRequest, what: str, dataset: str) -> None:
        self.plots.clear()
        self.live_metrics.start_run(
            dataset, self.form.metrics_every(), request.data_dir, request.model_config.image_size
        )
        self._samples = None
        self.sample_grid.set_images(None)
        self.sample_caption.setText("Samples")
        self.log_view.clear()
        self.result_label.setText("")
        self.load_button.setEnabled(False)
        self._onnx_path = None
        self._last_finished = None
        self._step = 0
        self._set_progress(0.0)
        self.stats_label.setText("")
        self._append_log(what)

        worker = TrainWorker(request)
        thread = QThread(self)
        thread.setObjectName("ganstudio-training")
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.done.connect(thread.quit, Qt.ConnectionType.DirectConnection)  # quit() is thread-safe
        thread.finished.connect(worker.deleteLater)
        thread.finished.connect(self._on_thread_finished)
        worker.metrics.connect(self._on_metrics)
        worker.event.connect(self._on_event)
        worker.stage.connect(self._on_stage)
        worker.download_progress.connect(self._on_download_progress)
        worker.load_progress.connect(self._on_load_progress)
        worker.failed.connect(self._on_failed)
        worker.cancelled.connect(self._on_cancelled)
        self._worker, self._thread = worker, thread
        self.form.setEnabled(False)
        self._update_buttons()
        self.status_message.emit("Training started")
        thread.start()

    def _on_thread_finished(self) -> None:
        if self._thread is not None and self.sender() is self._thread:  # not a late one shutdown() handled
            self._thread_finished()

    def _thread_finished(self) -> None:
        thread = self._thread
        if thread is None:
            return
        thread.wait()  # `finished` is sent just before the thread ends
        self._thread, self._worker = None, None
        thread.deleteLater()
        self.live_metrics.finished(self._last_finished)  # the final measurement, then its thread ends
        self._close_download_dialog()
        self.form.setEnabled(True)
        self.form.revalidate()
        if self._last_finished is None and self.stage_label.text() not in ("Failed", "Cancelled"):
            self.stage_label.setText("Ready")
        self._update_buttons()

    def _update_buttons(self, *_args) -> None:
        running = self.is_running()
        stopping = running and self._worker is not None and self._worker.stop_requested()
        paused = self.is_paused()
        if (running and not paused) != self._was_active:
            self._was_active = running and not paused
            self.training_active_changed.emit(self._was_active)
        self.start_button.setEnabled(not running and self.form.is_valid())
        self.resume_run_button.setEnabled(not running)
        self.pause_button.setEnabled(running and not paused and not stopping)
        self.resume_button.setEnabled(running and paused and not stopping)
        self.stop_button.setEnabled(running and not stopping)

    # ------------------------------------------------------------------ worker events (UI thread)
    def _on_stage(self, text: str) -> None:
        if text == "Training":
            self._close_download_dialog()
            self._set_progress(0.0)
        if not self.is_paused() and not (self._worker and self._worker.stop_requested()):
            self.stage_label.setText(text)
        self.status_message.emit(text)

    def _on_metrics(self, batch: MetricsBatch) -> None:
        if batch.restored:
            self.plots.clear()
        self.plots.append(batch.rows)
        m = batch.latest
        if m is None:
            if len(batch.rows):
                self._step = int(batch.rows[-1, 0])
            return
        self._step = m.step
        parts = [
            f"epoch {m.epoch:.2f}",
            f"step {m.step:,}",
            f"{m.images_per_second:,.0f} img/s",
            f"elapsed {format_duration(m.elapsed_seconds)}",
        ]
        if m.eta_seconds is not None:
            parts.append(f"ETA {format_duration(m.eta_seconds)}")
        self.stats_label.setText("   ·   ".join(parts))
        self._set_progress(m.progress, f"{m.progress:.0%}" if m.progress is not None else "")

    def _on_event(self, event: object) -> None:
        if isinstance(event, SampleGrid):
            self._samples = event.images
            self._show_samples()
            self.sample_caption.setText(f"Samples at step {event.step:,} (fixed latents)")
        elif isinstance(event, GeneratorSnapshot):
            self.snapshot_ready.emit(event)
            self.live_metrics.snapshot(event)
        elif isinstance(event, LogMessage):
            self._append_log(event.text)
        elif isinstance(event, CheckpointSaved):
            self._append_log(f"checkpoint saved at step {event.step:,}: {event.path}")
        elif isinstance(event, TrainingFinished):
            self._on_finished(event)

    def _on_finished(self, event: TrainingFinished) -> None:
        self._last_finished = event
        self._append_log(event.message)
        self._onnx_path = event.onnx_path if event.onnx_path and Path(event.onnx_path).is_file() else None
        done = {
            "completed": "Training complete",
            "stopped": "Training stopped",
            "diverged": "Training diverged",
            "error": "Training ended with an error",
        }.get(event.reason, f"Training {event.reason}")
        lines = [f"<b>{done}</b> at step {event.step:,}."]
        if event.run_dir:
            lines.append(f"Run folder: {_file_link(event.run_dir)}")
        if self._onnx_path:
            lines.append(f"Generator exported to ONNX: {_file_link(self._onnx_path)}")
        elif event.checkpoint_path:
            lines.append(f"Checkpoint: {_file_link(event.checkpoint_path)}")
        self.result_label.setText("<br>".join(lines))
        self.load_button.setEnabled(self._onnx_path is not None)
        self.stage_label.setText(done)
        if event.reason == "completed":
            self._set_progress(1.0, "100%")
        elif self.progress_bar.maximum() == 0:  # an open-ended run's busy bar
            self._set_progress(0.0)
        self.status_message.emit(f"{done} at step {event.step:,}" + (f": {event.run_dir}" if event.run_dir else ""))
        self.training_finished.emit(event)
        if event.reason == "diverged":
            show_error(self, "Training diverged", event.message)
        elif event.reason == "error":
            show_error(self, "Training problem", event.message)

    def _on_failed(self, message: str) -> None:
        self._close_download_dialog()
        self.stage_label.setText("Failed")
        self._set_progress(0.0)
        self._append_log(f"error: {message}")
        self.status_message.emit(f"Training failed: {message.splitlines()[0] if message else ''}")
        show_error(self, "Training could not run", message)

    def _on_cancelled(self, message: str) -> None:
        self._close_download_dialog()
        self.stage_label.setText("Cancelled")
        self._set_progress(0.0)
        self._append_log(message)
        self.status_message.emit(message[:1].upper() + message[1:])

    def _on_load_progress(self, what: str, done: float, total: float) -> None:
        text = f"Loading {what.removeprefix('loading ')}: {done:,.0f}" + (f" / {total:,.0f}" if total > 0 else "")
        self._set_progress(done / total if total > 0 else None, text)

    def _on_download_progress(self, name: str, done: float, total: float) -> None:
        if self._download is None and self._worker is not None and not self._worker.stop_requested():
            dialog = QProgressDialog("Downloading the dataset...", "Cancel", 0, 1000, self)
            dialog.setWindowTitle("Downloading")
            dialog.setWindowModality(Qt.WindowModality.WindowModal)
            dialog.setAutoClose(False)
            dialog.setAutoReset(False)
            dialog.setMinimumDuration(0)
            dialog.setMinimumWidth(420)
            dialog.canceled.connect(self._cancel_download)
            dialog.show()
            self._download = dialog
        if self._download is None:
            return
        size = f"{done / 1e6:.1f} / {total / 1e6:.1f} MB" if total > 0 else f"{done / 1e6:.1f} MB"
        self._download.setLabelText(f"Downloading {name}\n{size}")
        if total > 0:
            self._download.setRange(0, 1000)
            self._download.setValue(int(1000 * min(1.0, done / total)))
        else:
            self._download.setRange(0, 0)

    def _cancel_download(self) -> None:
        if self._worker is not None:
            self._worker.stop()
            self.stage_label.setText("Cancelling the download...")
        self._update_buttons()

    def _close_download_dialog(self) -> None:
        dialog, self._download = self._download, None
        if dialog is not None:
            dialog.canceled.disconnect(self._cancel_download)  # hiding/closing emits canceled otherwise
            dialog.hide()
            dialog.deleteLater()

    # ------------------------------------------------------------------ helpers
    def _set_progress(self, fraction: float | None, text: str = "") -> None:
        """A fraction in [0, 1], or None for a busy bar (open-ended runs, unknown totals)."""
        if fraction is None:
            self.progress_bar.setRange(0, 0)
        else:
            self.progress_bar.setRange(0, 1000)
            self.progress_bar.setValue(round(1000 * min(1.0, max(0.0, fraction))))
        self.progress_bar.setFormat(text)

    def _show_samples(self) -> None:
        """As many of the preview samples as fit at a readable size: k x k tiles, k from 8 down to 4."""
        images = self._samples
        if images is None or len(images) == 0:
            return
        size = images.shape[-1]
        tile = size * max(1, math.ceil(MIN_TILE_PX / size))
        side = min(self.sample_grid.width(), self.sample_grid.height())
        k = min(8, math.isqrt(len(images)))
        while k > 4 and k * tile + (k + 1) * 2 > side:
            k -= 1
        if self.sample_grid.count() != k * k or self.sample_grid.columns() != k or images is not self._shown:
            self._shown = images
            self.sample_grid.set_images(images[: k * k], columns=k)

    def eventFilter(self, watched, event) -> bool:
        if watched is self.sample_grid and event.type() == QEvent.Type.Resize:
            self._show_samples()
        return super().eventFilter(watched, event)

    def _load_clicked(self) -> None:
        if self._onnx_path:
            self.status_message.emit(f"Opening {self._onnx_path} in Explore")
            self.model_ready.emit(self._onnx_path)

    def _append_log(self, text: str) -> None:
        stamp = time.strftime("%H:%M:%S")
        for line in str(text).splitlines() or [""]:
            self.log_view.appendPlainText(f"{stamp}  {line}")

    @staticmethod
    def _run_train_config(folder: str) -> dict:
        """The training options saved in a run folder's run.json ({} when unreadable)."""
        try:
            document = json.loads((Path(folder) / RUN_SUMMARY_NAME).read_text(encoding="utf-8"))
            config = document["train_config"]
            return config if isinstance(config, dict) else {}
        except (OSError, ValueError, KeyError, TypeError):
            return {}
