"""The Map tab: the latent map (left) and the nearest training images of the current sample (right).

Three TaskRunner threads, each latest-wins: the map (computed, or read from the cache by file hash), the markers
(the current sample, keyframes and path placed on the map whenever they change) and the neighbours. The map is
computed when the tab is first shown for a model. The tab reads Explore's `Exploration` and Interpolate's
`Interpolation` models and writes clicks back to the first; it keeps no exploring state of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QHBoxLayout, QSplitter, QWidget

from ganstudio.gui.latent_map_view import LatentMapView
from ganstudio.gui.nearest_panel import NearestPanel
from ganstudio.gui.task_runner import Cancelled, Report, TaskRunner
from ganstudio.runtime.backends import GeneratorBackend
from ganstudio.runtime.exploration import Exploration
from ganstudio.runtime.interpolation import Interpolation
from ganstudio.runtime.latent_files import LatentState
from ganstudio.runtime.latent_map import Features, LatentMap, classifier_features, latent_map_for, pixel_features

MAP_STOP_WAIT_MS = 30000  # t-SNE cannot be interrupted: closing waits for it (about 6 s on 2 cores)


@dataclass(frozen=True)
class Markers:
    current: np.ndarray | None  # (2,)
    keys: np.ndarray | None  # (K, 2)
    path: np.ndarray | None  # (P, 2)


class MapTab(QWidget):
    def __init__(self, exploration: Exploration, interpolation: Interpolation, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.exploration, self.interpolation = exploration, interpolation
        self._backend: GeneratorBackend | None = None
        self._path = ""
        self._map_requested = False
        self._features: Features | None = None
        self.map_view = LatentMapView()
        self.map_view.point_clicked.connect(self.make_current)
        self.map_view.legend.setText("The map appears when a saved model is open.")
        self.nearest = NearestPanel(exploration)
        splitter = QSplitter()
        splitter.addWidget(self.map_view)
        splitter.addWidget(self.nearest)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QHBoxLayout(self)
        layout.addWidget(splitter)
        self.map_runner = TaskRunner("ganstudio-map", self, stop_wait_ms=MAP_STOP_WAIT_MS)
        self.map_runner.finished.connect(self._on_map)
        self.map_runner.failed.connect(lambda m: self.map_view.legend.setText(f"No map: {m}"))
        self.marker_runner = TaskRunner("ganstudio-map-markers", self)
        self.marker_runner.finished.connect(self._on_markers)
        exploration.current_changed.connect(self._schedule_markers)
        interpolation.keys_changed.connect(self._schedule_markers)
        interpolation.path_changed.connect(self._schedule_markers)

    @property
    def latent_map(self) -> LatentMap | None:
        return self.map_view.map

    def set_backend(self, backend: GeneratorBackend | None, path: str) -> None:
        self._backend, self._path, self._map_requested = backend, path, False
        self.map_runner.cancel()
        self.map_view.set_map(None)
        self.nearest.set_backend(backend)
        self.map_view.legend.setText("The map appears when a saved model is open.")
        if self.isVisible():
            self.compute_map()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.compute_map()  # first shown for this model: the map costs seconds of CPU, not spent unless looked at

    def compute_map(self) -> None:
        """Read the model's map from the cache or compute it (once per model)."""
        backend, path = self._backend, self._path
        if backend is None or not path or self._map_requested:  # the live generator changes with every snapshot
            return
        self._map_requested = True
        self.map_view.legend.setText("Computing the latent map…")
        self._features = classifier_features(backend.info) or pixel_features
        features = self._features

        def task(_report: Report, cancelled: Cancelled) -> tuple[GeneratorBackend, LatentMap]:
            return backend, latent_map_for(backend, path, features, cancel=cancelled)

        self.map_runner.run(task)

    def _on_map(self, result: object) -> None:
        backend = self._backend
        if not isinstance(result, tuple) or backend is None or result[0] is not backend:
            return
        latent_map: LatentMap = result[1]
        self.map_view.set_map(latent_map, backend.info.class_names)
        self._schedule_markers()

    def make_current(self, index: int) -> None:
        latent_map = self.map_view.map
        if latent_map is None:
            return
        label = None if latent_map.labels is None else int(latent_map.labels[index])
        self.exploration.set_latent_state(LatentState(latent_map.z[index].copy(), label, 1.0))

    def _schedule_markers(self) -> None:
        latent_map, backend, features = self.map_view.map, self._backend, self._features
        if latent_map is None or backend is None or features is None:
            return
        current = self.exploration.current_batch()
        keys = self.interpolation.keys_batch()
        path = self.interpolation.path_batch()

        def place(z: np.ndarray, labels: np.ndarray | None) -> np.ndarray:
            return latent_map.place_features(features(backend.generate(z, labels))[1])

        def task(_report: Report, _cancelled: Cancelled) -> Markers:
            return Markers(
                None if current is None else place(current.z, current.labels)[0],
                None if keys is None else place(keys.z, keys.labels),
                None if path is None else place(path.z, path.labels),
            )

        self.marker_runner.run(task)

    def _on_markers(self, markers: object) -> None:
        if isinstance(markers, Markers):
            self.map_view.set_markers(markers.current, markers.keys, markers.path)

    def shutdown(self) -> None:
        self.map_runner.shutdown()
        self.marker_runner.shutdown()
        self.nearest.shutdown()
