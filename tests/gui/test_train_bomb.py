"""A gzip bomb in the Train tab's data folder: the run fails with a dialog naming the file, memory stays bounded,
and the panel stays usable."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from ganstudio.core.data import named, write_idx
from ganstudio.gui.train_panel import TrainPanel
from tests.core.bombs import RSS_LIMIT_MB, gzip_bomb, idx_header
from tests.gui.test_train_panel import configure, wait_done


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
    monkeypatch.setattr(named, "user_cache_root", lambda: tmp_path / "empty-cache")
    monkeypatch.setattr(named, "SYSTEM_DIRS", {})
    monkeypatch.delenv("GANSTUDIO_DATA", raising=False)
    panel = TrainPanel(preview_seconds=0.3)
    qtbot.addWidget(panel)
    configure(panel.form, "mnist", tmp_path / "run", steps=3)
    panel.form.metrics_every_spin.setValue(0)
    panel.form.data_dir_edit.setText(str(folder))
    before = _peak_rss_mb()
    panel.start()
    wait_done(qtbot, panel)
    assert len(errors) == 1 and str(bomb) in errors[0][1] and "trailing data" in errors[0][1]
    assert _peak_rss_mb() - before < RSS_LIMIT_MB
    assert panel.start_button.isEnabled() and panel.form.isEnabled()
