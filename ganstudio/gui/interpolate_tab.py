"""The Interpolate tab: keyframes (A, ..., B) -> a strip of frames, an animated preview, PNG/GIF export.

A thin view of `runtime.exploration.Interpolation`, which owns the keyframes (LatentStates taken from the
Explore tab: the current sample, or a grid cell via its context menu) and the path settings. The path runs
through the keyframes in list order with lerp or slerp; the whole strip renders in one batch on the "strip"
channel and the keyframe thumbnails on the "keys" channel. Class-conditional models: a frame takes the label
of its nearest keyframe (labels are whole numbers).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QHideEvent, QIcon, QPixmap
from PySide6.QtWidgets import (
    QBoxLayout,
    QCheckBox,
    QComboBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSlider,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ganstudio.gui.dialogs import make_header, make_panel, make_row, make_title
from ganstudio.gui.image_view import ImageView, to_qimage
from ganstudio.gui.render_worker import RenderResult, RenderService
from ganstudio.gui.sample_grid import SampleGridView
from ganstudio.gui.settings import Settings
from ganstudio.runtime.backends import GeneratorBackend
from ganstudio.runtime.imaging import make_grid, save_gif, save_png, to_uint8, upscale
from ganstudio.runtime.interpolation import MAX_STEPS, MIN_STEPS, Interpolation
from ganstudio.runtime.latent_files import LatentState

HINT = "Pick A and B: “Set A from current” here, or right-click a sample in the Explore grid."


def _stretch(widget: QWidget, index: int, stretch: int) -> None:
    layout = widget.layout()
    assert isinstance(layout, QBoxLayout)  # make_panel lays its widget out in a box
    layout.setStretch(index, stretch)


class InterpolateTab(QWidget):
    status_message = Signal(str)
    export_strip_requested = Signal()  # the user pressed Export Strip…: the window asks where
    export_gif_requested = Signal()

    def __init__(
        self,
        renderer: RenderService,
        settings: Settings,
        current_state: Callable[[], LatentState | None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._renderer, self._settings, self._current_state = renderer, settings, current_state
        self._backend: GeneratorBackend | None = None
        self.state = Interpolation(
            steps=settings.get_int("interpolate/steps", 8, MIN_STEPS, MAX_STEPS),
            spherical=settings.get_bool("interpolate/slerp", True),
            closed=settings.get_bool("interpolate/closed", False),
        )
        self._frames: np.ndarray | None = None  # (F, C, H, W) float of the strip on screen
        self._frame = 0
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._advance)
        self._build()
        self._restore()
        self.state.keys_changed.connect(self._on_keys_changed)
        self.state.path_changed.connect(self._on_path_changed)
        self._on_keys_changed()

    # -- layout -------------------------------------------------------------------------------------------

    def _build(self) -> None:
        left = self._build_keyframes()
        preview = self._build_preview()
        strip_panel = self._build_strip()
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(preview)
        right.addWidget(strip_panel)
        right.setStretchFactor(0, 3)
        right.setStretchFactor(1, 1)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        self._right = right
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)

    def _build_buttons(self) -> dict[str, QPushButton]:
        actions: tuple[tuple[str, str, str, Callable[[], None]], ...] = (
            (
                "set_a",
                "Set A from current",
                "Make the Explore tab's current sample the start (A)",
                lambda: self.use_current("A"),
            ),
            (
                "set_b",
                "Set B from current",
                "Make the Explore tab's current sample the end (B)",
                lambda: self.use_current("B"),
            ),
            (
                "add",
                "Add keyframe",
                "Append the current sample as a new keyframe at the end",
                lambda: self.use_current("add"),
            ),
            ("remove", "Remove", "Remove the selected keyframe", lambda: self.remove_keyframe()),
            ("up", "Move up", "Move the selected keyframe earlier in the path", lambda: self._move(-1)),
            ("down", "Move down", "Move the selected keyframe later in the path", lambda: self._move(1)),
            ("clear", "Clear", "Remove all keyframes", lambda: self.set_keyframes([])),
        )
        buttons = {}
        for name, text, tip, slot in actions:
            button = QPushButton(text)
            button.setToolTip(tip)
            button.clicked.connect(slot)
            buttons[name] = button
        return buttons

    def _build_keyframes(self) -> QWidget:
        self.key_list = QListWidget()
        self.key_list.setIconSize(QSize(48, 48))
        self.key_list.setToolTip("The path runs through these keyframes in order, from A to B")
        self.key_list.currentRowChanged.connect(lambda _r: self._update_buttons())
        self._buttons = buttons = self._build_buttons()
        self.steps_spin = QSpinBox(minimum=MIN_STEPS, maximum=MAX_STEPS)
        self.steps_spin.setToolTip("Frames from one keyframe to the next, both ends included (2..64)")
        self.steps_spin.valueChanged.connect(self.state.set_steps)
        self.mode_combo = QComboBox()
        self.mode_combo.addItems(["Spherical (slerp)", "Linear (lerp)"])
        self.mode_combo.setToolTip(
            "Slerp keeps latents at a typical length; lerp passes closer to the "
            "mean, where samples often look washed out"
        )
        self.mode_combo.currentIndexChanged.connect(lambda index: self.state.set_spherical(index == 0))
        self.closed_check = QCheckBox("Loop back to A")
        self.closed_check.setToolTip("Add a final segment from the last keyframe back to A (seamless GIFs)")
        self.closed_check.toggled.connect(self.state.set_closed)
        left = make_panel(
            make_header("Keyframes"),
            self.key_list,
            make_row(buttons["set_a"], buttons["set_b"]),
            make_row(buttons["add"], buttons["remove"]),
            make_row(buttons["up"], buttons["down"], buttons["clear"]),
            make_row(QLabel("Steps"), self.steps_spin, 1),
            make_row(QLabel("Path"), self.mode_combo, 1),
            self.closed_check,
            stretch_last=False,
        )
        _stretch(left, 1, 1)
        return left

    def _build_preview(self) -> QWidget:
        self.preview = ImageView(HINT)
        self.preview.setToolTip("Animated preview of the interpolation")
        self.play_button = QPushButton("Play")
        self.play_button.setCheckable(True)
        self.play_button.setToolTip("Play or pause the animation")
        self.play_button.toggled.connect(self._on_play)
        self.fps_spin = QSpinBox(minimum=1, maximum=60, suffix=" fps")
        self.fps_spin.setToolTip("Animation speed, also used for the exported GIF")
        self.fps_spin.valueChanged.connect(self._on_fps)
        self.scrub = QSlider(Qt.Orientation.Horizontal)
        self.scrub.setToolTip("Scrub through the frames")
        self.scrub.valueChanged.connect(self.show_frame)
        self.frame_label = QLabel("—")
        self.export_scale = QSpinBox(minimum=1, maximum=16, suffix="×")
        self.export_scale.setToolTip("Scale for the exported strip and GIF (nearest neighbour)")
        self.export_strip_button = QPushButton("Export Strip…")
        self.export_strip_button.setToolTip("Save the strip as one PNG (Ctrl+E)")
        self.export_gif_button = QPushButton("Export GIF…")
        self.export_gif_button.setToolTip("Save the animation as a GIF at the chosen speed (Ctrl+Shift+E)")
        self.export_strip_button.clicked.connect(self.export_strip_requested)
        self.export_gif_button.clicked.connect(self.export_gif_requested)
        preview = make_panel(
            make_header("Preview"),
            self.preview,
            make_row(self.play_button, self.fps_spin, self.scrub, self.frame_label),
            make_row(1, QLabel("Export scale"), self.export_scale, self.export_strip_button, self.export_gif_button),
            stretch_last=False,
        )
        _stretch(preview, 1, 1)
        return preview

    def _build_strip(self) -> QWidget:

        self.strip = SampleGridView(min_cell=56, placeholder=HINT)
        self.strip.setToolTip("The interpolation, frame by frame; click a frame to show it in the preview")
        self.strip.cell_clicked.connect(self.show_frame)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self.strip)
        self.strip_label = make_title("Strip")
        strip_panel = make_panel(make_header(self.strip_label), scroll)

        return strip_panel

    def _restore(self) -> None:
        s = self._settings
        self.steps_spin.setValue(self.state.steps)
        self.mode_combo.setCurrentIndex(0 if self.state.spherical else 1)
        self.closed_check.setChecked(self.state.closed)
        self.fps_spin.setValue(s.get_int("interpolate/fps", 12, 1, 60))
        self.export_scale.setValue(s.get_int("interpolate/export_scale", 4, 1, 16))
        for splitter, key in ((self.splitter, "interpolate/splitter"), (self._right, "interpolate/splitter2")):
            state = s.get_bytes(key)
            if state is not None:
                splitter.restoreState(state)

    def save_settings(self) -> None:
        s = self._settings
        s.set("interpolate/steps", self.state.steps)
        s.set("interpolate/slerp", self.state.spherical)
        s.set("interpolate/fps", self.fps_spin.value())
        s.set("interpolate/export_scale", self.export_scale.value())
        s.set("interpolate/closed", self.state.closed)
        s.set("interpolate/splitter", self.splitter.saveState())
        s.set("interpolate/splitter2", self._right.saveState())
        info = self.state.info
        if info is not None and info.source and not info.is_live:
            s.set_keyframes(info.source, self.state.keyframes())

    def _restore_keyframes(self) -> None:
        """Keyframes saved for the model just opened come back, when none are set."""
        info = self.state.info
        if info is None or not info.source or info.is_live or len(self.state):
            return
        keys = [k for k in self._settings.keyframes(info.source) if k.latent_dim == info.latent_dim]
        if keys:
            self.state.set_keyframes(keys)

    # -- keyframes ----------------------------------------------------------------------------------------

    def set_backend(self, backend: GeneratorBackend | None) -> None:
        self._backend = backend
        self.state.set_model(backend.info if backend is not None else None)
        self._restore_keyframes()

    def keyframes(self) -> list[LatentState]:
        return self.state.keyframes()

    def set_keyframes(self, keys: list[LatentState]) -> None:
        self.state.set_keyframes(keys)

    def set_keyframe(self, role: str, state: LatentState) -> None:
        """role "A" replaces the first keyframe, "B" the last (of at least two), "add" appends."""
        self.state.set_keyframe(role, state)

    def use_current(self, role: str) -> None:
        state = self._current_state()
        if state is None:
            self.status_message.emit("Open a model first")
            return
        self.set_keyframe(role, state)

    def remove_keyframe(self, index: int | None = None) -> None:
        self.state.remove(self.key_list.currentRow() if index is None else index)

    def _move(self, delta: int) -> None:
        moved = self.state.move(self.key_list.currentRow(), delta)
        if moved is not None:
            self.key_list.setCurrentRow(moved)

    def _on_keys_changed(self) -> None:
        row = self.key_list.currentRow()
        self.key_list.clear()
        n = len(self.state)
        for i in range(n):
            self.key_list.addItem(QListWidgetItem(self.state.describe_key(i)))
        self.key_list.setCurrentRow(min(row, n - 1))
        self._update_buttons()
        batch = self.state.keys_batch()
        if batch is not None and self._backend is not None:
            self._renderer.submit("keys", self._backend, batch.z, batch.labels, tag=n)
        self._on_path_changed()

    def _update_buttons(self) -> None:
        has_model, row, n = self.state.info is not None, self.key_list.currentRow(), len(self.state)
        for name in ("set_a", "set_b", "add"):
            self._buttons[name].setEnabled(has_model)
        self._buttons["remove"].setEnabled(0 <= row < n)
        self._buttons["up"].setEnabled(0 < row < n)
        self._buttons["down"].setEnabled(0 <= row < n - 1)
        self._buttons["clear"].setEnabled(n > 0)

    # -- strip and animation ------------------------------------------------------------------------------

    def spherical(self) -> bool:
        return self.state.spherical

    def frames(self) -> np.ndarray | None:
        return self._frames

    def frame_count(self) -> int:
        return 0 if self._frames is None else len(self._frames)

    def _on_path_changed(self) -> None:
        path = self.state.path_batch()
        if path is None or self._backend is None:
            self._show_frames(None)
            return
        self._renderer.submit("strip", self._backend, path.z, path.labels, tag=path.marked)

    @Slot(object)
    def on_rendered(self, result: RenderResult) -> None:
        request = result.request
        if request.backend is not self._backend or request.channel not in ("strip", "keys"):
            return
        if result.error is not None or result.images is None:
            self.status_message.emit(f"Rendering failed: {result.error}")
        elif request.channel == "strip":
            self._show_frames(result.images, request.tag)
        elif request.tag == len(self.state):
            for i, picture in enumerate(to_uint8(result.images)):
                icon = QIcon(QPixmap.fromImage(to_qimage(upscale(picture, max(1, 48 // picture.shape[0])))))
                item = self.key_list.item(i)
                if item is not None:
                    item.setIcon(icon)

    def _show_frames(self, images: np.ndarray | None, marked: list[int] | None = None) -> None:
        self._frames = images
        n = self.frame_count()
        self.strip.set_images(images, columns=max(1, n))
        self.strip.set_marked(marked or [])
        self.strip_label.setText(f"Strip: {n} frames" if n else "Strip")
        self.scrub.blockSignals(True)
        self.scrub.setRange(0, max(0, n - 1))
        self.scrub.blockSignals(False)
        for widget in (self.play_button, self.scrub, self.export_strip_button, self.export_gif_button):
            widget.setEnabled(n > 0)
        if n == 0:
            self.play_button.setChecked(False)
            self.preview.set_image(None)
            self.preview.set_placeholder(HINT if self.state.info is not None else "Open a model (Ctrl+O) or train one")
            self.frame_label.setText("—")
            return
        self.show_frame(min(self._frame, n - 1))

    @Slot(int)
    def show_frame(self, index: int) -> None:
        n = self.frame_count()
        if not n:
            return
        self._frame = index % n
        if self._frames is not None:
            self.preview.set_image(self._frames[self._frame])
        self.strip.set_selected(self._frame)
        self.scrub.blockSignals(True)
        self.scrub.setValue(self._frame)
        self.scrub.blockSignals(False)
        self.frame_label.setText(f"{self._frame + 1} / {n}")

    def is_playing(self) -> bool:
        return self._timer.isActive()

    def play(self, on: bool = True) -> None:
        self.play_button.setChecked(on)

    def _on_play(self, on: bool) -> None:
        self.play_button.setText("Pause" if on else "Play")
        if on and self.frame_count():
            self._timer.start(round(1000 / self.fps_spin.value()))
        else:
            self._timer.stop()

    def _on_fps(self, fps: int) -> None:
        if self._timer.isActive():
            self._timer.setInterval(round(1000 / fps))

    def _advance(self) -> None:
        self.show_frame(self._frame + 1)

    # -- export -------------------------------------------------------------------------------------------

    def export_strip(self, path: str, scale: int | None = None) -> None:
        if self._frames is None:
            raise ValueError("there is no strip yet: set keyframes A and B first")
        picture = make_grid(self._frames, columns=len(self._frames), padding=1)
        save_png(picture, path, scale or self.export_scale.value())

    def export_gif(self, path: str, scale: int | None = None) -> None:
        if self._frames is None:
            raise ValueError("there is no animation yet: set keyframes A and B first")
        frames = list(to_uint8(self._frames))
        save_gif(frames, path, fps=self.fps_spin.value(), scale=scale or self.export_scale.value())

    def hideEvent(self, event: QHideEvent) -> None:
        self.play(False)  # no animation ticking in a tab nobody sees
        super().hideEvent(event)
