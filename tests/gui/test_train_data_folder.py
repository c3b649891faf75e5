"""The Train tab's Data folder: chosen, remembered, checked, passed to the run; "Choose folder..." recognises a
folder of MNIST / Fashion-MNIST IDX files; a download names where its files go."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtWidgets import QProgressDialog

from ganstudio.core.data import named, write_idx
from ganstudio.gui import train_form
from ganstudio.gui.train_form import CHOOSE_FOLDER, TrainForm
from ganstudio.gui.train_panel import TrainPanel
from tests.gui.train_helpers import configure, endless_download, wait_done


def idx_folder(folder: Path, split: str = "test", gz: bool = False) -> Path:
    """A tiny well-formed MNIST-named IDX pair (its labels match neither published file: taken for MNIST)."""
    folder.mkdir(parents=True, exist_ok=True)
    prefix = "train" if split == "train" else "t10k"
    suffix = ".gz" if gz else ""
    rng = np.random.default_rng(0)
    write_idx(folder / f"{prefix}-images-idx3-ubyte{suffix}", rng.integers(0, 256, (40, 28, 28), dtype=np.uint8), gz)
    write_idx(folder / f"{prefix}-labels-idx1-ubyte{suffix}", (np.arange(40) % 10).astype(np.uint8), gz)
    return folder


@pytest.fixture
def form(qtbot) -> TrainForm:
    widget = TrainForm()
    qtbot.addWidget(widget)
    return widget


def choose_folder_entry(form: TrainForm) -> None:
    index = form.dataset_combo.findData(CHOOSE_FOLDER)
    form.dataset_combo.setCurrentIndex(index)
    form.dataset_combo.activated.emit(index)


@pytest.mark.parametrize("gz", [False, True])
def test_choose_folder_recognises_idx_files(form, tmp_path, monkeypatch, gz):
    folder = idx_folder(tmp_path / "my-mnist", gz=gz)
    monkeypatch.setattr(train_form, "choose_directory", lambda *args: str(folder))
    form.dataset_combo.setCurrentIndex(form.dataset_combo.findData("fashion-mnist"))
    choose_folder_entry(form)
    assert form.dataset_spec() == "mnist"  # by the labels' hash, not the file names
    assert form.data_dir() == str(folder) and form.data_dir_edit.isEnabled()
    assert form.is_valid(), form.error()


def test_choose_folder_of_images_stays_an_image_folder(form, tmp_path, monkeypatch):
    folder = tmp_path / "pictures"
    folder.mkdir()
    monkeypatch.setattr(train_form, "choose_directory", lambda *args: str(folder))
    choose_folder_entry(form)
    assert form.dataset_spec() == str(folder)
    assert form.data_dir() is None and not form.data_dir_edit.isEnabled()  # only for MNIST / Fashion-MNIST


def test_the_data_folder_is_remembered_and_checked(qtbot, form, tmp_path, monkeypatch):
    folder = idx_folder(tmp_path / "files")
    monkeypatch.setattr(train_form, "choose_directory", lambda *args: str(folder))
    form._browse_data_dir()  # the "..." button beside the field
    assert form.data_dir() == str(folder) and form.dataset_spec() == "mnist"
    again = TrainForm()  # a new session, without pressing Start
    qtbot.addWidget(again)
    assert again.data_dir_edit.text() == str(folder)
    again.data_dir_edit.setText(str(tmp_path / "gone"))
    assert not again.is_valid() and again.error_field() == "data_dir" and "Data folder" in again.error()


@pytest.mark.slow
def mnist_panel_on(folder: Path, qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TrainPanel:
    """A Train panel set to a 3-step MNIST run whose only MNIST files are the ones in `folder`."""

    monkeypatch.setattr(named, "user_cache_root", lambda: tmp_path / "empty-cache")
    monkeypatch.setattr(named, "SYSTEM_DIRS", {})
    monkeypatch.delenv("GANSTUDIO_DATA", raising=False)
    panel = TrainPanel(preview_seconds=0.3)
    qtbot.addWidget(panel)
    configure(panel.form, "mnist", tmp_path / "run", steps=3)
    panel.form.metrics_every_spin.setValue(0)
    panel.form.data_dir_edit.setText(str(folder))
    return panel


def test_a_run_loads_mnist_from_the_data_folder(qtbot, tmp_path, monkeypatch):

    folder = idx_folder(tmp_path / "offline-files")
    panel = mnist_panel_on(folder, qtbot, tmp_path, monkeypatch)
    panel.start()
    wait_done(qtbot, panel)
    assert panel.last_result() is not None and panel.last_result().reason == "completed"
    assert str(folder) in panel.log_view.toPlainText()  # "using the test split (40 images) from <folder>"


def test_a_download_names_its_folder(qtbot, tmp_path, monkeypatch, errors):
    monkeypatch.setattr(named, "user_cache_root", lambda: tmp_path / "cache")
    monkeypatch.setattr(named, "locate_dataset", lambda *args, **kwargs: None)
    monkeypatch.setattr(named, "download_dataset", endless_download)
    panel = TrainPanel(preview_seconds=0.3)
    qtbot.addWidget(panel)
    panel.show()
    configure(panel.form, "mnist", tmp_path / "run")
    panel.start()
    qtbot.waitUntil(lambda: any(d.isVisible() for d in panel.findChildren(QProgressDialog)), timeout=20_000)
    dialog = next(d for d in panel.findChildren(QProgressDialog) if d.isVisible())
    assert f"into {tmp_path / 'cache' / 'datasets' / 'mnist'}" in dialog.labelText()
    panel.stop()
    wait_done(qtbot, panel)
    assert "downloading it into" in panel.log_view.toPlainText()
