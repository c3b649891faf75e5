"""Shared pyqtgraph pieces of the loss plots and the metrics view: palette-following legend colours and an axis
of training steps."""

from __future__ import annotations

import math

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


def step_text(value: float) -> str:
    """A short step number for an axis: 800, 2.5k, 12k, 1.2M (narrow plots have room for few characters)."""
    size = abs(value)
    for limit, suffix in ((1e6, "M"), (1e3, "k")):
        if size >= limit:
            return f"{value / limit:.3g}{suffix}"
    return f"{value:.0f}"


class StepAxis(pg.AxisItem):
    """A bottom axis of training steps: short labels, major ticks only, spaced so that labels never touch."""

    LABEL_SPACING_PX = 70  # room per label: the longest text ("12.5k", "1.25M") plus a gap

    def __init__(self, orientation: str = "bottom", **kwargs: object) -> None:
        super().__init__(orientation, **kwargs)
        self.enableAutoSIPrefix(False)
        self.setStyle(maxTextLevel=0, maxTickLevel=1)

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        return [step_text(v * scale) for v in values]

    def tickSpacing(self, minVal: float, maxVal: float, size: float) -> list[tuple[float, float]]:
        """Major ticks at 1, 2 or 5 times a power of ten, no closer than LABEL_SPACING_PX; minor ticks at a fifth."""
        span = maxVal - minVal
        if span <= 0 or size <= 0:
            return super().tickSpacing(minVal, maxVal, size)
        wanted = span * self.LABEL_SPACING_PX / size  # the smallest spacing, in steps, that leaves room
        power = 10 ** math.floor(math.log10(wanted))
        major = next(m * power for m in (1, 2, 5, 10) if m * power >= wanted)
        return [(major, 0.0), (major / 5, 0.0)]
