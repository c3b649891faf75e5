"""The per-dimension latent slider list: a view of `runtime.exploration.DimensionChoice` and the current z.

Which dimensions get a slider lives in the DimensionChoice model; the widget rebuilds its rows when that model
changes and writes the user's choice back to it. It keeps no latent of its own: the explore tab calls
`set_values(z, truncation)` and listens to `value_changed(dim, value)`, which fires on every slider move (not
only on release), so the picture follows the mouse. Each slider marks where truncation puts its value, and a
slider whose value lies past ±3 widens to show it rather than pin its handle at the end.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from ganstudio.gui.dialogs import scrolling_rows
from ganstudio.gui.reset_slider import ResetSlider
from ganstudio.runtime.latent_dims import DimensionChoice, format_dims

SLIDER_RANGE = 3.0  # sliders span -3..+3 standard deviations
SLIDER_STEPS = 100  # slider ticks per unit


class LatentSliders(QWidget):
    """A scrollable list of sliders, one per visible latent dimension, with a chooser for which to show."""

    value_changed = Signal(int, float)  # dimension, new value; user edits only
    reset_requested = Signal(int)  # dimension double-clicked: back to its origin
    visible_dims_changed = Signal(list)
    show_all_changed = Signal(bool)

    def __init__(self, choice: DimensionChoice | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.choice = choice if choice is not None else DimensionChoice()
        self._dims: list[int] = []  # the rows built, mirrors choice.dims
        self._sliders: dict[int, ResetSlider] = {}
        self._labels: dict[int, QLabel] = {}

        self._dims_edit = QLineEdit()
        self._dims_edit.setPlaceholderText("e.g. 0-15, 20")
        self._dims_edit.setMinimumWidth(self._dims_edit.fontMetrics().horizontalAdvance("0-15, 20-31") + 16)
        self._dims_edit.setToolTip(
            "Which latent dimensions get a slider: single numbers and ranges, "
            "separated by commas. Press Enter to apply."
        )
        self._dims_edit.editingFinished.connect(self._apply_dims_text)
        self._show_all = QCheckBox("Show all")
        self._show_all.setToolTip("One slider for every latent dimension")
        self._show_all.toggled.connect(self.choice.set_show_all)
        self._message = QLabel()
        self._message.setWordWrap(True)
        self._message.setVisible(False)

        chooser = QHBoxLayout()
        chooser.addWidget(QLabel("Dimensions:"))
        chooser.addWidget(self._dims_edit, 1)
        chooser.addWidget(self._show_all)

        self._grid, self._scroll = scrolling_rows(vertical_spacing=2, horizontal_spacing=8)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(chooser)
        layout.addWidget(self._message)
        layout.addWidget(self._scroll, 1)
        self._shown_all = self.choice.show_all
        self.choice.changed.connect(self._on_choice_changed)
        self._on_choice_changed()

    # -- public API ---------------------------------------------------------------------------------------

    def set_latent_dim(self, latent_dim: int) -> None:
        self.choice.set_latent_dim(latent_dim)

    def latent_dim(self) -> int:
        return self.choice.latent_dim

    def set_show_all(self, show: bool) -> None:
        self.choice.set_show_all(show)

    def show_all(self) -> bool:
        return self.choice.show_all

    def set_visible_dims(self, dims: list[int] | None) -> None:
        """Choose the dimensions shown (None: the first 16)."""
        self.choice.set_custom(dims)

    def visible_dims(self) -> list[int]:
        return list(self._dims)

    def slider(self, dim: int) -> ResetSlider | None:
        return self._sliders.get(dim)

    def value_text(self, dim: int) -> str:
        label = self._labels.get(dim)
        return label.text() if label is not None else ""

    def set_values(self, z: np.ndarray | None, truncation: float = 1.0) -> None:
        """Move the sliders to z without emitting value_changed; mark z * truncation when truncation != 1."""
        for dim, slider in self._sliders.items():
            value = float(z[dim]) if z is not None and dim < len(z) else 0.0
            slider.blockSignals(True)
            if not slider.isSliderDown():  # never change the range under a dragging hand
                reach = max(SLIDER_RANGE, math.ceil(abs(value) * 2) / 2)  # past ±3: widen to the next half unit
                slider.setRange(-round(reach * SLIDER_STEPS), round(reach * SLIDER_STEPS))
            slider.setValue(round(value * SLIDER_STEPS))
            slider.blockSignals(False)
            slider.set_marker(None if truncation == 1.0 else round(value * truncation * SLIDER_STEPS))
            self._labels[dim].setText(f"{value:+.2f}")
            truncated = "" if truncation == 1.0 else f"; with truncation ψ {truncation:.2f} the generator gets "
            truncated += f"{value * truncation:+.2f} (the triangle)" if truncated else ""
            slider.setToolTip(
                f"z[{dim}] = {value:+.2f}{truncated}. Drag to change this latent dimension (-3..+3, wider when a "
                "value lies beyond); the picture follows. Double-click: back to the sample's value."
            )

    # -- internals ----------------------------------------------------------------------------------------

    def _on_choice_changed(self) -> None:
        choice = self.choice
        dims = choice.dims
        self._dims_edit.setText(format_dims(dims) if dims else "")
        self._dims_edit.setEnabled(choice.latent_dim > 0 and not choice.show_all)
        self._show_all.blockSignals(True)
        self._show_all.setChecked(choice.show_all)
        self._show_all.blockSignals(False)
        self._show_all.setEnabled(choice.latent_dim > 0)
        self._show_all.setText(f"Show all {choice.latent_dim}" if choice.latent_dim else "Show all")
        if dims != self._dims or len(self._sliders) != len(dims):
            self._rebuild(dims)
        if choice.show_all != self._shown_all:
            self._shown_all = choice.show_all
            self.show_all_changed.emit(choice.show_all)

    def _rebuild(self, dims: list[int]) -> None:
        for row in range(self._grid.rowCount()):
            self._grid.setRowStretch(row, 0)
        while self._grid.count():
            item = self._grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self._sliders.clear()
        self._labels.clear()
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        for row, dim in enumerate(dims):
            self._add_row(row, dim, mono)
        self._grid.setRowStretch(len(dims), 1)
        self._grid.setColumnStretch(1, 1)
        self._dims = dims
        self.visible_dims_changed.emit(list(dims))

    def _add_row(self, row: int, dim: int, font: QFont) -> None:
        name = QLabel(f"z{dim}")
        name.setToolTip(f"Latent dimension {dim}")
        slider = ResetSlider()
        slider.setRange(-int(SLIDER_RANGE * SLIDER_STEPS), int(SLIDER_RANGE * SLIDER_STEPS))
        slider.setPageStep(SLIDER_STEPS // 2)
        slider.setToolTip(f"z[{dim}]: drag to change this latent dimension (-3..+3); the picture follows")
        slider.valueChanged.connect(lambda ticks, d=dim: self._on_slider(d, ticks))
        slider.double_clicked.connect(lambda d=dim: self.reset_requested.emit(d))
        value = QLabel("+0.00")
        value.setFont(font)
        value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        value.setMinimumWidth(value.fontMetrics().horizontalAdvance("+0.00") + 4)
        self._grid.addWidget(name, row, 0)
        self._grid.addWidget(slider, row, 1)
        self._grid.addWidget(value, row, 2)
        self._sliders[dim], self._labels[dim] = slider, value

    def _on_slider(self, dim: int, ticks: int) -> None:
        value = ticks / SLIDER_STEPS
        self._labels[dim].setText(f"{value:+.2f}")
        self.value_changed.emit(dim, value)

    def _apply_dims_text(self) -> None:
        try:
            self.choice.apply_text(self._dims_edit.text())
        except ValueError as exc:
            self._message.setText(f"Dimensions: {exc}")
            self._message.setVisible(True)
            return
        self._message.setVisible(False)
