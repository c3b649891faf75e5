"""Latent vectors in the GUI: the saved-latent file format and the per-dimension slider list.

`LatentState` is the plain record of "what is on screen": z (before truncation), the class label and the
truncation. It saves as JSON ({"latent_dim", "z", "label", "truncation"}) or as a bare .npy vector.

`LatentSliders` shows one slider per chosen dimension. It keeps no latent of its own: the explore tab calls
`set_values(z)` and listens to `value_changed(dim, value)`, which fires on every slider move (not only on
release), so the picture follows the mouse.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from ganstudio.runtime.imaging import atomic_write
from ganstudio.errors import GanStudioError

SLIDER_RANGE = 3.0  # sliders span -3..+3 standard deviations
SLIDER_STEPS = 100  # slider ticks per unit
DEFAULT_VISIBLE = 16
LATENT_FORMAT = "ganstudio-latent"


class LatentFileError(GanStudioError, ValueError):
    """A latent file is unreadable or does not fit the current model; the message says which."""


@dataclass(frozen=True)
class LatentState:
    z: np.ndarray  # (latent_dim,) float32, before truncation
    label: int | None = None  # class index for conditional models
    truncation: float = 1.0

    @property
    def latent_dim(self) -> int:
        return int(self.z.shape[0])


def save_latent(path: str | Path, state: LatentState) -> None:
    """JSON by default; a .npy suffix saves only the vector."""
    path = Path(path)
    if path.suffix.lower() == ".npy":
        atomic_write(path, lambda tmp: _save_npy(tmp, state.z))
        return
    document = {
        "format": LATENT_FORMAT,
        "latent_dim": state.latent_dim,
        "z": [round(float(v), 7) for v in state.z],
        "label": state.label,
        "truncation": float(state.truncation),
    }
    text = json.dumps(document, indent=1)
    atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def _save_npy(tmp: Path, z: np.ndarray) -> None:
    with open(tmp, "wb") as handle:  # np.save on a path would append ".npy" to the temp name
        np.save(handle, np.asarray(z, np.float32))


def load_latent(path: str | Path, latent_dim: int, num_classes: int = 0) -> LatentState:
    """Read a .json or .npy latent and check it fits a model with `latent_dim` (and `num_classes`)."""
    path = Path(path)
    label, truncation = None, 1.0
    try:
        if path.suffix.lower() == ".npy":
            z = np.load(path, allow_pickle=False)
        else:
            document = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(document, dict) or "z" not in document:
                raise LatentFileError(f'{path.name} is not a latent file: it has no "z" list')
            z = np.asarray(document["z"], dtype=np.float64)
            label = document.get("label")
            truncation = float(document.get("truncation", 1.0))
    except LatentFileError:
        raise
    except (OSError, ValueError, TypeError) as exc:
        raise LatentFileError(f"cannot read {path.name}: {exc}") from exc
    z = np.asarray(z).squeeze()
    if z.ndim != 1 or not np.issubdtype(z.dtype, np.number):
        raise LatentFileError(f"{path.name} holds an array of shape {np.shape(z)}, not a latent vector")
    if z.shape[0] != latent_dim:
        raise LatentFileError(
            f"{path.name} holds a latent of size {z.shape[0]}, but this model's latent size "
            f"is {latent_dim}. Load it with a model that has {z.shape[0]} latent dimensions."
        )
    if not np.isfinite(z).all():
        raise LatentFileError(f"{path.name} contains NaN or infinite values")
    if not (math.isfinite(truncation) and 0.0 <= truncation <= 2.0):
        truncation = 1.0
    if num_classes:
        label = int(label) if isinstance(label, (int, float)) and 0 <= int(label) < num_classes else 0
    else:
        label = None
    return LatentState(z.astype(np.float32), label, truncation)


def parse_dims(text: str, latent_dim: int) -> list[int]:
    """'0-7, 12, 20-23' -> [0..7, 12, 20..23] (deduplicated, ordered). Raises ValueError with a reason."""
    dims: list[int] = []
    for part in filter(None, (p.strip() for p in text.replace(";", ",").split(","))):
        lo_text, dash, hi_text = part.partition("-")
        try:
            lo = int(lo_text)
            hi = int(hi_text) if dash else lo
        except ValueError:
            raise ValueError(f"'{part}' is not a dimension or a range like 0-15") from None
        if lo > hi:
            lo, hi = hi, lo
        if lo < 0 or hi >= latent_dim:
            raise ValueError(f"'{part}' is outside 0..{latent_dim - 1}")
        dims.extend(d for d in range(lo, hi + 1) if d not in dims)
    if not dims:
        raise ValueError("no dimensions given")
    return dims


def format_dims(dims: list[int]) -> str:
    """The inverse of parse_dims, with ranges collapsed."""
    parts, start = [], None
    for i, d in enumerate(dims):
        start = d if start is None else start
        if i + 1 == len(dims) or dims[i + 1] != d + 1:
            parts.append(str(d) if start == d else f"{start}-{d}")
            start = None
    return ", ".join(parts)


class LatentSliders(QWidget):
    """A scrollable list of sliders, one per visible latent dimension, with a chooser for which to show."""

    value_changed = Signal(int, float)  # dimension, new value; user edits only
    visible_dims_changed = Signal(list)
    show_all_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._latent_dim = 0
        self._dims: list[int] = []
        self._custom: list[int] | None = None
        self._sliders: dict[int, QSlider] = {}
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
        self._show_all.toggled.connect(self._on_show_all)
        self._message = QLabel()
        self._message.setWordWrap(True)
        self._message.setVisible(False)

        chooser = QHBoxLayout()
        chooser.addWidget(QLabel("Dimensions:"))
        chooser.addWidget(self._dims_edit, 1)
        chooser.addWidget(self._show_all)

        self._rows = QWidget()
        self._grid = QGridLayout(self._rows)
        self._grid.setContentsMargins(2, 2, 8, 2)
        self._grid.setHorizontalSpacing(8)
        self._grid.setVerticalSpacing(2)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self._rows)
        self._scroll = scroll

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(chooser)
        layout.addWidget(self._message)
        layout.addWidget(scroll, 1)

    # -- public API ---------------------------------------------------------------------------------------

    def set_latent_dim(self, latent_dim: int) -> None:
        if latent_dim == self._latent_dim:
            return
        self._latent_dim = latent_dim
        if self._custom is not None and any(d >= latent_dim for d in self._custom):
            self._custom = None
        self._rebuild()

    def latent_dim(self) -> int:
        return self._latent_dim

    def set_show_all(self, show: bool) -> None:
        self._show_all.setChecked(show)

    def show_all(self) -> bool:
        return self._show_all.isChecked()

    def set_visible_dims(self, dims: list[int] | None) -> None:
        """Choose the dimensions shown (None: the first 16)."""
        self._custom = list(dims) if dims else None
        if self._show_all.isChecked():
            self._show_all.setChecked(False)  # rebuilds via _on_show_all
        else:
            self._rebuild()

    def visible_dims(self) -> list[int]:
        return list(self._dims)

    def slider(self, dim: int) -> QSlider | None:
        return self._sliders.get(dim)

    def set_values(self, z: np.ndarray | None) -> None:
        """Move the sliders to z without emitting value_changed."""
        for dim, slider in self._sliders.items():
            value = float(z[dim]) if z is not None and dim < len(z) else 0.0
            slider.blockSignals(True)
            slider.setValue(self._to_ticks(value))
            slider.blockSignals(False)
            self._labels[dim].setText(f"{value:+.2f}")

    # -- internals ----------------------------------------------------------------------------------------

    @staticmethod
    def _to_ticks(value: float) -> int:
        return int(round(max(-SLIDER_RANGE, min(SLIDER_RANGE, value)) * SLIDER_STEPS))

    def _chosen_dims(self) -> list[int]:
        if self._show_all.isChecked():
            return list(range(self._latent_dim))
        if self._custom is not None:
            return self._custom
        return list(range(min(DEFAULT_VISIBLE, self._latent_dim)))

    def _rebuild(self) -> None:
        dims = self._chosen_dims()
        self._dims_edit.setText(format_dims(dims) if dims else "")
        self._dims_edit.setEnabled(self._latent_dim > 0 and not self._show_all.isChecked())
        self._show_all.setEnabled(self._latent_dim > 0)
        self._show_all.setText(f"Show all {self._latent_dim}" if self._latent_dim else "Show all")
        if dims == self._dims and len(self._sliders) == len(dims):
            return
        for row in range(self._grid.rowCount()):
            self._grid.setRowStretch(row, 0)
        while self._grid.count():
            item = self._grid.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self._sliders.clear()
        self._labels.clear()
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        for row, dim in enumerate(dims):
            name = QLabel(f"z{dim}")
            name.setToolTip(f"Latent dimension {dim}")
            slider = QSlider(Qt.Orientation.Horizontal)
            slider.setRange(-int(SLIDER_RANGE * SLIDER_STEPS), int(SLIDER_RANGE * SLIDER_STEPS))
            slider.setPageStep(SLIDER_STEPS // 2)
            slider.setToolTip(f"z[{dim}]: drag to change this latent dimension (-3..+3); the picture follows")
            slider.valueChanged.connect(lambda ticks, d=dim: self._on_slider(d, ticks))
            value = QLabel("+0.00")
            value.setFont(mono)
            value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            value.setMinimumWidth(value.fontMetrics().horizontalAdvance("+0.00") + 4)
            self._grid.addWidget(name, row, 0)
            self._grid.addWidget(slider, row, 1)
            self._grid.addWidget(value, row, 2)
            self._sliders[dim], self._labels[dim] = slider, value
        self._grid.setRowStretch(len(dims), 1)
        self._grid.setColumnStretch(1, 1)
        self._dims = dims
        self.visible_dims_changed.emit(list(dims))

    def _on_slider(self, dim: int, ticks: int) -> None:
        value = ticks / SLIDER_STEPS
        self._labels[dim].setText(f"{value:+.2f}")
        self.value_changed.emit(dim, value)

    def _on_show_all(self, checked: bool) -> None:
        self._rebuild()
        self.show_all_changed.emit(checked)

    def _apply_dims_text(self) -> None:
        if not self._latent_dim or self._show_all.isChecked():
            return
        try:
            dims = parse_dims(self._dims_edit.text(), self._latent_dim)
        except ValueError as exc:
            self._message.setText(f"Dimensions: {exc}")
            self._message.setVisible(True)
            return
        self._message.setVisible(False)
        if dims != self._dims:
            self._custom = dims
            self._rebuild()
