"""The app under the run-folder and checkpoint faults: a locked folder, a crafted checkpoint, a close mid-save."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QThread
from PySide6.QtWidgets import QMessageBox

from ganstudio.core.run_lock import RunFolderLock
from ganstudio.gui.train_panel import TrainPanel

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


def _tiny_form(panel: TrainPanel, data: Path, run_dir: Path, minutes: int = 30) -> None:
    form = panel.form
    form.set_dataset(str(data))
    form.arch_combo.setCurrentIndex(form.arch_combo.findData("mlp"))
    for spin, value in ((form.latent_spin, 8), (form.g_width_spin, 8), (form.d_width_spin, 8), (form.batch_spin, 32)):
        spin.setValue(value)
    form.threads_spin.setValue(1)
    form.budget_kind.setCurrentIndex(form.budget_kind.findData("minutes"))
    form.budget_value.setValue(minutes)
    form.run_dir_edit.setText(str(run_dir))
    assert form.is_valid(), form.error()


def test_starting_a_run_on_a_locked_folder_shows_who_holds_it(qtbot, squares, tmp_path, errors):
    import os

    panel = TrainPanel(preview_seconds=0.3)
    qtbot.addWidget(panel)
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    _tiny_form(panel, squares, run_dir)
    try:
        with RunFolderLock(run_dir):
            panel.start()
            qtbot.waitUntil(lambda: not panel.is_running(), timeout=RUN_TIMEOUT_MS)
    finally:
        panel.shutdown(20_000)
    assert len(errors) == 1
    assert f"{run_dir} is in use by another GAN Studio run (process {os.getpid()})" in errors[0][1]
    assert not (run_dir / "checkpoint.safetensors").exists()


def test_opening_a_tiny_crafted_checkpoint_shows_an_error(make_window, tmp_path, qtbot, errors):
    from tests.core.test_checkpoint_faults import HUGE, _crafted

    window = make_window()
    crafted = _crafted(tmp_path / "crafted.safetensors", HUGE)
    window.open_path(crafted)
    qtbot.waitUntil(lambda: len(errors) >= 1, timeout=60_000)
    assert "do not fit the architecture its header describes" in errors[0][1]


@pytest.mark.slow
def test_closing_the_window_during_a_checkpoint_save_keeps_a_loadable_checkpoint(
    make_window, squares, tmp_path, monkeypatch, qtbot
):
    """The close arrives while the training thread is inside save_checkpoint (held there for a second): the
    window waits for that save and the stop's own save, and the folder ends with a whole, loadable checkpoint."""
    from ganstudio.core import checkpoint, run_state
    from ganstudio.gui import main_window

    monkeypatch.setattr(main_window.QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    saving = threading.Event()
    real_save = checkpoint.save_checkpoint

    def slow_save(*args, **kwargs):
        saving.set()
        time.sleep(1.0)
        return real_save(*args, **kwargs)

    monkeypatch.setattr(run_state.ckpt, "save_checkpoint", slow_save)
    window = make_window()
    panel = window.train_panel
    run_dir = tmp_path / "run"
    _tiny_form(panel, squares, run_dir)
    panel.form.checkpoint_every_spin.setValue(20)
    panel.start()
    qtbot.waitUntil(saving.is_set, timeout=RUN_TIMEOUT_MS)
    assert window.close()
    assert not any(t.isRunning() for t in panel.findChildren(QThread))
    data = checkpoint.load_checkpoint(run_dir)
    assert data.digest_verified and data.state["step"] >= 20
    assert json.loads((run_dir / "run.json").read_text())["state"]["step"] == data.state["step"]
    assert not checkpoint.temp_checkpoint_files(run_dir)
    assert not (run_dir / ".ganstudio.lock").exists()


@pytest.mark.slow
def test_resuming_a_run_whose_image_folder_moved_asks_where_it_is(qtbot, squares, tmp_path, monkeypatch, errors):
    import shutil

    from ganstudio.cli.main import main
    from ganstudio.gui import train_form

    data = tmp_path / "data"
    shutil.copytree(squares, data)
    run_dir = tmp_path / "run"
    tiny = ["--arch", "mlp", "--latent-dim", "8", "--g-width", "8", "--d-width", "8", "--batch-size", "8"]
    assert main(["train", "--dataset", str(data), "--out", str(run_dir), "--steps", "1", "--no-export", *tiny]) == 0
    moved = data.rename(tmp_path / "moved")
    asked: list[str] = []
    monkeypatch.setattr(
        train_form, "choose_directory", lambda parent, caption, start="": asked.append(caption) or str(moved)
    )
    panel = TrainPanel(preview_seconds=0.3)
    qtbot.addWidget(panel)
    panel.form.budget_kind.setCurrentIndex(panel.form.budget_kind.findData("steps"))
    panel.form.budget_value.setValue(1)
    try:
        panel.resume_run(str(run_dir))
        qtbot.waitUntil(lambda: not panel.is_running(), timeout=RUN_TIMEOUT_MS)
    finally:
        panel.shutdown(20_000)
    assert errors == [] and asked == ["The run's image folder moved: choose where it is now"]
    summary = json.loads((run_dir / "run.json").read_text())
    assert summary["state"]["step"] == 2 and summary["train_config"]["dataset"] == str(moved)
