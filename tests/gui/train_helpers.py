"""Shared pieces of the Train tab tests: a tiny run's form settings, waiting for a run, a download that never
finishes by itself and a folder of training images."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QProgressDialog, QWidget

from ganstudio.gui.train_form import TrainForm
from ganstudio.gui.train_panel import TrainPanel

RUN_TIMEOUT_MS = 90_000  # generous: the machine is shared; the runs themselves take a few seconds


def write_square_images(folder: Path, count: int = 64, seed: int = 0) -> Path:
    """`count` small grayscale PNGs of bright squares on black."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    for i in range(count):
        picture = np.zeros((28, 28), np.uint8)
        y, x = rng.integers(2, 16, 2)
        picture[y : y + 10, x : x + 10] = 255
        Image.fromarray(picture).save(folder / f"img_{i:02d}.png")
    return folder


def configure(form: TrainForm, dataset: str, run_dir: Path, steps: int | None = 40, minutes: float | None = None):
    """A tiny MLP on one thread: a run of a few seconds (by default 40 steps; or `minutes`)."""
    form.set_dataset(str(dataset))
    form.arch_combo.setCurrentIndex(form.arch_combo.findData("mlp"))
    form.latent_spin.setValue(8)
    form.g_width_spin.setValue(8)
    form.d_width_spin.setValue(8)
    form.batch_spin.setValue(32)
    form.threads_spin.setValue(1)
    form.sample_every_spin.setValue(15)
    if minutes is not None:
        form.budget_kind.setCurrentIndex(form.budget_kind.findData("minutes"))
        form.budget_value.setValue(minutes)
    else:
        form.budget_kind.setCurrentIndex(form.budget_kind.findData("steps"))
        form.budget_value.setValue(steps)
    form.run_dir_edit.setText(str(run_dir))
    assert form.is_valid(), form.error()


def wait_done(qtbot, panel: TrainPanel) -> None:
    qtbot.waitUntil(lambda: not panel.is_running(), timeout=RUN_TIMEOUT_MS)


def endless_download(name, dest_dir, progress=None, cancel=None, **kwargs) -> None:
    """Stands in for `download_dataset`: reports progress slowly until it is cancelled."""
    from ganstudio.core.data import DownloadCancelled

    for i in range(2000):
        if cancel is not None and cancel():
            raise DownloadCancelled("download cancelled")
        progress("train-images-idx3-ubyte.gz", i * 5000, 9_912_422)
        time.sleep(0.005)
    raise AssertionError("the download was not cancelled")


@dataclass
class QuitWatch:
    """What the user saw while a window quit: the visible progress dialogs' texts, and when the UI thread
    processed events (a timer that fires only then), from `started`."""

    started: float = 0.0
    seconds: float = 0.0
    ticks: list[float] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)

    def largest_gap(self) -> float:
        return float(np.diff([self.started, *self.ticks]).max())


@contextmanager
def watch_quit(widget: QWidget) -> Iterator[QuitWatch]:
    """Time the quit done inside the block, looking at `widget`'s progress dialogs every 20 ms meanwhile."""
    watch = QuitWatch()
    beat = QTimer(interval=20)

    def look() -> None:
        watch.ticks.append(time.monotonic())
        watch.texts.extend(d.labelText() for d in widget.findChildren(QProgressDialog) if d.isVisible())

    beat.timeout.connect(look)
    beat.start()
    watch.started = time.monotonic()
    try:
        yield watch
    finally:
        watch.seconds = time.monotonic() - watch.started
        beat.stop()
