"""The window fits a 1024x768 screen whichever tab is shown, with the Model Info dock open."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QPushButton

from ganstudio.gui.dialogs import make_row

MAX_MIN_WIDTH = 1000  # a 1024 px screen, less a window frame


def test_the_window_fits_a_1024_screen_on_every_tab(make_window, cond_onnx, qtbot):
    window = make_window(cond_onnx)
    assert window.info_dock.isVisible()
    for index in range(window.tabs.count()):
        window.tabs.setCurrentIndex(index)
        qtbot.wait(10)
        width = window.minimumSizeHint().width()
        assert width <= MAX_MIN_WIDTH, f"{window.tabs.tabText(index)} tab: the window needs {width} px"
    window.resize(1000, 700)
    qtbot.wait(10)
    assert window.width() <= MAX_MIN_WIDTH


def test_row_buttons_may_shrink_to_their_text(qtbot):
    button = QPushButton("Copy")
    qtbot.addWidget(button)
    default = button.minimumSizeHint().width()
    make_row(button)
    assert button.minimumWidth() < default  # styles ask ~80 px of every text button
    assert button.minimumWidth() >= button.fontMetrics().horizontalAdvance("Copy")


def test_the_train_tab_with_quality_metrics_fits_a_1024_screen(make_window, qtbot):
    from tests.gui.test_live_metrics import fake_report

    window = make_window()
    window.tabs.setCurrentIndex(2)
    window.train_panel.metrics_view.show_report(fake_report(covered=7))
    qtbot.wait(10)
    assert window.train_panel.metrics_view.content.isVisible()
    width = window.minimumSizeHint().width()
    assert width <= MAX_MIN_WIDTH, f"the Train tab with quality metrics needs {width} px"


def test_quality_rows_keep_apart_on_a_768_px_screen_after_a_run(make_window, qtbot):
    """With a finished run's links below, the quality numbers scroll rather than being squeezed onto each other."""
    from ganstudio.core.events import TrainingFinished
    from tests.gui.test_live_metrics import fake_report

    window = make_window()
    window.resize(1000, 700)
    window.tabs.setCurrentIndex(2)
    panel = window.train_panel
    panel.metrics_view.show_report(fake_report(covered=7))
    long = "/a/rather/long/folder/name/for/the/runs/of/this/user/20261201-101500-mnist-mlp"
    panel.result.show_finished(
        TrainingFinished(100, "stopped", "", long, f"{long}/checkpoint.safetensors", f"{long}/generator.onnx")
    )
    qtbot.wait(50)
    rows = [label for label in panel.metrics_view.findChildren(QLabel) if label.isVisible() and label.text()]
    assert len(rows) > 4
    view = panel.metrics_view  # nor squeezed sideways, where the plots would be drawn over the numbers
    assert view.width() >= view.minimumSizeHint().width() and view.height() >= view.minimumSizeHint().height()
    for label in rows:
        assert label.height() >= label.minimumSizeHint().height() - 1, f"{label.text()!r} is squeezed"
