"""At 1024 x 768 nothing of the Train and Explore tabs is cut or left narrow: legends whole, result links at full
width, pictures as large as the space allows."""

from __future__ import annotations

from PySide6.QtCore import Qt

from ganstudio.core.events import TrainingFinished
from ganstudio.gui.loss_plots import LossPlots
from ganstudio.gui.picture_splitter import best_orientation
from ganstudio.gui.train_result import TrainResult


def test_pictures_stack_when_that_shows_them_larger():
    assert best_orientation(540, 680, 2) == Qt.Orientation.Vertical  # 1024 x 768: 340 px each instead of 270
    assert best_orientation(900, 820, 2) == Qt.Orientation.Horizontal  # 1440 x 900: 450 px each instead of 410


def test_loss_plots_are_never_narrower_than_their_legends(qtbot):
    plots = LossPlots()
    qtbot.addWidget(plots)
    plots.show()
    for plot in (plots.loss_plot, plots.score_plot):
        assert plots.minimumWidth() > plots.legend_item(plot).item.boundingRect().width()


def test_result_links_take_the_full_width(qtbot):
    result = TrainResult()
    qtbot.addWidget(result)
    result.resize(440, 200)
    result.show()
    run = "/home/someone/.local/share/ganstudio/runs/20261201-101500-mnist-mlp"
    result.show_finished(TrainingFinished(60, "stopped", "", run, f"{run}/checkpoint.safetensors", ""))
    qtbot.wait(20)
    assert result.label.width() == result.width()  # not a strip beside the Load button


def test_explore_pictures_use_the_height_of_a_1024_window(make_window, tiny_onnx, qtbot):
    window = make_window(tiny_onnx)
    window.resize(1024, 768)
    qtbot.wait(50)
    explore = window.explore
    assert explore.pictures.orientation() == Qt.Orientation.Vertical
    assert min(explore.view.width(), explore.view.height()) >= 240  # side by side they were ~200 px
