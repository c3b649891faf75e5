"""Regression: PySide6 6.12.0 on CPython 3.11 leaks a reference to True on every argument-less signal emit and
aborts the interpreter after ~1,000 emits; pyqtgraph's ImageItem.setImage emits one per call. A live preview
does that many times a minute, so this must survive 10,000 of each."""

from __future__ import annotations

import sys

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, Signal


class Emitter(QObject):
    ping = Signal()


def test_ten_thousand_argless_emits(qtbot):
    emitter = Emitter()
    count = []
    emitter.ping.connect(lambda: count.append(1))
    refs_before = sys.getrefcount(True)
    for _ in range(10_000):
        emitter.ping.emit()
    assert len(count) == 10_000
    # True is immortal on 3.12+; on 3.11 a leak shows as a refcount growing with the emits
    assert sys.getrefcount(True) - refs_before < 1_000


def test_ten_thousand_image_item_updates(qtbot):
    item = pg.ImageItem(axisOrder="row-major")
    image = np.random.default_rng(0).random((28, 28)).astype(np.float32)
    for i in range(10_000):
        item.setImage(image if i % 2 else image[::-1], autoLevels=False, levels=(0.0, 1.0))
    assert item.image.shape == (28, 28)
