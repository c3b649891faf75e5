"""The Project tab: draw a digit (or open a picture), see it made MNIST-style, and project it into the model.

Projection runs on a TaskRunner thread (latest-wins: a new stroke cancels the projection in flight) and reports
progress; the result becomes the current sample of Explore (`projected` carries its LatentState), so the user can
morph and interpolate from their own digit. "Save PNG…" writes the projection with its sample state (model hash,
z, class), so opening the PNG later restores it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ganstudio.gui import dialogs
from ganstudio.gui.digit_canvas import DigitCanvas
from ganstudio.gui.image_view import ImageView
from ganstudio.gui.settings import Settings
from ganstudio.gui.task_runner import Cancelled, Report, TaskRunner
from ganstudio.runtime.backends import GeneratorBackend
from ganstudio.runtime.digit_preprocess import DigitImageError, load_picture, mnist_style
from ganstudio.runtime.imaging import to_uint8
from ganstudio.runtime.latent_files import LatentState
from ganstudio.runtime.model_hash import model_sha256
from ganstudio.runtime.png_state import save_png_with_state
from ganstudio.runtime.projection import Projection, ProjectionProgress, Projector

SAVE_SCALE = 8  # a 28x28 digit saved at 224x224: large enough to look at, still exactly the model's pixels
PICTURE_FILTER = "Pictures (*.png *.jpg *.jpeg *.bmp *.gif *.tif *.tiff *.webp);;All files (*)"


class ProjectTab(QWidget):
    projected = Signal(object)  # LatentState of the projection: the window makes it Explore's current sample
    explore_requested = Signal()
    status_message = Signal(str)

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self._backend: GeneratorBackend | None = None
        self._path = ""
        self._projector: Projector | None = None
        self.runner = TaskRunner("ganstudio-project", self)
        self.runner.progress.connect(self._on_progress)
        self.runner.finished.connect(self._on_finished)
        self.runner.failed.connect(self._on_failed)
        self.last: Projection | None = None
        self._build()

    def _build(self) -> None:
        self.canvas = DigitCanvas()
        self.canvas.stroke_finished.connect(self.project)
        self.brush_spin = QSpinBox(minimum=4, maximum=60, value=self.canvas.brush, suffix=" px")
        self.brush_spin.setToolTip("Brush width on the 280x280 canvas (a pen's pressure scales it)")
        self.brush_spin.valueChanged.connect(lambda v: setattr(self.canvas, "brush", v))
        self.undo_button = QPushButton("Undo")
        self.undo_button.clicked.connect(self.canvas.undo)
        self.clear_button = QPushButton("Clear")
        self.clear_button.clicked.connect(self.canvas.clear)
        self.open_button = QPushButton("Open image…")
        self.open_button.clicked.connect(self.open_dialog)
        self.refine_check = QCheckBox("Refine with gradient steps")
        self.refine_check.setChecked(True)
        self.refine_check.setToolTip("Needs the model's checkpoint (.safetensors) beside it; uses PyTorch")
        self.refine_check.toggled.connect(lambda _: self._rebuild_projector())
        self.input_view = ImageView("your digit, made MNIST-style", square=True)
        self.result_view = ImageView("the model's closest sample", square=True)
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.summary = QLabel("Draw a digit, or open a picture of one.")
        self.summary.setWordWrap(True)
        self.explore_button = QPushButton("Explore it")
        self.explore_button.setEnabled(False)
        self.explore_button.setToolTip("The projection is already Explore's current sample: go there")
        self.explore_button.clicked.connect(self.explore_requested)
        self.save_button = QPushButton("Save PNG…")
        self.save_button.setEnabled(False)
        self.save_button.setToolTip("Save the projection as a PNG that remembers its z and class")
        self.save_button.clicked.connect(self.save_dialog)

        tools = QGridLayout()
        tools.addWidget(QLabel("Brush"), 0, 0)
        tools.addWidget(self.brush_spin, 0, 1)
        tools.addWidget(self.undo_button, 0, 2)
        tools.addWidget(self.clear_button, 0, 3)
        tools.addWidget(self.open_button, 1, 0, 1, 2)
        tools.addWidget(self.refine_check, 1, 2, 1, 2)
        left = QVBoxLayout()
        left.addWidget(self.canvas, 1)
        left.addLayout(tools)
        views = QGridLayout()
        views.addWidget(QLabel("Input (28×28)"), 0, 0, Qt.AlignmentFlag.AlignHCenter)
        views.addWidget(QLabel("Projection"), 0, 1, Qt.AlignmentFlag.AlignHCenter)
        views.addWidget(self.input_view, 1, 0)
        views.addWidget(self.result_view, 1, 1)
        right = QVBoxLayout()
        right.addStretch(1)  # the square views are capped at their width: spare height goes around the group
        right.addLayout(views)
        right.addWidget(self.progress)
        right.addWidget(self.summary)
        actions = QHBoxLayout()
        actions.addWidget(self.explore_button)
        actions.addWidget(self.save_button)
        right.addLayout(actions)
        right.addStretch(1)
        layout = QGridLayout(self)
        layout.addLayout(left, 0, 0)
        layout.addLayout(right, 0, 1)
        layout.setColumnStretch(0, 1)
        layout.setColumnStretch(1, 1)

    # -- model ------------------------------------------------------------------------------------------------

    def set_backend(self, backend: GeneratorBackend | None, path: str) -> None:
        self.runner.cancel()
        self.last = None  # a projection belongs to the model that made it
        self.save_button.setEnabled(False)
        self._backend, self._path = backend, path
        self._rebuild_projector()

    def _rebuild_projector(self) -> None:
        self._projector = None
        backend = self._backend
        if backend is None:
            return
        try:
            if self._path:
                self._projector = Projector.for_model(backend, self._path, refine=self.refine_check.isChecked())
            else:  # the live generator: no files beside it, random start only
                self._projector = Projector(backend)
        except Exception as exc:  # a broken encoder file must not stop exploring
            self._projector = Projector(backend)
            self.status_message.emit(f"Projection without its encoder: {exc}")
        self.summary.setText(f"Projects with {self._projector.describe()}.")

    # -- projecting -------------------------------------------------------------------------------------------

    def open_dialog(self) -> None:
        path = dialogs.ask_open_file(self, self._settings, "Open a Picture of a Digit", PICTURE_FILTER)
        if path:
            self.open_picture(path)

    def open_picture(self, path: str | Path) -> bool:
        try:
            gray = load_picture(path)
        except DigitImageError as exc:
            dialogs.show_error(self, "Cannot open the picture", str(exc))
            return False
        self.canvas.set_picture(gray)  # projects through stroke_finished
        return True

    def project(self) -> None:
        projector = self._projector
        if projector is None or self.canvas.is_empty():
            self.runner.cancel()
            self.input_view.set_image(None)
            return
        size = projector.backend.info.image_size
        try:
            digit = mnist_style(self.canvas.picture(), size)
        except DigitImageError as exc:
            self.summary.setText(str(exc))
            return
        self.input_view.set_image(digit[None])
        self.progress.setRange(0, max(1, projector.refine_steps if projector.refines else 1))
        self.progress.setValue(0)

        def task(report: Report, cancelled: Cancelled) -> Projection:
            return projector.project(digit, progress=report, cancel=cancelled)

        self.runner.run(task)

    def _on_progress(self, value: object) -> None:
        if isinstance(value, ProjectionProgress):
            self.progress.setValue(value.step if value.stage == "refine" else 0)
            self.progress.setFormat(f"{value.stage}: pixel error {value.error:.4f}")

    def _on_finished(self, result: object) -> None:
        if not isinstance(result, Projection):
            return
        self.last = result
        self.result_view.set_image(result.image)
        self.progress.setValue(self.progress.maximum())
        stages = " → ".join(f"{name} {error:.4f}" for name, error in result.stages)
        self.summary.setText(f"Pixel error (MSE) {result.error:.4f}: {stages}. It is now Explore's current sample.")
        self.explore_button.setEnabled(True)
        self.save_button.setEnabled(True)
        self.projected.emit(LatentState(np.asarray(result.z, np.float32), result.label, 1.0))

    def save_dialog(self) -> None:
        path = dialogs.ask_save_path(
            self, self._settings, "Save Projection", "projection.png", dialogs.PNG_FILTER, ".png"
        )
        if path:
            try:
                self.save_png(path)
            except (OSError, ValueError) as exc:
                dialogs.show_error(self, "Cannot save the projection", str(exc))
                return
            self.status_message.emit(f"Saved {Path(path).name}")

    def save_png(self, path: str | Path, scale: int = SAVE_SCALE) -> None:
        """The last projection as a PNG with its sample state; raises ValueError before there is one."""
        if self.last is None:
            raise ValueError("there is no projection to save yet")
        sha256 = model_sha256(self._path) if self._path else ""  # the live generator has no file
        save_png_with_state(to_uint8(self.last.image[None])[0], path, self.last.sample_state(sha256, scale))

    def _on_failed(self, message: str) -> None:
        self.summary.setText(f"Projection failed: {message}")
        self.status_message.emit(f"Projection failed: {message}")

    def shutdown(self) -> None:
        self.runner.shutdown()
