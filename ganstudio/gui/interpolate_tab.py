"""The Interpolate tab: keyframes (A, ..., B) -> a strip of frames, an animated preview, PNG/GIF export.

Keyframes are LatentStates taken from the Explore tab (the current sample, or a grid cell via its context
menu). The path runs through them in list order with lerp or slerp (core.latent.keyframe_path); the whole
strip renders in one batch on the "strip" channel and the keyframe thumbnails on the "keys" channel.
Class-conditional models: a frame takes the label of its nearest keyframe (labels are whole numbers).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
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

from ganstudio.runtime.imaging import make_grid, save_gif, save_png, to_uint8, upscale
from ganstudio.runtime.latent import keyframe_path, truncate
from ganstudio.gui.dialogs import make_header, make_panel, make_row, make_title
from ganstudio.gui.image_view import ImageView, to_qimage
from ganstudio.gui.latent_sliders import LatentState
from ganstudio.gui.render_worker import RenderResult, RenderService
from ganstudio.gui.sample_grid import SampleGridView
from ganstudio.gui.settings import Settings

HINT = "Pick A and B: “Set A from current” here, or right-click a sample in the Explore grid."


def path_labels(labels: list[int | None], steps: int, closed: bool) -> np.ndarray | None:
    """Per-frame labels matching keyframe_path(): each frame takes its nearest keyframe's label."""
    if not labels or labels[0] is None:
        return None
    keys = labels + labels[:1] if closed else labels
    per = steps - 1
    out = [keys[seg] if (i < per / 2) else keys[seg + 1] for seg in range(len(keys) - 1) for i in range(per)]
    if not closed:
        out.append(keys[-1])
    return np.asarray(out, np.int64)


class InterpolateTab(QWidget):
    status_message = Signal(str)

    def __init__(
        self,
        renderer: RenderService,
        settings: Settings,
        current_state: Callable[[], LatentState | None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._renderer, self._settings, self._current_state = renderer, settings, current_state
        self._backend = None
        self._keys: list[LatentState] = []
        self._frames: np.ndarray | None = None  # (F, C, H, W) float of the strip on screen
        self._frame = 0
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._advance)
        self._build()
        self._restore()
        self._refresh()

    # -- layout -------------------------------------------------------------------------------------------

    def _build(self) -> None:
        self.key_list = QListWidget()
        self.key_list.setIconSize(QSize(48, 48))
        self.key_list.setToolTip("The path runs through these keyframes in order, from A to B")
        self.key_list.currentRowChanged.connect(lambda _r: self._update_buttons())
        buttons = {}
        for name, text, tip, slot in (
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
        ):
            button = QPushButton(text)
            button.setToolTip(tip)
            button.clicked.connect(slot)
            buttons[name] = button
        self._buttons = buttons
        self.steps_spin = QSpinBox(minimum=2, maximum=64)
        self.steps_spin.setToolTip("Frames from one keyframe to the next, both ends included (2..64)")
        self.mode_combo = QComboBox()
        self.mode_combo.addItems(["Spherical (slerp)", "Linear (lerp)"])
        self.mode_combo.setToolTip(
            "Slerp keeps latents at a typical length; lerp passes closer to the "
            "mean, where samples often look washed out"
        )
        self.closed_check = QCheckBox("Loop back to A")
        self.closed_check.setToolTip("Add a final segment from the last keyframe back to A (seamless GIFs)")
        for signal in (self.steps_spin.valueChanged, self.mode_combo.currentIndexChanged, self.closed_check.toggled):
            signal.connect(lambda *_: self._request_strip())
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
        left.layout().setStretch(1, 1)

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
        preview = make_panel(
            make_header("Preview"),
            self.preview,
            make_row(self.play_button, self.fps_spin, self.scrub, self.frame_label),
            make_row(1, QLabel("Export scale"), self.export_scale, self.export_strip_button, self.export_gif_button),
            stretch_last=False,
        )
        preview.layout().setStretch(1, 1)

        self.strip = SampleGridView(min_cell=56, placeholder=HINT)
        self.strip.setToolTip("The interpolation, frame by frame; click a frame to show it in the preview")
        self.strip.cell_clicked.connect(self.show_frame)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self.strip)
        self.strip_label = make_title("Strip")
        strip_panel = make_panel(make_header(self.strip_label), scroll)

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

    def _restore(self) -> None:
        s = self._settings
        self.steps_spin.setValue(s.get_int("interpolate/steps", 8, 2, 64))
        self.mode_combo.setCurrentIndex(0 if s.get_bool("interpolate/slerp", True) else 1)
        self.fps_spin.setValue(s.get_int("interpolate/fps", 12, 1, 60))
        self.export_scale.setValue(s.get_int("interpolate/export_scale", 4, 1, 16))
        self.closed_check.setChecked(s.get_bool("interpolate/closed", False))
        for splitter, key in ((self.splitter, "interpolate/splitter"), (self._right, "interpolate/splitter2")):
            state = s.get_bytes(key)
            if state is not None:
                splitter.restoreState(state)

    def save_settings(self) -> None:
        s = self._settings
        s.set("interpolate/steps", self.steps_spin.value())
        s.set("interpolate/slerp", self.spherical())
        s.set("interpolate/fps", self.fps_spin.value())
        s.set("interpolate/export_scale", self.export_scale.value())
        s.set("interpolate/closed", self.closed_check.isChecked())
        s.set("interpolate/splitter", self.splitter.saveState())
        s.set("interpolate/splitter2", self._right.saveState())

    # -- keyframes ----------------------------------------------------------------------------------------

    def set_backend(self, backend) -> None:
        dim = backend.info.latent_dim if backend is not None else None
        self._backend = backend
        if any(k.latent_dim != dim for k in self._keys):
            self._keys = []  # latents of another latent size mean nothing to this model
        if backend is not None and backend.info.conditional:
            self._keys = [
                k if k.label is not None and k.label < backend.info.num_classes else LatentState(k.z, 0, k.truncation)
                for k in self._keys
            ]
        self._refresh()

    def keyframes(self) -> list[LatentState]:
        return list(self._keys)

    def set_keyframes(self, keys: list[LatentState]) -> None:
        self._keys = list(keys)
        self._refresh()

    def set_keyframe(self, role: str, state: LatentState) -> None:
        """role "A" replaces the first keyframe, "B" the last (of at least two), "add" appends."""
        if role == "A" and self._keys:
            self._keys[0] = state
        elif role == "B" and len(self._keys) >= 2:
            self._keys[-1] = state
        else:
            self._keys.append(state)
        self._refresh()

    def use_current(self, role: str) -> None:
        state = self._current_state()
        if state is None:
            self.status_message.emit("Open a model first")
            return
        self.set_keyframe(role, state)

    def remove_keyframe(self, index: int | None = None) -> None:
        index = self.key_list.currentRow() if index is None else index
        if 0 <= index < len(self._keys):
            del self._keys[index]
            self._refresh()

    def _move(self, delta: int) -> None:
        i = self.key_list.currentRow()
        j = i + delta
        if 0 <= i < len(self._keys) and 0 <= j < len(self._keys):
            self._keys[i], self._keys[j] = self._keys[j], self._keys[i]
            self._refresh()
            self.key_list.setCurrentRow(j)

    def _refresh(self) -> None:
        row = self.key_list.currentRow()
        self.key_list.clear()
        n = len(self._keys)
        for i, key in enumerate(self._keys):
            role = "A" if i == 0 else ("B" if i == n - 1 and n > 1 else f"Keyframe {i + 1}")
            text = f"{role}   |z| = {np.linalg.norm(key.z):.2f}, ψ {key.truncation:.2f}"
            if key.label is not None and self._backend is not None:
                text += f", class {self._backend.info.class_name(key.label)}"
            self.key_list.addItem(QListWidgetItem(text))
        self.key_list.setCurrentRow(min(row, n - 1))
        self._update_buttons()
        if self._backend is not None and self._keys:
            z = np.stack([truncate(k.z, k.truncation) for k in self._keys])
            labels = None if self._keys[0].label is None else np.array([k.label for k in self._keys], np.int64)
            self._renderer.submit("keys", self._backend, z, labels, tag=len(self._keys))
        self._request_strip()

    def _update_buttons(self) -> None:
        has_model, row, n = self._backend is not None, self.key_list.currentRow(), len(self._keys)
        for name in ("set_a", "set_b", "add"):
            self._buttons[name].setEnabled(has_model)
        self._buttons["remove"].setEnabled(0 <= row < n)
        self._buttons["up"].setEnabled(0 < row < n)
        self._buttons["down"].setEnabled(0 <= row < n - 1)
        self._buttons["clear"].setEnabled(n > 0)

    # -- strip and animation ------------------------------------------------------------------------------

    def spherical(self) -> bool:
        return self.mode_combo.currentIndex() == 0

    def frames(self) -> np.ndarray | None:
        return self._frames

    def frame_count(self) -> int:
        return 0 if self._frames is None else len(self._frames)

    def _request_strip(self) -> None:
        if self._backend is None or len(self._keys) < 2:
            self._show_frames(None)
            return
        steps, closed = self.steps_spin.value(), self.closed_check.isChecked()
        keys = np.stack([truncate(k.z, k.truncation) for k in self._keys])
        z = keyframe_path(keys, steps, self.spherical(), closed)
        labels = path_labels([k.label for k in self._keys], steps, closed)
        marked = [i * (steps - 1) for i in range(len(self._keys))]
        self._renderer.submit("strip", self._backend, z, labels, tag=marked)

    @Slot(object)
    def on_rendered(self, result: RenderResult) -> None:
        request = result.request
        if request.backend is not self._backend or request.channel not in ("strip", "keys"):
            return
        if result.error is not None:
            self.status_message.emit(f"Rendering failed: {result.error}")
        elif request.channel == "strip":
            self._show_frames(result.images, request.tag)
        elif request.tag == len(self._keys):
            for i, picture in enumerate(to_uint8(result.images)):
                icon = QIcon(QPixmap.fromImage(to_qimage(upscale(picture, max(1, 48 // picture.shape[0])))))
                self.key_list.item(i).setIcon(icon)

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
            self.preview.set_placeholder(HINT if self._backend is not None else "Open a model (Ctrl+O) or train one")
            self.frame_label.setText("—")
            return
        self.show_frame(min(self._frame, n - 1))

    @Slot(int)
    def show_frame(self, index: int) -> None:
        n = self.frame_count()
        if not n:
            return
        self._frame = index % n
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

    def hideEvent(self, event) -> None:
        self.play(False)  # no animation ticking in a tab nobody sees
        super().hideEvent(event)
