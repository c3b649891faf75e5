"""Step axes keep their labels apart on narrow plots (the FID history at a 1300 px window is ~200 px wide)."""

from __future__ import annotations

import itertools

import pyqtgraph as pg
import pytest
from PySide6.QtGui import QImage, QPainter

from ganstudio.gui.plot_style import StepAxis, step_text


def drawn_labels(qtbot, low: float, high: float, width: int) -> list:
    """The (rect, flags, text) of every label a plot of this width draws on its step axis."""
    plot = pg.PlotWidget(axisItems={"bottom": StepAxis()})
    qtbot.addWidget(plot)
    plot.resize(width, 160)
    plot.show()
    plot.setXRange(low, high, padding=0)
    qtbot.wait(20)
    axis = plot.getPlotItem().getAxis("bottom")
    assert isinstance(axis, StepAxis)
    image = QImage(width + 20, 40, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        _axis, _ticks, texts = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    return texts


def test_step_text_is_short():
    assert [step_text(v) for v in (0, 800, 2500, 12_000, 125_000, 1_250_000)] == [
        "0",
        "800",
        "2.5k",
        "12k",
        "125k",
        "1.25M",
    ]


@pytest.mark.parametrize("width", [140, 200, 320, 900])
@pytest.mark.parametrize("high", [600, 24_000, 125_000, 3_000_000])
def test_labels_never_overlap(qtbot, width, high):
    texts = drawn_labels(qtbot, 0, high * 1.06, width)
    assert len(texts) >= (2 if width >= 300 else 1)  # something to read
    rects = sorted((rect for rect, _flags, _text in texts), key=lambda r: r.left())
    for left, right in itertools.pairwise(rects):
        assert left.right() + 4 <= right.left(), [t for _, _, t in texts]
