"""The latent plane's grid: samples tiled as SampleGridView draws them, with a class overlay, a ring where the
current sample lies, click to move there and drag to pan.

Dragging emits `panned(cells_right, cells_up)` as the mouse moves (the tab turns cells into latent units and
re-renders, latest-wins); a press and release without moving is a click on a cell.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

from ganstudio.gui.sample_grid import SampleGridView

DRAG_THRESHOLD = 4  # pixels a press may move and still be a click


class PlaneGrid(SampleGridView):
    panned = Signal(float, float)  # cells to the right, cells up (the view moves, the sample stays)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, spacing=1, placeholder="Open a model to see the plane", square=True)
        self._overlay: list[str] = []
        self._current: tuple[float, float] | None = None  # (row, col) of the current sample, fractional
        self._press: QPointF | None = None
        self._last: QPointF | None = None
        self._dragging = False

    def set_overlay(self, texts: list[str]) -> None:
        """One short text per cell (the class read, its confidence), drawn in the cell's corner."""
        self._overlay = list(texts)
        self.update()

    def overlay(self) -> list[str]:
        return list(self._overlay)

    def set_current(self, cell: tuple[float, float] | None) -> None:
        self._current = cell
        self.update()

    def _pitch(self) -> float:
        """Pixels from one cell to the next."""
        return self.cell_rect(1).left() - self.cell_rect(0).left() if self.count() > 1 else 1.0

    # -- mouse ----------------------------------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._press = self._last = event.position()
            self._dragging = False
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._press is not None and self._last is not None and event.buttons() & Qt.MouseButton.LeftButton:
            position = event.position()
            if not self._dragging and (position - self._press).manhattanLength() > DRAG_THRESHOLD:
                self._dragging = True
                self.setCursor(Qt.CursorShape.ClosedHandCursor)
            if self._dragging:
                delta = position - self._last
                self._last = position
                pitch = max(self._pitch(), 1.0)
                self.panned.emit(-delta.x() / pitch, delta.y() / pitch)  # drag the picture: the view goes the other way
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        press, dragging = self._press, self._dragging
        self._press = self._last = None
        self._dragging = False
        self.unsetCursor()
        if event.button() == Qt.MouseButton.LeftButton and press is not None and not dragging:
            index = self.index_at(event.position())
            if index is not None:
                self.cell_clicked.emit(index)
            return
        super().mouseReleaseEvent(event)

    # -- painting -------------------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if not self.count():
            return
        painter = QPainter(self)
        font = QFont(self.font())
        size = self.cell_rect(0).height()
        font.setPixelSize(max(8, int(size * 0.22)))
        painter.setFont(font)
        for i, text in enumerate(self._overlay[: self.count()]):
            rect = self.cell_rect(i)
            box = QRectF(rect.left() + 1, rect.top() + 1, rect.width() - 2, font.pixelSize() + 3)
            painter.fillRect(
                box.adjusted(0, 0, -(box.width() - painter.fontMetrics().horizontalAdvance(text) - 4), 0),
                QColor(0, 0, 0, 150),
            )
            painter.setPen(QColor(255, 220, 80))
            painter.drawText(box.adjusted(2, 0, 0, 0), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, text)
        if self._current is not None:
            row, col = self._current
            first = self.cell_rect(0)
            pitch = self._pitch()
            centre = QPointF(first.center().x() + col * pitch, first.center().y() + row * pitch)
            if self.rect().contains(centre.toPoint()):
                painter.setPen(QPen(self.palette().highlight().color(), 2.5))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawEllipse(centre, size * 0.55, size * 0.55)
        painter.end()
