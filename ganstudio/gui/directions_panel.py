"""The Directions panel: one slider per named direction (discovered, attributes, classes), each with a
preview strip from -3 to +3, and Load/Save of direction sets.

A view of `Exploration.directions` (runtime.direction_offsets.DirectionOffsets): sliders show the offsets and
write user edits back. The set is found off the UI thread when a model opens (BackgroundCalls; cached per
model file). The strips render as one batch on the RenderService's "directions" channel, latest-wins, so a
slider drag never waits for them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from ganstudio.gui.background_calls import BackgroundCalls
from ganstudio.gui.dialogs import ask_open_file, ask_save_path, make_row, scrolling_rows, show_error
from ganstudio.gui.render_worker import RenderResult, RenderService
from ganstudio.gui.reset_slider import ResetSlider
from ganstudio.gui.sample_grid import SampleGridView
from ganstudio.gui.settings import Settings
from ganstudio.runtime.attributes import ATTRIBUTE_HELP
from ganstudio.runtime.backends import GeneratorBackend
from ganstudio.runtime.direction_cache import directions_for
from ganstudio.runtime.direction_set import (
    Direction,
    DirectionFileError,
    DirectionSet,
    load_directions,
    save_directions,
)
from ganstudio.runtime.exploration import Exploration
from ganstudio.runtime.latent import truncate
from ganstudio.runtime.model_hash import model_sha256

CHANNEL = "directions"
PREVIEW_STEPS = (-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0)
TICKS = 100  # slider ticks per unit of offset
SLIDER_REACH = 3.0
DIRECTIONS_FILTER = "Direction sets (*.json)"
KIND_TEXT = {
    "pca": "a principal direction of the generated images (GANSpace-style), regressed into z",
    "attribute": "fitted to a property measured from the pixels (InterFaceGAN-style)",
    "class": "fitted to the classifier's probability of this class",
}


def _tooltip(direction: Direction) -> str:
    what = ATTRIBUTE_HELP.get(direction.name, "")
    lines = [f"{direction.name}: {KIND_TEXT[direction.kind]}" + (f". {what}" if what else "")]
    if direction.report is not None:
        lines.append(f"Measured from -2 to +2 on held-out samples: {direction.report.describe()}")
    lines.append("Drag to move the sample along it; double-click: back to 0. Click the strip to jump there.")
    return "\n".join(lines)


class DirectionsPanel(QWidget):
    status_message = Signal(str)
    slider_moved = Signal()

    def __init__(self, state: Exploration, renderer: RenderService, settings: Settings, parent: QWidget | None = None):
        super().__init__(parent)
        self.state, self._renderer, self._settings = state, renderer, settings
        self._backend: GeneratorBackend | None = None
        self._path = ""
        self._pending = False  # a model is open whose directions are not being found yet
        self._sliders: dict[str, ResetSlider] = {}
        self._values: dict[str, QLabel] = {}
        self._strips: dict[str, SampleGridView] = {}
        self.status = QLabel("Open a model to find its directions")
        self.status.setWordWrap(True)
        self.service = BackgroundCalls("ganstudio-directions", self)
        self.service.progress.connect(lambda text: self.status.setText(f"Finding directions: {text}…"))
        self.service.done.connect(self._on_done)
        self.load_button = QPushButton("Load…")
        self.load_button.setToolTip("Load a direction set (JSON) saved for this model")
        self.load_button.clicked.connect(self.load_dialog)
        self.save_button = QPushButton("Save…")
        self.save_button.setToolTip(
            "Save these directions as JSON ({model_sha256, directions: [{name, kind, vector}]})"
        )
        self.save_button.clicked.connect(self.save_dialog)
        self.reset_button = QPushButton("Zero all")
        self.reset_button.setToolTip("Every direction's offset back to 0")
        self.reset_button.clicked.connect(self.state.directions.clear)
        self._grid, self._scroll = scrolling_rows(vertical_spacing=1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.status)
        layout.addLayout(make_row(self.load_button, self.save_button, self.reset_button, 1))
        layout.addWidget(self._scroll, 1)
        self.state.directions.set_changed.connect(self._rebuild)
        self.state.directions.changed.connect(self._show_offsets)
        self.state.current_changed.connect(self._render_strips)
        self._rebuild()

    # -- the model ------------------------------------------------------------------------------------------

    def set_model(self, backend: GeneratorBackend | None, path: str) -> None:
        """A model opened (Exploration.set_model has cleared the old set): find its directions in the background."""
        self._backend, self._path = backend, path
        self._pending = False
        if backend is None:
            self.service.cancel()
            self.status.setText("Open a model to find its directions")
            return
        if backend.info.is_live:
            self.service.cancel()  # it changes with every snapshot: fitting directions to it would chase it
            self.status.setText("Directions are found for saved models (the live generator changes every step)")
            return
        # Found when first needed (this panel or the Plane tab shown), not on every open: fitting them renders
        # ~10,000 images, which would cost every start-up CPU time and memory that most sessions never use.
        self.service.cancel()
        self._pending = True
        self.status.setText("Directions are found when this tab or the Plane tab is first shown")
        if self.isVisible():
            self.ensure_directions()

    def ensure_directions(self) -> None:
        """Start finding the current model's directions if that has not started yet."""
        backend, path = self._backend, self._path
        if not self._pending or backend is None:
            return
        self._pending = False
        self.status.setText("Finding directions…")
        self.service.call(lambda report: directions_for(backend, path or None, progress=report))

    def _on_done(self, value: tuple[DirectionSet, bool] | None, error: str | None) -> None:
        if value is None:
            self.status.setText(f"No directions: {error}")
            return
        directions, cached = value
        if self.state.info is None or directions.latent_dim != self.state.info.latent_dim:
            return
        self.state.directions.set_directions(directions)
        where = "from the cache" if cached else "found"
        self.status.setText(f"{len(directions.directions)} directions ({where}). Hover a name to see what it does.")

    def shutdown(self) -> None:
        self.service.shutdown()

    # -- rows -----------------------------------------------------------------------------------------------

    def _rebuild(self) -> None:
        while self._grid.count():
            item = self._grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self._sliders.clear()
        self._values.clear()
        self._strips.clear()
        directions = self.state.directions.directions
        has = directions is not None
        for button in (self.save_button, self.reset_button):
            button.setEnabled(has)
        if directions is None:
            return
        row = 0
        for kind, title in (("pca", "Discovered"), ("attribute", "Attributes"), ("class", "Classes")):
            members = [d for d in directions.directions if d.kind == kind]
            if not members:
                continue
            heading = QLabel(f"<b>{title}</b>")
            self._grid.addWidget(heading, row, 0, 1, 3)
            row += 1
            for direction in members:
                self._add_row(row, direction)
                row += 2
        self._grid.setRowStretch(row, 1)
        self._grid.setColumnStretch(1, 1)
        self._render_strips()

    def _add_row(self, row: int, direction: Direction) -> None:
        name = direction.name
        label = QLabel(name)
        slider = ResetSlider()
        slider.setRange(-round(SLIDER_REACH * TICKS), round(SLIDER_REACH * TICKS))
        slider.setPageStep(TICKS // 2)
        slider.valueChanged.connect(lambda ticks, n=name: self._on_slider(n, ticks))
        slider.double_clicked.connect(lambda n=name: self.state.directions.set_offset(n, 0.0))
        value = QLabel("+0.00")
        value.setMinimumWidth(value.fontMetrics().horizontalAdvance("+0.00") + 4)
        strip = SampleGridView(spacing=1, min_cell=18)
        strip.setFixedHeight(30)
        strip.cell_clicked.connect(lambda index, n=name: self.state.directions.set_offset(n, PREVIEW_STEPS[index]))
        for widget in (label, slider, strip):
            widget.setToolTip(_tooltip(direction))
        self._grid.addWidget(label, row, 0)
        self._grid.addWidget(slider, row, 1)
        self._grid.addWidget(value, row, 2)
        self._grid.addWidget(strip, row + 1, 1, 1, 2)
        self._sliders[name], self._values[name], self._strips[name] = slider, value, strip

    def slider(self, name: str) -> ResetSlider | None:
        return self._sliders.get(name)

    def strip(self, name: str) -> SampleGridView | None:
        return self._strips.get(name)

    def scroll_to(self, name: str) -> None:
        """Scroll the list so that direction's row shows."""
        strip = self._strips.get(name)
        if strip is not None:
            self._scroll.ensureWidgetVisible(strip, 0, 40)

    def _on_slider(self, name: str, ticks: int) -> None:
        self.state.directions.set_offset(name, ticks / TICKS)
        self.slider_moved.emit()

    def _show_offsets(self) -> None:
        for name, slider in self._sliders.items():
            offset = self.state.directions.offset(name)
            slider.blockSignals(True)
            slider.setValue(round(offset * TICKS))
            slider.blockSignals(False)
            self._values[name].setText(f"{offset:+.2f}")

    # -- preview strips -------------------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.ensure_directions()
        self._render_strips()  # hidden, it skipped the renders the sample asked for

    def _render_strips(self) -> None:
        info = self.state.info
        if info is None or self._backend is None or not self._strips or not self.isVisible():
            return
        z = self.state.z
        latents = truncate(self.state.directions.preview_latents(z, PREVIEW_STEPS), self.state.truncation)
        labels = None if not info.conditional else np.full(len(latents), self.state.label, np.int64)
        names = list(self._strips)
        self._renderer.submit(CHANNEL, self._backend, latents, labels, tag=names)

    def on_rendered(self, result: RenderResult) -> None:
        request = result.request
        if request.channel != CHANNEL or request.backend is not self._backend or result.images is None:
            return
        names: list[str] = request.tag
        per = len(PREVIEW_STEPS)
        for i, name in enumerate(names):
            strip = self._strips.get(name)
            if strip is not None:
                strip.set_images(result.images[i * per : (i + 1) * per], per)

    # -- files ----------------------------------------------------------------------------------------------

    def save_dialog(self) -> None:
        directions = self.state.directions.directions
        if directions is None:
            return
        path = ask_save_path(self, self._settings, "Save Directions", "directions.json", DIRECTIONS_FILTER, ".json")
        if path:
            try:
                save_directions(path, directions)
            except OSError as exc:
                show_error(self, "Cannot save directions", str(exc))
                return
            self.status_message.emit(f"Saved {len(directions.directions)} directions to {Path(path).name}")

    def load_dialog(self) -> None:
        path = ask_open_file(self, self._settings, "Load Directions", DIRECTIONS_FILTER)
        if path:
            self.load(path)

    def load(self, path: str) -> bool:
        info = self.state.info
        if info is None:
            return False
        try:
            directions = load_directions(path, info.latent_dim)
        except DirectionFileError as exc:
            show_error(self, "Cannot load directions", str(exc))
            return False
        self.service.cancel()  # a set still being found must not replace the one the user chose
        self.state.directions.set_directions(directions)
        note = ""
        try:
            if directions.model_sha256 and self._path and directions.model_sha256 != model_sha256(self._path):
                note = " (made for another model: they may mean something else here)"
        except OSError:
            pass
        self.status.setText(f"{len(directions.directions)} directions from {Path(path).name}{note}")
        self.status_message.emit(f"Loaded {Path(path).name}{note}")
        return True
