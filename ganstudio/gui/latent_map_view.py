"""The latent map as a pyqtgraph scatter: points coloured by the class the classifier reads, a hover preview,
click to make a sample current, and live markers for the current sample, the keyframes and the interpolation path.

The widget only draws: `set_map` gives it a runtime LatentMap, `set_markers` the placed positions (computed off the
GUI thread by the Map tab); clicks come back as `point_clicked(index)`.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ganstudio.gui.image_view import ImageView
from ganstudio.runtime.latent_map import LatentMap

# Ten well-separated colours (matplotlib's tab10), one per class; grey when no classifier reads the class.
CLASS_COLOURS = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
]  # fmt: skip
NO_CLASS = "#999999"
HOVER_RADIUS_PX = 8


class LatentMapView(QWidget):
    point_clicked = Signal(int)  # index into the map's samples

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.map: LatentMap | None = None
        self.plot = pg.PlotWidget()
        self.plot.setAspectLocked(True)
        self.plot.hideAxis("left")
        self.plot.hideAxis("bottom")
        self.plot.setMenuEnabled(False)
        self.scatter = pg.ScatterPlotItem(size=5, pen=None, hoverable=False)
        self.scatter.sigClicked.connect(self._on_clicked)
        self.path_curve = pg.PlotCurveItem(pen=pg.mkPen("#f0f0f0", width=2))  # light on the dark plot
        self.keys_item = pg.ScatterPlotItem(
            size=14, symbol="s", pen=pg.mkPen("k", width=2), brush=pg.mkBrush(255, 255, 255, 200)
        )
        self.current_item = pg.ScatterPlotItem(
            size=22, symbol="star", pen=pg.mkPen("k", width=1.5), brush=pg.mkBrush("#ffd400")
        )
        for item in (self.scatter, self.path_curve, self.keys_item, self.current_item):
            self.plot.addItem(item)
        self.plot.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.hover_view = ImageView("", square=True)
        self.hover_view.setFixedSize(84, 84)
        self.hover_view.setParent(self.plot)
        self.hover_view.move(8, 8)
        self.hover_view.hide()
        self.legend = QLabel()
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.legend)
        self.hovered: int | None = None

    def set_map(self, latent_map: LatentMap | None, class_names: tuple[str, ...] = ()) -> None:
        self.map = latent_map
        self.hover_view.hide()
        self.hovered = None
        if latent_map is None:
            self.scatter.clear()
            self.set_markers(None, None, None)
            self.legend.setText("")
            return
        brushes = [pg.mkBrush(_colour(int(c))) for c in latent_map.classes]
        self.scatter.setData(pos=latent_map.points, brush=brushes, data=np.arange(len(latent_map)))
        self.plot.autoRange()
        classes = sorted({int(c) for c in latent_map.classes if c >= 0})
        swatches = " ".join(
            f'<span style="color:{_colour(c)}">●</span>&nbsp;{class_names[c] if c < len(class_names) else c}'
            for c in classes
        )
        self.legend.setText(
            f"{swatches}<br><small>{len(latent_map):,} samples · {latent_map.method} · "
            "hover to see one, click to make it current</small>"
        )

    def set_markers(self, current: np.ndarray | None, keys: np.ndarray | None, path: np.ndarray | None) -> None:
        """(2,) current position, (K, 2) keyframes, (P, 2) interpolation path; None hides a marker."""
        self.current_item.setData(pos=np.empty((0, 2)) if current is None else np.asarray(current).reshape(1, 2))
        self.keys_item.setData(pos=np.empty((0, 2)) if keys is None else keys)
        if path is None or len(path) < 2:
            self.path_curve.setData([], [])
        else:
            self.path_curve.setData(path[:, 0], path[:, 1])

    def nearest_point(self, scene_pos: QPointF) -> int | None:
        """The map sample under a scene position (within HOVER_RADIUS_PX), if any."""
        if self.map is None or not self.plot.sceneBoundingRect().contains(scene_pos):
            return None
        view = self.plot.getViewBox()
        p = view.mapSceneToView(scene_pos)
        px = view.viewPixelSize()
        scaled = (self.map.points - np.array([p.x(), p.y()], np.float32)) / np.array(px, np.float32)
        d2 = (scaled**2).sum(axis=1)
        i = int(np.argmin(d2))
        return i if d2[i] <= HOVER_RADIUS_PX**2 else None

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        i = self.nearest_point(scene_pos)
        self.hovered = i
        if i is None or self.map is None:
            self.hover_view.hide()
            return
        self.hover_view.set_image(self.map.thumbnails[i].transpose(1, 2, 0))
        self.hover_view.show()
        self.hover_view.raise_()

    def _on_clicked(self, _item: object, points: list) -> None:
        if points:
            self.point_clicked.emit(int(points[0].data()))


def _colour(cls: int) -> str:
    return CLASS_COLOURS[cls % len(CLASS_COLOURS)] if cls >= 0 else NO_CLASS
