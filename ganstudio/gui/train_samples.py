"""The Train tab's live samples: the newest preview grid, as many tiles as fit at a readable size."""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QGroupBox, QLabel, QVBoxLayout, QWidget

from ganstudio.core.events import SampleGrid
from ganstudio.gui.sample_grid import SampleGridView

MIN_TILE_PX = 48  # preview tiles are shown at least this big (whole multiples of the image size)
SPACING_PX = 2
MAX_SIDE, MIN_SIDE = 8, 4  # k x k tiles, k from 8 down to 4


def tiles_per_side(count: int, image_size: int, room_px: int) -> int:
    """How many tiles a side of the square grid gets, so that each is at least MIN_TILE_PX when possible."""
    tile = image_size * max(1, math.ceil(MIN_TILE_PX / image_size))
    k = min(MAX_SIDE, math.isqrt(count))
    while k > MIN_SIDE and k * tile + (k + 1) * SPACING_PX > room_px:
        k -= 1
    return k


class TrainSamples(QGroupBox):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._images: np.ndarray | None = None  # the newest preview batch (N, C, H, W)
        self._shown: np.ndarray | None = None  # the batch on screen
        self.caption = QLabel("Samples")
        self.grid = SampleGridView(spacing=SPACING_PX, placeholder="Samples appear here during training")
        self.grid.installEventFilter(self)  # re-fit the samples when resized
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.caption)
        layout.addWidget(self.grid, 1)

    def clear(self) -> None:
        self._images = None
        self.grid.set_images(None)
        self.caption.setText("Samples")

    def show_grid(self, event: SampleGrid) -> None:
        self._images = event.images
        self._fit()
        self.caption.setText(f"Samples at step {event.step:,} (fixed latents)")

    def _fit(self) -> None:
        images = self._images
        if images is None or len(images) == 0:
            return
        k = tiles_per_side(len(images), images.shape[-1], min(self.grid.width(), self.grid.height()))
        if self.grid.count() != k * k or self.grid.columns() != k or images is not self._shown:
            self._shown = images
            self.grid.set_images(images[: k * k], columns=k)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.grid and event.type() == QEvent.Type.Resize:
            self._fit()
        return super().eventFilter(watched, event)
