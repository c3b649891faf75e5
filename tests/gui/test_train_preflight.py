"""What the Train tab checks before training: a gzip bomb in the data folder fails the run with a dialog naming the
file and bounded memory, a missing GPU fails it before any data is loaded; the panel stays usable."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from ganstudio.core.data import write_idx
from ganstudio.gui.train_panel import TrainPanel
from tests.core.bombs import RSS_LIMIT_MB, gzip_bomb, idx_header
from tests.gui.test_train_data_folder import mnist_panel_on
from tests.gui.train_helpers import configure, wait_done


def _peak_rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_a_bomb_in_the_data_folder_fails_the_run_with_a_dialog(qtbot, tmp_path: Path, monkeypatch, errors) -> None:
    folder = tmp_path / "offline-files"
    folder.mkdir()
    # The images file claims 40 images and then inflates to 512 MiB; the labels are a real, tiny file.
    bomb = gzip_bomb(folder / "t10k-images-idx3-ubyte.gz", idx_header(0x08, (40, 28, 28)), zero_mib=512)
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", (np.arange(40) % 10).astype(np.uint8), gz=True)
    panel = mnist_panel_on(folder, qtbot, tmp_path, monkeypatch)
    before = _peak_rss_mb()
    panel.start()
    wait_done(qtbot, panel)
    assert len(errors) == 1 and str(bomb) in errors[0][1] and "trailing data" in errors[0][1]
    assert _peak_rss_mb() - before < RSS_LIMIT_MB
    assert panel.start_button.isEnabled() and panel.form.isEnabled()


def test_a_missing_gpu_fails_the_run_before_the_data_loads(qtbot, tmp_path: Path, monkeypatch, errors) -> None:
    import torch

    from ganstudio.gui.train_worker import TrainWorker

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the data was loaded before the device was checked")

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(TrainWorker, "_load_dataset", refuse)
    panel = TrainPanel(preview_seconds=0.3)
    qtbot.addWidget(panel)
    configure(panel.form, "mnist", tmp_path / "run", steps=3)
    device = panel.form.widget("device")
    device.setCurrentIndex(device.findData("cuda"))
    panel.start()
    wait_done(qtbot, panel)
    assert len(errors) == 1 and "device 'cuda' was asked for but no CUDA GPU is available" in errors[0][1]
    assert panel.start_button.isEnabled()
