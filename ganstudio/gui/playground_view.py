"""One Playground plane: D's output as a heatmap, real and generated points, G's gradient arrows and the image of
a latent grid under G, drawn with pyqtgraph items created once and updated with `setData` / `setImage`.

When drawing is on (the "Draw your own" distribution), a click adds a point and a drag paints a trail of them
instead of panning; the view only reports them (`point_drawn`), the tab owns the point set.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ganstudio.core.playground.distributions import VIEW_HALF_WIDTH

REAL_BRUSH = (16, 185, 129, 170)  # green: the data
FAKE_BRUSH = (249, 115, 22, 200)  # orange: the generator's points
ARROW_PEN = (60, 60, 60, 200)
MANIFOLD_PEN = (120, 80, 200, 140)
PAINT_SPACING = 0.08  # plane units between painted points along a drag
HEAT_COLORS = pg.ColorMap([0.0, 0.5, 1.0], [(214, 96, 77), (247, 247, 247), (67, 147, 195)])  # fake ... real


class DrawingViewBox(pg.ViewBox):
    """A view box that, while `drawing`, turns clicks and drags into points instead of panning."""

    point_drawn = Signal(float, float)

    def __init__(self) -> None:
        super().__init__()
        self.drawing = False
        self._last: QPointF | None = None

    def mouseClickEvent(self, ev) -> None:
        if self.drawing and ev.button() == Qt.MouseButton.LeftButton:
            p = self.mapSceneToView(ev.scenePos())
            self.point_drawn.emit(p.x(), p.y())
            ev.accept()
            return
        super().mouseClickEvent(ev)

    def mouseDragEvent(self, ev, axis=None) -> None:
        if not (self.drawing and ev.button() == Qt.MouseButton.LeftButton):
            super().mouseDragEvent(ev, axis)
            return
        ev.accept()
        p = self.mapSceneToView(ev.scenePos())
        if ev.isStart() or self._last is None or (p - self._last).manhattanLength() >= PAINT_SPACING:
            self._last = p
            self.point_drawn.emit(p.x(), p.y())
        if ev.isFinish():
            self._last = None


class PlaneView(QWidget):
    """The live picture of one configuration, with a caption above it."""

    point_drawn = Signal(float, float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.view_box = DrawingViewBox()
        self.view_box.point_drawn.connect(self.point_drawn)
        self.plot = pg.PlotWidget(viewBox=self.view_box)
        self.plot.setAspectLocked(True)
        self.plot.setMenuEnabled(False)
        self.plot.setRange(QRectF(-VIEW_HALF_WIDTH, -VIEW_HALF_WIDTH, 2 * VIEW_HALF_WIDTH, 2 * VIEW_HALF_WIDTH))
        self.plot.setMinimumSize(260, 260)
        self.plot.setBackground(self.palette().color(QPalette.ColorRole.Base))  # the plane outside the view box
        self.heatmap = pg.ImageItem(axisOrder="row-major")
        self.heatmap.setColorMap(HEAT_COLORS)
        self._heat_rect = QRectF(-VIEW_HALF_WIDTH, -VIEW_HALF_WIDTH, 2 * VIEW_HALF_WIDTH, 2 * VIEW_HALF_WIDTH)
        self.manifold = pg.PlotDataItem(pen=pg.mkPen(MANIFOLD_PEN, width=1), antialias=False)
        self.real = pg.ScatterPlotItem(size=4, pen=None, brush=pg.mkBrush(*REAL_BRUSH))
        self.fake = pg.ScatterPlotItem(size=5, pen=None, brush=pg.mkBrush(*FAKE_BRUSH))
        self.arrows = pg.PlotDataItem(pen=pg.mkPen(ARROW_PEN, width=1), connect="pairs", antialias=False)
        self.drawn = pg.ScatterPlotItem(size=7, pen=pg.mkPen("k"), brush=pg.mkBrush(255, 255, 255, 200))
        for item in (self.heatmap, self.manifold, self.real, self.fake, self.arrows, self.drawn):
            self.plot.addItem(item)
        self.heatmap.setZValue(-10)
        self._line_breaks: np.ndarray | None = None
        self._shown_real: np.ndarray | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.caption)
        layout.addWidget(self.plot, 1)

    def set_drawing(self, drawing: bool) -> None:
        self.view_box.drawing = drawing
        self.plot.setCursor(Qt.CursorShape.CrossCursor if drawing else Qt.CursorShape.ArrowCursor)

    def show_drawn_points(self, points: np.ndarray) -> None:
        self.drawn.setData(pos=points.reshape(-1, 2))

    def draw(self, snapshot) -> None:
        """Draw a core.playground.snapshot.Snapshot."""
        heat = snapshot.heatmap
        if snapshot.heat_is_probability:
            levels = (0.0, 1.0)
        else:  # raw scores: centre white on 0 and keep the colours readable whatever the scale
            reach = max(float(np.abs(heat).max()), 1e-6)
            levels = (-reach, reach)
        self.heatmap.setImage(heat, levels=levels, autoLevels=False)
        self.heatmap.setRect(self._heat_rect)  # pixels -> plane units (setImage may reset the transform)
        if snapshot.real is not self._shown_real:  # the same array while a configuration runs
            self._shown_real = snapshot.real
            self.real.setData(pos=snapshot.real)
        move_points(self.fake, snapshot.fake)
        self.arrows.setData(snapshot.arrows[:, 0], snapshot.arrows[:, 1])
        lines = snapshot.manifold
        if self._line_breaks is None or self._line_breaks.size != lines.shape[0] * lines.shape[1]:
            breaks = np.ones(lines.shape[:2], bool)
            breaks[:, -1] = False  # no segment from one line's end to the next line's start
            self._line_breaks = breaks.ravel()
        flat = lines.reshape(-1, 2)
        self.manifold.setData(flat[:, 0], flat[:, 1], connect=self._line_breaks)

    def clear(self) -> None:
        for item in (self.real, self.fake, self.manifold, self.arrows):
            item.setData([], [])
        self._shown_real = None
        self.heatmap.clear()


def move_points(scatter: pg.ScatterPlotItem, positions: np.ndarray) -> None:
    """Move a scatter's points to `positions` (n, 2), keeping their style.

    setData rebuilds every point's record (symbol, size, brush, atlas rectangle), which at 30 frames a second was
    a third of the UI thread's time; when only positions change, writing the x and y columns of pyqtgraph's
    point table and invalidating its bounds and picture draws the same thing.
    """
    data = scatter.data
    if len(data) != len(positions):
        scatter.setData(pos=positions)
        return
    data["x"] = positions[:, 0]
    data["y"] = positions[:, 1]
    scatter.prepareGeometryChange()
    scatter.informViewBoundsChanged()
    scatter.bounds = [None, None]
    scatter.invalidate()
