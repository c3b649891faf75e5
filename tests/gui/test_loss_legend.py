"""The loss plots' legends sit outside the area where the curves are drawn."""

from __future__ import annotations

import numpy as np

from ganstudio.core.history import LOSS_COLUMNS, LOSS_KEYS
from ganstudio.gui.loss_plots import LossPlots


def test_legends_do_not_cover_the_data_area(qtbot):
    plots = LossPlots()
    qtbot.addWidget(plots)
    plots.resize(520, 420)
    plots.show()
    steps = np.arange(1, 801, dtype=np.float64)
    rows = np.column_stack([steps, *(np.full_like(steps, 2.0) for _ in LOSS_KEYS)])
    plots.append(rows)  # D loss flat at 2.0, where the old in-plot legend sat
    plots.refresh()
    qtbot.wait(50)
    for plot in (plots.loss_plot, plots.score_plot):
        legend = plots.legend_item(plot)
        data_area = plot.getViewBox().sceneBoundingRect()
        shown = legend.sceneBoundingRect()
        assert legend.isVisible() and shown.height() > 0 and data_area.height() > 0
        assert not shown.intersects(data_area), (shown, data_area)
        assert not plot.legend  # no legend item drawn inside the view box
        for column in LOSS_COLUMNS:
            if column.key in plot.legend_names:
                assert column.label in legend.text
