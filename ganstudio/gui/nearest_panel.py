"""Nearest training images of the current sample (pixel and classifier-feature space) and the copying ratio.

Searches run on TaskRunner threads (latest-wins) only while the panel is visible; the training images (and
their classifier features) load on the first search and are kept for the model's dataset.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from ganstudio.gui.image_view import ImageView
from ganstudio.gui.task_runner import Cancelled, Report, TaskRunner
from ganstudio.runtime.backends import GeneratorBackend
from ganstudio.runtime.exploration import Exploration
from ganstudio.runtime.imaging import make_grid
from ganstudio.runtime.nearest import (
    RATIO_SAMPLES,
    CopyingRatio,
    NearestIndex,
    held_out_images,
    nearest_index_for,
    spaces_of,
    training_split,
)

K = 8


@dataclass(frozen=True)
class NearestResult:
    grid: np.ndarray  # (H, W, C) uint8: the sample, then its K neighbours, one row per space
    lines: tuple[str, ...]  # distances per space


class NearestPanel(QWidget):
    def __init__(self, exploration: Exploration, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.exploration = exploration
        self._backend: GeneratorBackend | None = None
        self._index: dict[str, NearestIndex] = {}  # by dataset/split; filled and read on the worker threads
        self._index_lock = threading.Lock()
        self.title = QLabel("<b>Nearest training images</b>")
        self.view = ImageView("the current sample's nearest training images", square=False)
        self.view.setMinimumHeight(90)
        self.view.setMaximumHeight(200)  # two rows of nine: a wide strip, not a square
        self.distances = QLabel("")
        self.distances.setWordWrap(True)
        self.ratio_button = QPushButton("Measure the copying ratio")
        self.ratio_button.setToolTip(
            f"{RATIO_SAMPLES} samples' mean distance to their nearest training image, over that of "
            f"{RATIO_SAMPLES} real images the model never saw: about 1 generalises, well below 1 copies"
        )
        self.ratio_button.clicked.connect(self.measure_ratio)
        self.ratio_label = QLabel("")
        self.ratio_label.setWordWrap(True)
        layout = QVBoxLayout(self)
        for widget in (self.title, self.view, self.distances, self.ratio_button, self.ratio_label):
            layout.addWidget(widget)
        layout.addStretch(1)
        self.runner = TaskRunner("ganstudio-nearest", self)
        self.runner.finished.connect(self._on_result)
        self.runner.failed.connect(lambda m: self.distances.setText(f"Not available: {m}"))
        self.ratio_runner = TaskRunner("ganstudio-copying-ratio", self)
        self.ratio_runner.finished.connect(self._on_ratio)
        self.ratio_runner.failed.connect(lambda m: self.ratio_label.setText(f"Not available: {m}"))
        exploration.current_changed.connect(self.refresh)

    def set_backend(self, backend: GeneratorBackend | None) -> None:
        self._backend = backend
        self.runner.cancel()
        self.ratio_runner.cancel()
        self.ratio_label.setText("")
        if backend is not None:
            self.title.setText(
                f"<b>Nearest training images</b> ({backend.info.dataset or 'unknown'} "
                f"{training_split(backend.info)} split)"
            )
        self.refresh()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh()

    def _index_for(self, backend: GeneratorBackend) -> NearestIndex:
        key = f"{backend.info.dataset}/{training_split(backend.info)}"
        with self._index_lock:
            if key not in self._index:
                self._index[key] = nearest_index_for(backend.info)
            return self._index[key]

    def refresh(self) -> None:
        backend, batch = self._backend, self.exploration.current_batch()
        if backend is None or batch is None or not self.isVisible():
            return

        def task(_report: Report, cancelled: Cancelled) -> NearestResult:
            sample = backend.generate(batch.z, batch.labels)
            index = self._index_for(backend)
            rows, lines = [], []
            for space in spaces_of(index):
                if cancelled():
                    break
                found = index.nearest(sample, K, space)
                idx, dist = found.indices[0], found.distances[0]
                rows.append(np.concatenate([sample, index.images[idx].astype(np.float32) / 255.0]))
                lines.append(f"{space}: " + ", ".join(f"{d:.2f}" for d in dist))
            return NearestResult(make_grid(np.concatenate(rows), columns=K + 1), tuple(lines))

        self.runner.run(task)

    def _on_result(self, result: object) -> None:
        if isinstance(result, NearestResult):
            self.view.set_image(result.grid)
            self.distances.setText(
                "First image: the sample; then its nearest training images, nearest first. Distances "
                "(Euclidean; rows: pixels, classifier features):<br>" + "<br>".join(result.lines)
            )

    def measure_ratio(self) -> None:
        backend = self._backend
        if backend is None:
            return
        self.ratio_label.setText("Measuring…")
        info = backend.info

        def task(_report: Report, _cancelled: Cancelled) -> list[CopyingRatio]:
            from ganstudio.runtime.latent import sample_latents

            labels = np.arange(RATIO_SAMPLES) % info.num_classes if info.conditional else None
            samples = backend.generate(sample_latents(RATIO_SAMPLES, info.latent_dim, 1, 1.0), labels)
            held = held_out_images(info, RATIO_SAMPLES)
            index = self._index_for(backend)
            return [index.ratio(samples, held, space) for space in spaces_of(index)]

        self.ratio_runner.run(task)

    def _on_ratio(self, result: object) -> None:
        ratios = result if isinstance(result, list) else []
        self.ratio_label.setText(
            "Copying ratio (about 1 generalises, well below 1 copies): "
            + "; ".join(f"{r.space} {r.ratio:.2f} ({r.sample_mean:.2f} / {r.held_out_mean:.2f})" for r in ratios)
        )

    def shutdown(self) -> None:
        self.runner.shutdown()
        self.ratio_runner.shutdown()
