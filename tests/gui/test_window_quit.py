"""Closing the window with the title-bar button mid-run: the same quick, visible save as File > Quit."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QThread, QTimer
from PySide6.QtWidgets import QMessageBox, QProgressDialog

RUN_TIMEOUT_MS = 90_000  # the machine may be shared


@pytest.fixture(scope="module")
def squares(tmp_path_factory) -> Path:
    from PIL import Image

    folder = tmp_path_factory.mktemp("squares")
    rng = np.random.default_rng(1)
    for i in range(64):
        picture = np.zeros((28, 28), np.uint8)
        y, x = rng.integers(2, 16, 2)
        picture[y : y + 10, x : x + 10] = 255
        Image.fromarray(picture).save(folder / f"img_{i:02d}.png")
    return folder


@pytest.mark.slow
def test_the_title_bar_close_saves_the_run_within_two_seconds_and_keeps_painting(
    make_window, squares, tmp_path, monkeypatch, qtbot
):
    from ganstudio.gui import main_window

    asked: list[str] = []

    def yes(*args, **kwargs):
        asked.append(args[1])
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(main_window.QMessageBox, "question", yes)
    window = make_window()
    panel = window.train_panel
    form = panel.form
    form.set_dataset(str(squares))
    form.arch_combo.setCurrentIndex(form.arch_combo.findData("mlp"))
    for spin, value in ((form.latent_spin, 8), (form.g_width_spin, 8), (form.d_width_spin, 8), (form.batch_spin, 32)):
        spin.setValue(value)
    form.threads_spin.setValue(1)
    form.budget_kind.setCurrentIndex(form.budget_kind.findData("minutes"))
    form.budget_value.setValue(30)
    run_dir = tmp_path / "run"
    form.run_dir_edit.setText(str(run_dir))
    assert form.is_valid(), form.error()
    panel.start()
    qtbot.waitUntil(lambda: panel.current_step() >= 5, timeout=RUN_TIMEOUT_MS)

    ticks: list[float] = []
    texts: list[str] = []
    beat = QTimer(interval=20)  # fires only while the UI thread processes events

    def look() -> None:
        ticks.append(time.monotonic())
        texts.extend(d.labelText() for d in window.findChildren(QProgressDialog) if d.isVisible())

    beat.timeout.connect(look)
    beat.start()
    started = time.monotonic()
    assert window.close()  # what the title-bar button does: a close event
    seconds = time.monotonic() - started
    beat.stop()
    assert asked == ["Training is running"]
    assert seconds < 2.0, f"closing took {seconds:.2f} s"
    assert any(text.startswith("Saving the run...") for text in texts)
    assert len(ticks) >= 3 and np.diff([started, *ticks]).max() < 0.5
    assert (run_dir / "checkpoint.safetensors").is_file()
    assert not any(t.isRunning() for t in panel.findChildren(QThread))
