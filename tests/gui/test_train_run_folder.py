"""A run that fails before writing anything leaves no run folder behind; a folder with content is never removed."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from ganstudio.core.config import ModelConfig, TrainConfig
from ganstudio.gui.train_panel import TrainPanel
from ganstudio.gui.train_worker import TrainRequest, TrainWorker, remove_if_empty

RUN_TIMEOUT_MS = 60_000


@pytest.fixture
def runs_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Automatic run folders go here instead of the user's data folder."""
    from ganstudio import paths

    root = tmp_path / "runs"
    monkeypatch.setattr(paths, "runs_root", lambda: root)
    return root


@pytest.fixture
def panel(qtbot):
    widget = TrainPanel(preview_seconds=0.3)
    qtbot.addWidget(widget)
    yield widget
    widget.shutdown(20_000)


def start_on_missing_data(panel: TrainPanel, qtbot, tmp_path: Path, run_dir: str) -> None:
    form = panel.form
    form.set_dataset(str(tmp_path / "no-such-folder"))
    form.arch_combo.setCurrentIndex(form.arch_combo.findData("mlp"))
    form.budget_kind.setCurrentIndex(form.budget_kind.findData("steps"))
    form.budget_value.setValue(5)
    form.run_dir_edit.setText(run_dir)
    assert form.is_valid(), form.error()
    qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not panel.is_running(), timeout=RUN_TIMEOUT_MS)
    assert panel.stage_label.text() == "Failed"


def test_a_failed_start_removes_the_run_folder_it_created(panel, qtbot, tmp_path, runs_root, errors):
    start_on_missing_data(panel, qtbot, tmp_path, run_dir="")
    assert len(errors) == 1 and "no-such-folder" in errors[0][1]
    log = panel.log_view.toPlainText()
    created = log.splitlines()[0].split("new run in ", 1)[1]
    assert Path(created).parent == runs_root  # a folder was made when Start was pressed ...
    assert not Path(created).exists()  # ... and taken away again
    assert list(runs_root.iterdir()) == []
    assert f"removed the empty run folder {created}" in log
    assert panel.start_button.isEnabled()


def test_a_failed_start_keeps_a_folder_the_user_chose_that_already_existed(panel, qtbot, tmp_path, runs_root, errors):
    chosen = tmp_path / "chosen"
    chosen.mkdir()
    start_on_missing_data(panel, qtbot, tmp_path, run_dir=str(chosen))
    assert len(errors) == 1
    assert chosen.is_dir()
    assert "removed the empty run folder" not in panel.log_view.toPlainText()


def failing_request(run_dir: Path, fresh: bool, dataset: Path) -> TrainRequest:
    return TrainRequest(
        ModelConfig(arch="mlp", latent_dim=8, g_width=8, d_width=8),
        TrainConfig(dataset=str(dataset), batch_size=16, steps=3, threads=1),
        str(run_dir),
        preview_seconds=100.0,
        fresh_run_dir=fresh,
    )


def run_worker(request: TrainRequest) -> list[str]:
    worker = TrainWorker(request)
    failures: list[str] = []
    worker.failed.connect(failures.append)
    worker.run()  # synchronously, in this thread
    return failures


def test_the_worker_never_removes_a_run_folder_that_holds_anything(qtbot, tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "notes.txt").write_text("mine")
    failures = run_worker(failing_request(run_dir, fresh=True, dataset=tmp_path / "missing"))
    assert len(failures) == 1
    assert (run_dir / "notes.txt").read_text() == "mine"


def test_the_worker_removes_its_own_empty_folder_only(qtbot, tmp_path):
    fresh, given = tmp_path / "fresh", tmp_path / "given"
    fresh.mkdir()
    given.mkdir()
    assert len(run_worker(failing_request(fresh, fresh=True, dataset=tmp_path / "missing"))) == 1
    assert len(run_worker(failing_request(given, fresh=False, dataset=tmp_path / "missing"))) == 1
    assert not fresh.exists() and given.is_dir()


def test_remove_if_empty(tmp_path):
    empty, full = tmp_path / "empty", tmp_path / "full"
    empty.mkdir()
    (full / "sub").mkdir(parents=True)
    assert remove_if_empty(empty) and not empty.exists()
    assert not remove_if_empty(full) and (full / "sub").is_dir()
    assert not remove_if_empty(tmp_path / "never-made")
