"""Palette-following colours for pyqtgraph items, shared by the loss plots and the metrics view."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QColor


def style_legend(legend: pg.LegendItem, foreground: QColor, background: QColor) -> None:
    """Label colour from the palette and a translucent background, so legends read in light and dark themes."""
    legend.setLabelTextColor(foreground)
    for _sample, label in legend.items:
        label.setText(label.text, color=foreground)
    fill = QColor(background)
    fill.setAlpha(200)
    legend.setBrush(pg.mkBrush(fill))
