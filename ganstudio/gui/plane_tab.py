"""The Plane tab: two directions (raw dimensions, discovered or named) span a plane through the current
sample, shown as a 9x9 grid with the classifier's reading of each cell. Click a cell to move the sample
there; drag to pan; the span sets how far the grid reaches.

A view of the Explore tab's `Exploration` (the same current sample). Rendering and classifying the 81
samples runs on its own thread (BackgroundCalls), latest-wins, so a drag never waits. The discriminator's
score is not shown: exploring runs the exported generator alone, without torch or the critic.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QLabel, QPushButton, QVBoxLayout, QWidget

from ganstudio.gui.background_calls import BackgroundCalls, Report
from ganstudio.gui.dialogs import make_header, make_panel, make_row
from ganstudio.gui.plane_view import PlaneGrid
from ganstudio.runtime.backends import GeneratorBackend
from ganstudio.runtime.digit_classifier import DigitClassifier, classifier_for, softmax
from ganstudio.runtime.exploration import Exploration
from ganstudio.runtime.latent import truncate
from ganstudio.runtime.plane import DEFAULT_EXTENT, MAX_EXTENT, MIN_EXTENT, PlaneView, axis_vector, plane_latents

AXIS_TIP = "A direction of the plane: a named direction (Explore > Directions) or a raw latent dimension"


@dataclass(frozen=True)
class PlaneResult:
    images: np.ndarray  # (cells * cells, C, H, W)
    probs: np.ndarray | None  # (cells * cells, classes) or None without a classifier
    view: PlaneView
    ms: float


def render_plane(
    backend: GeneratorBackend,
    classifier: DigitClassifier | None,
    latents: np.ndarray,
    labels: np.ndarray | None,
    view: PlaneView,
) -> PlaneResult:
    """One batched generator call and one classifier batch (runs on the plane's thread)."""
    start = time.perf_counter()
    images = backend.generate(latents, labels)
    probs = softmax(classifier.logits(images)) if classifier is not None else None
    return PlaneResult(images, probs, view, (time.perf_counter() - start) * 1000.0)


class PlaneTab(QWidget):
    status_message = Signal(str)
    shown = Signal()  # the tab became visible

    def __init__(
        self, state: Exploration, backend: Callable[[], GeneratorBackend | None], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.state = state
        self._backend_of = backend  # the Explore tab's current generator
        self.view = PlaneView()
        self.calls = BackgroundCalls("ganstudio-plane", self)
        self.calls.done.connect(self._on_done)
        self.u_combo, self.v_combo = QComboBox(), QComboBox()
        for combo in (self.u_combo, self.v_combo):
            combo.setToolTip(AXIS_TIP)
            combo.setMinimumContentsLength(8)
            combo.currentIndexChanged.connect(lambda _i: self.redraw())
        self.extent_spin = QDoubleSpinBox(minimum=MIN_EXTENT, maximum=MAX_EXTENT, singleStep=0.5, value=DEFAULT_EXTENT)
        self.extent_spin.setPrefix("± ")
        self.extent_spin.setToolTip("How far the grid reaches along each direction, in latent units")
        self.extent_spin.valueChanged.connect(self._on_extent)
        self.centre_button = QPushButton("Centre")
        self.centre_button.setToolTip("Pan back so the current sample is in the middle")
        self.centre_button.clicked.connect(self.centre)
        self.grid = PlaneGrid()
        self.grid.setToolTip(
            "Each cell: the current sample moved along the two directions; the corner shows the class the "
            "shipped classifier reads and its confidence. Click to move there, drag to pan."
        )
        self.grid.cell_clicked.connect(self.move_to_cell)
        self.grid.panned.connect(self.pan)
        self.info = QLabel("")
        self.info.setEnabled(False)
        header = make_header(
            "Latent plane",
            1,
            QLabel("Across"),
            self.u_combo,
            QLabel("Up"),
            self.v_combo,
            self.extent_spin,
            self.centre_button,
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(make_panel(header, self.grid, make_row(self.info, 1)))
        state.model_changed.connect(self._rebuild_axes)
        state.directions.set_changed.connect(self._rebuild_axes)
        state.current_changed.connect(self.redraw)
        self._rebuild_axes()

    # -- axes -----------------------------------------------------------------------------------------------

    def _rebuild_axes(self) -> None:
        info = self.state.info
        directions = self.state.directions.directions
        items: list[tuple[str, str]] = []
        if directions is not None:
            items += [(d.name, f"dir:{d.name}") for d in directions.directions]
        if info is not None:
            items += [(f"z{d}", f"dim:{d}") for d in range(info.latent_dim)]
        keys = [key for _, key in items]
        defaults = ("dir:PC1", "dir:PC2") if "dir:PC2" in keys else ("dim:0", "dim:1")
        for combo, default in ((self.u_combo, defaults[0]), (self.v_combo, defaults[1])):
            previous = combo.currentData()
            combo.blockSignals(True)
            combo.clear()
            for text, key in items:
                combo.addItem(text, key)
            wanted = previous if previous in keys else default
            combo.setCurrentIndex(max(0, keys.index(wanted)) if wanted in keys else 0)
            combo.blockSignals(False)
        self.view = PlaneView(extent=self.view.extent)
        self.redraw()

    def set_axes(self, u: str, v: str) -> None:
        """Choose the plane's directions by name ("PC1", "ink", "z3")."""
        for combo, name in ((self.u_combo, u), (self.v_combo, v)):
            index = combo.findText(name)
            if index >= 0:
                combo.setCurrentIndex(index)

    def _vector(self, key: object) -> np.ndarray | None:
        info, directions = self.state.info, self.state.directions.directions
        if info is None or not isinstance(key, str):
            return None
        kind, _, name = key.partition(":")
        if kind == "dim":
            return axis_vector(info.latent_dim, int(name))
        direction = directions.get(name) if directions is not None else None
        return direction.vector if direction is not None else None

    # -- the view -------------------------------------------------------------------------------------------

    def _on_extent(self, value: float) -> None:
        self.view = PlaneView(self.view.pan_u, self.view.pan_v, float(value), self.view.cells)
        self.redraw()

    def centre(self) -> None:
        self.view = PlaneView(extent=self.view.extent, cells=self.view.cells)
        self.redraw()

    def pan(self, cells_right: float, cells_up: float) -> None:
        self.view = self.view.panned(cells_right * self.view.step, cells_up * self.view.step)
        self.redraw()

    def move_to_cell(self, index: int) -> None:
        """Move the current sample to a cell, keeping the grid where it is (the ring follows)."""
        row, col = divmod(index, self.view.cells)
        du, dv = self.view.cell_coordinates(row, col)
        self.view = self.view.panned(-du, -dv)
        for key, delta in ((self.u_combo.currentData(), du), (self.v_combo.currentData(), dv)):
            self._move_along(key, delta)
        self.status_message.emit(
            f"Moved {du:+.2f} along {self.u_combo.currentText()}, {dv:+.2f} along {self.v_combo.currentText()}"
        )

    def _move_along(self, key: object, delta: float) -> None:
        if not isinstance(key, str) or delta == 0.0:
            return
        kind, _, name = key.partition(":")
        if kind == "dim":
            dim = int(name)
            self.state.set_dim(dim, float(self.state.z[dim]) + delta)
        else:
            self.state.directions.set_offset(name, self.state.directions.offset(name) + delta)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.shown.emit()  # the named directions are found when first needed
        self.redraw()  # hidden, it skipped the redraws the sample asked for

    def redraw(self) -> None:
        if not self.isVisible():
            return  # 81 samples and a classifier batch per slider tick are for a plane someone looks at
        backend = self._backend_of()
        info = self.state.info
        u, v = self._vector(self.u_combo.currentData()), self._vector(self.v_combo.currentData())
        if backend is None or info is None or u is None or v is None:
            self.grid.set_images(None)
            return
        view = self.view
        latents = truncate(plane_latents(self.state.sample_z(), u, v, view), self.state.truncation)
        labels = np.full(len(latents), self.state.label, np.int64) if info.conditional else None
        classifier = classifier_for(info)

        def work(_report: Report) -> PlaneResult:
            return render_plane(backend, classifier, latents, labels, view)

        self.calls.call(work)

    def _on_done(self, result: PlaneResult | None, error: str | None) -> None:
        if result is None:
            self.info.setText(f"Rendering failed: {error}")
            return
        self.grid.set_images(result.images, result.view.cells)
        self.grid.set_current(result.view.current_cell())
        info = self.state.info
        if result.probs is None or info is None:
            self.grid.set_overlay([])
            reading = "no classifier reads this model's images"
        else:
            classes, confidence = result.probs.argmax(axis=1), result.probs.max(axis=1)
            self.grid.set_overlay(
                [f"{info.class_name(int(c))} {p:.0%}" for c, p in zip(classes, confidence, strict=True)]
            )
            reading = "corner: the class the shipped classifier reads, and its confidence"
        self.info.setText(
            f"{result.view.cells}×{result.view.cells} samples, step {result.view.step:.2f} · {reading} · "
            f"{result.ms:.0f} ms"
        )

    def shutdown(self) -> None:
        self.calls.shutdown()
