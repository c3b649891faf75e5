"""Closing the window with the title-bar button mid-run: the same quick, visible save as File > Quit."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QThread
from PySide6.QtWidgets import QMessageBox

from tests.gui.train_helpers import RUN_TIMEOUT_MS, configure, watch_quit


@pytest.mark.slow
def test_the_title_bar_close_saves_the_run_within_two_seconds_and_keeps_painting(
    make_window, image_folder, tmp_path, monkeypatch, qtbot
):
    from ganstudio.gui import main_window

    asked: list[str] = []

    def yes(*args, **kwargs):
        asked.append(args[1])
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(main_window.QMessageBox, "question", yes)
    window = make_window()
    panel = window.train_panel
    run_dir = tmp_path / "run"
    configure(panel.form, image_folder, run_dir, minutes=30)
    panel.start()
    qtbot.waitUntil(lambda: panel.current_step() >= 5, timeout=RUN_TIMEOUT_MS)

    with watch_quit(window) as watch:
        assert window.close()  # what the title-bar button does: a close event
    assert asked == ["Training is running"]
    assert watch.seconds < 2.0, f"closing took {watch.seconds:.2f} s"
    assert any(text.startswith("Saving the run...") for text in watch.texts)
    assert len(watch.ticks) >= 3 and watch.largest_gap() < 0.5
    assert (run_dir / "checkpoint.safetensors").is_file()
    assert not any(t.isRunning() for t in panel.findChildren(QThread))
