"""The Explore tab: the current sample, large; a seeded 8x8 grid; latent sliders, truncation and classes.

This tab is the controller of one exploration session: it owns the current latent (z before truncation,
label, truncation, blend) and asks the RenderService for pictures. Its widgets only show values and report
edits. Every edit posts a render on the "current" (or "grid") channel, latest-wins, so dragging a slider
re-renders continuously without ever blocking the UI thread.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, Qt, Signal, Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QMenu,
    QPushButton,
    QSlider,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ganstudio.runtime.imaging import save_png, upscale
from ganstudio.runtime.latent import sample_latents, truncate
from ganstudio.gui.caption import Caption
from ganstudio.gui.dialogs import make_header, make_panel, make_row
from ganstudio.gui.image_view import ImageView, to_qimage
from ganstudio.gui.latent_sliders import LatentSliders, LatentState, load_latent, save_latent
from ganstudio.gui.render_worker import RenderResult, RenderService
from ganstudio.gui.sample_grid import SampleGridView
from ganstudio.gui.settings import Settings

GRID_COLUMNS = 8
GRID_SIZE = GRID_COLUMNS * GRID_COLUMNS
EMPTY_TEXT = "Open a model (Ctrl+O) or train one"
CROSSFADE_TIP = (
    "This model runs in onnxruntime, which only accepts whole class labels, so this slider "
    "cross-fades the pictures of the two classes (same z). It is not a learned morph; a "
    "checkpoint (.safetensors) or the live training generator blends the label embeddings."
)
MORPH_TIP = "Mixes the two classes' label embeddings inside the generator: a real morph from one class to the other."


class ExploreTab(QWidget):
    status_message = Signal(str)
    render_time = Signal(float)  # ms of the last "current" render
    keyframe_requested = Signal(str, object)  # role ("A", "B", "add"), LatentState
    slider_moved = Signal()  # the user moved a latent, truncation or blend slider (background work may wait)

    def __init__(self, renderer: RenderService, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._renderer, self._settings = renderer, settings
        self._backend = None
        self._z = np.zeros(0, np.float32)  # current latent, before truncation
        self._origin = self._z  # what Reset returns to: the selected sample's latent
        self._label = 0
        self._grid_z: np.ndarray | None = None  # raw latents behind the grid on screen
        self._grid_labels: np.ndarray | None = None
        self._selected: int | None = None
        self._build()
        self._restore()
        self.set_backend(None)

    # -- layout -------------------------------------------------------------------------------------------

    def _build(self) -> None:
        self.view = ImageView(EMPTY_TEXT)
        self.view.setToolTip("The current sample, upscaled without smoothing. Ctrl+C copies it, Ctrl+S saves it.")
        self.caption = Caption()  # not a QLabel: its setText would re-layout the tab on every slider tick
        self.scale_spin = QSpinBox(minimum=1, maximum=16, suffix="×")
        self.scale_spin.setToolTip("Scale for Save Image and Copy Image (nearest neighbour: pixels stay crisp)")
        self.copy_button = copy = QPushButton("Copy")
        copy.setToolTip("Copy the current image to the clipboard (Ctrl+C)")
        copy.clicked.connect(self.copy_image)
        self.save_button = QPushButton("Save…")
        self.save_button.setToolTip("Save the current image as PNG at the chosen scale (Ctrl+S)")
        header = make_header("Current sample", self.caption)
        header.layout().setStretchFactor(self.caption, 1)
        left = make_panel(
            header, self.view, make_row(1, QLabel("Scale"), self.scale_spin, copy, self.save_button), stretch_last=False
        )
        left.layout().setStretch(1, 1)

        self.seed_spin = QSpinBox(minimum=0, maximum=2**31 - 1)
        self.seed_spin.setToolTip("Seed of the sample grid: the same seed always gives the same 64 samples")
        self.seed_spin.valueChanged.connect(self._on_seed)
        self.reseed_button = reseed = QPushButton("Reseed")
        reseed.setToolTip("Draw a new random seed for the grid (Ctrl+Shift+R)")
        reseed.clicked.connect(lambda: self.reseed())
        self.grid = SampleGridView(placeholder=EMPTY_TEXT)
        self.grid.setToolTip("Click a sample to make it current; right-click to use it as an interpolation keyframe")
        self.grid.cell_clicked.connect(self.select_cell)
        self.grid.cell_context_requested.connect(self._grid_menu)
        middle = make_panel(make_header("Samples", 1, QLabel("Seed"), self.seed_spin, reseed), self.grid)

        self.class_combo = QComboBox()
        self.class_combo.setToolTip("The class to generate (class-conditional models)")
        self.class_combo.currentIndexChanged.connect(self._on_class)
        self.blend_combo = QComboBox()
        self.blend_combo.setToolTip("Second class for the blend slider")
        self.blend_combo.currentIndexChanged.connect(lambda _i: self._request_current())
        self.blend_slider = QSlider(Qt.Orientation.Horizontal, minimum=0, maximum=100)
        self.blend_slider.valueChanged.connect(self._on_blend)
        self.blend_value = QLabel("0.00")
        self.blend_mode = QLabel()
        self.blend_mode.setEnabled(False)  # drawn in the palette's secondary text colour
        self.class_box = make_panel(
            make_row(QLabel("Class"), self.class_combo, 1, QLabel("Blend to"), self.blend_combo),
            make_row(QLabel("Blend"), self.blend_slider, self.blend_value, self.blend_mode),
            stretch_last=False,
        )
        self.class_box.layout().setContentsMargins(0, 0, 0, 0)

        self.trunc_slider = QSlider(Qt.Orientation.Horizontal, minimum=0, maximum=200)
        self.trunc_slider.setToolTip(
            "Truncation ψ: scales z towards the mean. Below 1: more typical, cleaner "
            "samples; above 1: more varied, stranger ones. Applies to the grid too."
        )
        self.trunc_slider.valueChanged.connect(self._on_truncation)
        self.trunc_label = QLabel("1.00")
        randomize = QPushButton("Randomize")
        randomize.setToolTip("A new random latent (Ctrl+R)")
        randomize.clicked.connect(self.randomize)
        reset = QPushButton("Reset")
        reset.setToolTip("Back to the selected sample's latent, undoing slider edits (Ctrl+0)")
        reset.clicked.connect(self.reset)
        self.sliders = LatentSliders()
        self.sliders.value_changed.connect(self._on_slider)
        self.sliders.visible_dims_changed.connect(lambda _d: self.sliders.set_values(self._z))
        self.controls = make_panel(
            make_header("Latent"),
            self.class_box,
            make_row(QLabel("Truncation"), self.trunc_slider, self.trunc_label),
            make_row(randomize, reset, 1),
            self.sliders,
        )

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        for widget, stretch in ((left, 3), (middle, 3), (self.controls, 2)):
            self.splitter.addWidget(widget)
            self.splitter.setStretchFactor(self.splitter.count() - 1, stretch)
        self.splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)

    def _restore(self) -> None:
        s = self._settings
        for widget, value in (
            (self.seed_spin, s.get_int("explore/seed", 0, 0, 2**31 - 1)),
            (self.scale_spin, s.get_int("explore/save_scale", 8, 1, 16)),
            (self.trunc_slider, round(s.get_float("explore/truncation", 1.0, 0.0, 2.0) * 100)),
        ):
            widget.blockSignals(True)
            widget.setValue(value)
            widget.blockSignals(False)
        self.trunc_label.setText(f"{self.truncation():.2f}")
        self.sliders.set_show_all(s.get_bool("explore/show_all_dims", False))
        state = s.get_bytes("explore/splitter")
        if state is not None:
            self.splitter.restoreState(state)

    def save_settings(self) -> None:
        s = self._settings
        s.set("explore/seed", self.seed_spin.value())
        s.set("explore/save_scale", self.scale_spin.value())
        s.set("explore/truncation", self.truncation())
        s.set("explore/show_all_dims", self.sliders.show_all())
        s.set("explore/splitter", self.splitter.saveState())

    # -- model --------------------------------------------------------------------------------------------

    def backend(self):
        return self._backend

    def set_backend(self, backend) -> None:
        """Show a new model; keeps the latent when the latent size is unchanged."""
        old_dim = self._z.shape[0]
        self._backend = backend
        info = backend.info if backend is not None else None
        has = info is not None
        for widget in (
            self.controls,
            self.seed_spin,
            self.reseed_button,
            self.scale_spin,
            self.copy_button,
            self.save_button,
        ):
            widget.setEnabled(has)
        if not has:
            self._z = self._origin = np.zeros(0, np.float32)
            self._grid_z = self._grid_labels = None
            self.view.set_image(None)
            self.grid.set_images(None)
            self.sliders.set_latent_dim(0)
            self.caption.setText("No model")
            self.class_box.setVisible(False)
            return
        if info.latent_dim != old_dim:
            self._z = sample_latents(GRID_SIZE, info.latent_dim, self.seed_spin.value())[0]
            self._origin, self._selected = self._z.copy(), 0
            self._grid_z = None
        self._setup_classes(info)
        self.sliders.set_latent_dim(info.latent_dim)
        self.sliders.set_values(self._z)
        self._update_caption()
        self._request_current()
        self._request_grid()

    def _setup_classes(self, info) -> None:
        self.class_box.setVisible(info.conditional)
        names = [f"{i}: {info.class_name(i)}" if info.class_names else str(i) for i in range(info.num_classes)]
        for combo, index in (
            (self.class_combo, min(self._label, max(0, info.num_classes - 1))),
            (self.blend_combo, min(1, max(0, info.num_classes - 1))),
        ):
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(names)
            combo.setCurrentIndex(index)
            combo.blockSignals(False)
        self._label = max(0, self.class_combo.currentIndex())
        morph = hasattr(self._backend, "generate_blend")
        self.blend_slider.setToolTip(MORPH_TIP if morph else CROSSFADE_TIP)
        self.blend_mode.setText("morph" if morph else "cross-fade")
        self.blend_mode.setToolTip(self.blend_slider.toolTip())

    # -- state --------------------------------------------------------------------------------------------

    def truncation(self) -> float:
        return self.trunc_slider.value() / 100.0

    def latent_state(self) -> LatentState | None:
        if self._backend is None:
            return None
        label = self._label if self._backend.info.conditional else None
        return LatentState(self._z.copy(), label, self.truncation())

    def set_latent_state(self, state: LatentState) -> None:
        self._z = np.asarray(state.z, np.float32).copy()
        self._origin, self._selected = self._z.copy(), None
        self.grid.set_selected(None)
        if state.label is not None and self.class_combo.count():
            self.class_combo.blockSignals(True)
            self.class_combo.setCurrentIndex(state.label)
            self.class_combo.blockSignals(False)
            self._label = state.label
        self.trunc_slider.setValue(round(state.truncation * 100))
        self.sliders.set_values(self._z)
        self._update_caption()
        self._request_current()
        self._request_grid()

    def current_picture(self) -> np.ndarray | None:
        """The current sample as shown, (H, W, C) uint8."""
        return self.view.picture()

    def _update_caption(self, edited: bool = False) -> None:
        edited = edited or not np.array_equal(self._z, self._origin)
        where = f"Grid sample {self._selected + 1}" if self._selected is not None else "Custom latent"
        self.caption.setText(f"{where}{' (edited)' if edited else ''} · |z| = {np.linalg.norm(self._z):.2f}")

    # -- user actions -------------------------------------------------------------------------------------

    @Slot(int)
    def select_cell(self, index: int) -> None:
        if self._grid_z is None or not 0 <= index < len(self._grid_z):
            return
        if self._grid_labels is not None:
            self._label = int(self._grid_labels[index])
        self._set_current(self._grid_z[index], index)

    def randomize(self) -> None:
        if self._backend is None:
            return
        self._set_current(np.random.default_rng().standard_normal(self._z.shape[0]).astype(np.float32), None)

    def _set_current(self, z: np.ndarray, selected: int | None) -> None:
        """A new current latent (Reset returns to it); `selected` is its grid cell, if it came from the grid."""
        self._z = z.copy()
        self._origin, self._selected = self._z.copy(), selected
        self.grid.set_selected(selected)
        self.sliders.set_values(self._z)
        self._update_caption()
        self._request_current()

    def reset(self) -> None:
        if self._backend is None:
            return
        self._z = self._origin.copy()
        self.blend_slider.setValue(0)
        self.sliders.set_values(self._z)
        self._update_caption()
        self._request_current()

    def reseed(self, seed: int | None = None) -> None:
        self.seed_spin.setValue(int(np.random.default_rng().integers(0, 2**31 - 1)) if seed is None else seed)

    def _on_slider(self, dim: int, value: float) -> None:
        if dim < self._z.shape[0]:
            self._z[dim] = value
            self._update_caption(edited=True)
            self._request_current()
            self.slider_moved.emit()

    def _on_seed(self, _seed: int) -> None:
        self._selected = None  # the grid now shows other samples; the current latent stays
        self.grid.set_selected(None)
        self._update_caption()
        self._request_grid()

    def _on_truncation(self, ticks: int) -> None:
        self.trunc_label.setText(f"{ticks / 100:.2f}")
        self._request_current()
        self._request_grid()
        self.slider_moved.emit()

    def _on_class(self, index: int) -> None:
        self._label = max(0, index)
        self._request_current()
        self._request_grid()

    def _on_blend(self, value: int) -> None:
        self.blend_value.setText(f"{value / 100:.2f}")
        self._request_current()
        self.slider_moved.emit()

    def _grid_menu(self, index: int, where: QPoint) -> None:
        if self._grid_z is None:
            return
        label = int(self._grid_labels[index]) if self._grid_labels is not None else None
        state = LatentState(self._grid_z[index].copy(), label, self.truncation())
        menu = QMenu(self)
        menu.addAction("Explore this sample", lambda: self.select_cell(index))
        menu.addSeparator()
        menu.addAction("Set as interpolation A", lambda: self.keyframe_requested.emit("A", state))
        menu.addAction("Set as interpolation B", lambda: self.keyframe_requested.emit("B", state))
        menu.addAction("Add as keyframe", lambda: self.keyframe_requested.emit("add", state))
        menu.popup(where)

    # -- files --------------------------------------------------------------------------------------------

    def copy_image(self) -> bool:
        picture = self.current_picture()
        if picture is None:
            return False
        QGuiApplication.clipboard().setImage(to_qimage(upscale(picture, self.scale_spin.value())))
        self.status_message.emit(f"Copied the image ({self.scale_spin.value()}×) to the clipboard")
        return True

    def save_image(self, path: str, scale: int | None = None) -> None:
        picture = self.current_picture()
        if picture is None:
            raise ValueError("there is no image to save yet")
        save_png(picture, path, scale or self.scale_spin.value())

    def save_latent(self, path: str) -> None:
        state = self.latent_state()
        if state is None:
            raise ValueError("open a model first: there is no latent to save")
        save_latent(path, state)

    def load_latent(self, path: str) -> None:
        """Raises LatentFileError with a readable message when the file does not fit the model."""
        if self._backend is None:
            raise ValueError("open a model first: a latent only means something for a model")
        info = self._backend.info
        self.set_latent_state(load_latent(path, info.latent_dim, info.num_classes))

    # -- rendering ----------------------------------------------------------------------------------------

    def _labels(self, n: int) -> np.ndarray | None:
        return np.full(n, self._label, np.int64) if self._backend.info.conditional else None

    def _request_current(self) -> None:
        if self._backend is None or self._z.shape[0] == 0:
            return
        blend = None
        if self._backend.info.conditional and self.blend_slider.value() > 0:
            blend = (max(0, self.blend_combo.currentIndex()), self.blend_slider.value() / 100.0)
        z = truncate(self._z[None], self.truncation())
        self._renderer.submit("current", self._backend, z, self._labels(1), blend)

    def _request_grid(self) -> None:
        if self._backend is None:
            return
        raw = sample_latents(GRID_SIZE, self._backend.info.latent_dim, self.seed_spin.value())
        labels = self._labels(GRID_SIZE)
        self._renderer.submit("grid", self._backend, truncate(raw, self.truncation()), labels, tag=(raw, labels))

    @Slot(object)
    def on_rendered(self, result: RenderResult) -> None:
        request = result.request
        if request.backend is not self._backend or request.channel not in ("current", "grid"):
            return
        if result.error is not None:
            self.status_message.emit(f"Rendering failed: {result.error}")
            return
        if request.channel == "current":
            self.view.set_image(result.images[0])
            self.render_time.emit(result.ms)
        else:
            self._grid_z, self._grid_labels = request.tag
            self.grid.set_images(result.images, GRID_COLUMNS)
            self.grid.set_selected(self._selected)
