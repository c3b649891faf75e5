"""The Explore tab: the current sample, large; a seeded 8x8 grid; latent sliders, truncation and classes.

A thin view of `runtime.exploration.Exploration`, which owns the current latent (z before truncation, class,
truncation, blend, seed, grid selection). The widgets show the model's values and write user edits back to it;
the model's callbacks re-render through the RenderService on the "current" (or "grid") channel, latest-wins,
so dragging a slider re-renders continuously without ever blocking the UI thread.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, Qt, Signal, Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ganstudio.gui.caption import Caption
from ganstudio.gui.dialogs import make_header, make_panel, make_row
from ganstudio.gui.explore_controls import ExploreControls, set_quietly
from ganstudio.gui.image_view import ImageView, to_qimage
from ganstudio.gui.picture_splitter import PictureSplitter
from ganstudio.gui.render_worker import RenderResult, RenderService
from ganstudio.gui.sample_grid import SampleGridView
from ganstudio.gui.settings import Settings
from ganstudio.runtime.backends import GeneratorBackend
from ganstudio.runtime.exploration import GRID_COLUMNS, MAX_SEED, Exploration
from ganstudio.runtime.imaging import upscale
from ganstudio.runtime.latent_files import LatentState, load_latent, save_latent
from ganstudio.runtime.model_hash import model_sha256
from ganstudio.runtime.png_state import SampleState, save_png_with_state
from ganstudio.runtime.saved_samples import restore_sample, state_of

EMPTY_TEXT = "Open a model (Ctrl+O) or train one"
SPLITTER_KEY = "explore/splitter_v2"  # pictures | latent controls (v1 held three panes side by side)


def _layout(widget: QWidget) -> QBoxLayout:
    layout = widget.layout()
    assert isinstance(layout, QBoxLayout)  # make_panel / make_header lay their widget out in a box
    return layout


class ExploreTab(QWidget):
    status_message = Signal(str)
    render_time = Signal(float)  # ms of the last "current" render
    keyframe_requested = Signal(str, object)  # role ("A", "B", "add"), LatentState
    slider_moved = Signal()  # the user moved a latent, truncation or blend slider (background work may wait)
    save_image_requested = Signal()  # the user pressed Save…: the window asks where

    def __init__(self, renderer: RenderService, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._renderer, self._settings = renderer, settings
        self._backend: GeneratorBackend | None = None
        self._path = ""  # the model's file or run folder ("" for the live generator)
        self.state = Exploration(
            seed=settings.get_int("explore/seed", 0, 0, MAX_SEED),
            truncation=settings.get_float("explore/truncation", 1.0, 0.0, 2.0),
        )
        self._build()
        self._restore()
        self.state.model_changed.connect(self._on_model_changed)
        self.state.current_changed.connect(self._on_current_changed)
        self.state.grid_changed.connect(self._on_grid_changed)
        self.state.selection_changed.connect(self._on_selection_changed)
        self._on_model_changed()

    # -- layout -------------------------------------------------------------------------------------------

    def _build(self) -> None:
        left = self._build_current_panel()
        middle = self._build_grid_panel()
        self.controls = ExploreControls(self.state, self._renderer, self._settings)
        self.controls.status_message.connect(self.status_message)
        self.controls.slider_moved.connect(self.slider_moved)
        # The controls' widgets, under the names the window, the menus and the tests have always used.
        self.sliders, self.directions_panel, self.latent_tabs = (
            self.controls.sliders,
            self.controls.directions_panel,
            self.controls.latent_tabs,
        )
        self.class_box, self.class_combo, self.blend_combo = (
            self.controls.class_box,
            self.controls.class_combo,
            self.controls.blend_combo,
        )
        self.blend_slider, self.blend_mode = self.controls.blend_slider, self.controls.blend_mode
        self.trunc_slider, self.randomize_button = self.controls.trunc_slider, self.controls.randomize_button
        self.pictures = PictureSplitter(left, middle)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        for widget, stretch in ((self.pictures, 6), (self.controls, 2)):
            self.splitter.addWidget(widget)
            self.splitter.setStretchFactor(self.splitter.count() - 1, stretch)
        self.splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)

    def _build_current_panel(self) -> QWidget:
        self.view = ImageView(EMPTY_TEXT, square=True)
        self.view.setToolTip("The current sample, upscaled without smoothing. Ctrl+C copies it, Ctrl+S saves it.")
        self.caption = Caption()  # not a QLabel: its setText would re-layout the tab on every slider tick
        self.scale_spin = QSpinBox(minimum=1, maximum=16, suffix="×")
        self.scale_spin.setToolTip("Scale for Save Image and Copy Image (nearest neighbour: pixels stay crisp)")
        self.copy_button = copy = QPushButton("Copy")
        copy.setToolTip("Copy the current image to the clipboard (Ctrl+C)")
        copy.clicked.connect(self.copy_image)
        self.save_button = QPushButton("Save…")
        self.save_button.setToolTip("Save the current image as PNG at the chosen scale (Ctrl+S)")
        self.save_button.clicked.connect(self.save_image_requested)
        header = make_header("Current sample", self.caption)
        _layout(header).setStretchFactor(self.caption, 1)
        left = make_panel(
            header, self.view, make_row(1, QLabel("Scale"), self.scale_spin, copy, self.save_button), stretch_last=False
        )
        _layout(left).setStretch(1, 1)
        _layout(left).addStretch(0)  # the height the square view does not take (see cap_height_to_width)
        return left

    def _build_grid_panel(self) -> QWidget:
        self.seed_spin = QSpinBox(minimum=0, maximum=MAX_SEED)
        self.seed_spin.setToolTip("Seed of the sample grid: the same seed always gives the same 64 samples")
        self.seed_spin.valueChanged.connect(self.state.set_seed)
        self.reseed_button = reseed = QPushButton("Reseed")
        reseed.setToolTip("Draw a new random seed for the grid (Ctrl+Shift+R)")
        reseed.clicked.connect(lambda: self.reseed())
        self.grid = SampleGridView(placeholder=EMPTY_TEXT, square=True)
        self.grid.setToolTip("Click a sample to make it current; right-click to use it as an interpolation keyframe")
        self.grid.cell_clicked.connect(self.select_cell)
        self.grid.cell_context_requested.connect(self._grid_menu)
        panel = make_panel(make_header("Samples", 1, QLabel("Seed"), self.seed_spin, reseed), self.grid)
        _layout(panel).addStretch(0)  # the height the square grid does not take
        return panel

    def _restore(self) -> None:
        s = self._settings
        set_quietly(self.seed_spin, self.state.seed)
        set_quietly(self.scale_spin, s.get_int("explore/save_scale", 8, 1, 16))
        self.controls.show_truncation()
        self.sliders.set_show_all(s.get_bool("explore/show_all_dims", False))
        state = s.get_bytes(SPLITTER_KEY)
        if state is None or not self.splitter.restoreState(state):
            # First launch: most of the width to the two pictures (sizes are scaled to the space there is).
            self.splitter.setSizes([6000, 2000])

    def save_settings(self) -> None:
        s = self._settings
        s.set("explore/seed", self.state.seed)
        s.set("explore/save_scale", self.scale_spin.value())
        s.set("explore/truncation", self.truncation())
        s.set("explore/show_all_dims", self.sliders.show_all())
        s.set(SPLITTER_KEY, self.splitter.saveState())

    # -- model --------------------------------------------------------------------------------------------

    def backend(self) -> GeneratorBackend | None:
        return self._backend

    def set_backend(self, backend: GeneratorBackend | None, path: str = "") -> None:
        """Show a new model; keeps the latent when the latent size is unchanged."""
        self._backend, self._path = backend, path
        info = backend.info if backend is not None else None
        self.state.set_model(info, backend.supports_class_blend if backend is not None else False)
        self.directions_panel.set_model(backend, path)

    def model_sha256(self) -> str:
        """The SHA-256 of the model's weights file ("" for the live generator)."""
        return model_sha256(self._path) if self._path else ""

    def _on_model_changed(self) -> None:
        info = self.state.info
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
        if info is None:
            self.view.set_image(None)
            self.grid.set_images(None)
            self.caption.setText("No model")
            self.class_box.setVisible(False)
            return
        self.controls.setup_classes()
        self.grid.set_selected(self.state.selected)
        self._on_current_changed()
        self._on_grid_changed()

    # -- state --------------------------------------------------------------------------------------------

    def truncation(self) -> float:
        return self.state.truncation

    def latent_state(self) -> LatentState | None:
        return self.state.latent_state()

    def set_latent_state(self, state: LatentState) -> None:
        self.state.set_latent_state(state)

    def current_picture(self) -> np.ndarray | None:
        """The current sample as shown, (H, W, C) uint8."""
        return self.view.picture()

    # -- user actions -------------------------------------------------------------------------------------

    @Slot(int)
    def select_cell(self, index: int) -> None:
        self.state.select_cell(index)

    def randomize(self) -> None:
        self.state.randomize()

    def reset(self) -> None:
        self.state.reset()

    def reseed(self, seed: int | None = None) -> None:
        self.state.set_seed(int(np.random.default_rng().integers(0, MAX_SEED)) if seed is None else seed)

    def _grid_menu(self, index: int, where: QPoint) -> None:
        state = self.state.grid_state(index)
        if state is None:
            return
        menu = QMenu(self)
        menu.addAction("Explore this sample", lambda: self.select_cell(index))
        menu.addSeparator()
        menu.addAction("Set as interpolation A", lambda: self.keyframe_requested.emit("A", state))
        menu.addAction("Set as interpolation B", lambda: self.keyframe_requested.emit("B", state))
        menu.addAction("Add as keyframe", lambda: self.keyframe_requested.emit("add", state))
        menu.popup(where)

    # -- model callbacks: show the state, then render -------------------------------------------------------

    def _on_current_changed(self) -> None:
        state = self.state
        if state.info is None:
            return
        self.controls.show_state()
        self.caption.setText(state.caption())
        batch = state.current_batch()
        if batch is not None and self._backend is not None:
            self._renderer.submit("current", self._backend, batch.z, batch.labels, batch.blend)

    def _on_grid_changed(self) -> None:
        set_quietly(self.seed_spin, self.state.seed)
        latents = self.state.grid_latents()
        batch = self.state.grid_batch()
        if latents is None or batch is None or self._backend is None:
            return
        self._renderer.submit("grid", self._backend, batch.z, batch.labels, tag=latents)

    def _on_selection_changed(self) -> None:
        self.grid.set_selected(self.state.selected)
        if self.state.info is not None:
            self.caption.setText(self.state.caption())

    # -- files --------------------------------------------------------------------------------------------

    def copy_image(self) -> bool:
        picture = self.current_picture()
        if picture is None:
            return False
        clipboard = QGuiApplication.clipboard()
        clipboard.setImage(to_qimage(upscale(picture, self.scale_spin.value())))
        self.status_message.emit(f"Copied the image ({self.scale_spin.value()}×) to the clipboard")
        return True

    def sample_state(self, scale: int = 1) -> SampleState | None:
        """What a saved PNG records about the current sample, or None without a model."""
        return state_of(self.state, self.model_sha256(), scale)

    def save_image(self, path: str, scale: int | None = None) -> None:
        """Save the current picture as PNG with the sample state that makes it again."""
        picture, state = self.current_picture(), self.sample_state(scale or self.scale_spin.value())
        if picture is None or state is None:
            raise ValueError("there is no image to save yet")
        save_png_with_state(picture, path, state)

    def restore_sample(self, saved: SampleState) -> str:
        """Make a saved sample current; returns a note on what could not be restored as saved ("" if none)."""
        return restore_sample(self.state, saved)

    def save_latent(self, path: str) -> None:
        state = self.latent_state()
        if state is None:
            raise ValueError("open a model first: there is no latent to save")
        save_latent(path, state)

    def load_latent(self, path: str) -> None:
        """Raises LatentFileError with a readable message when the file does not fit the model."""
        info = self.state.info
        if info is None:
            raise ValueError("open a model first: a latent only means something for a model")
        self.set_latent_state(load_latent(path, info.latent_dim, info.num_classes))

    # -- rendering ----------------------------------------------------------------------------------------

    @Slot(object)
    def on_rendered(self, result: RenderResult) -> None:
        self.directions_panel.on_rendered(result)
        request = result.request
        if request.backend is not self._backend or request.channel not in ("current", "grid"):
            return
        if result.error is not None or result.images is None:
            self.status_message.emit(f"Rendering failed: {result.error}")
            return
        if request.channel == "current":
            self.view.set_image(result.images[0])
            self.render_time.emit(result.ms)
        else:
            raw, labels = request.tag
            self.state.show_grid(raw, labels)
            self.grid.set_images(result.images, GRID_COLUMNS)
            self.grid.set_selected(self.state.selected)
