"""A clickable grid of generated samples, painted crisp; used for the explore grid, the interpolation strip
and the training panel's sample previews.

    grid = SampleGridView()
    grid.set_images(images, columns=8)   # (N, C, H, W) float in [0, 1]
    grid.cell_clicked.connect(...)       # index of the clicked cell (or the one reached with the arrow keys)

The widget keeps only what it draws (tiles, selection, hover); the latents behind the tiles live with
whoever rendered them.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QPoint, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPalette, QPen, QResizeEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from ganstudio.gui.image_view import cap_height_to_width, crisp_scale, paint_crisp, to_qimage
from ganstudio.runtime.imaging import to_uint8


class SampleGridView(QWidget):
    """Tiles of equal-size images in rows of `columns`; click to select, right-click for a context menu."""

    cell_clicked = Signal(int)
    cell_double_clicked = Signal(int)
    cell_context_requested = Signal(int, QPoint)  # index, global position

    def __init__(
        self,
        parent: QWidget | None = None,
        spacing: int = 4,
        min_cell: int = 0,
        placeholder: str = "",
        square: bool = False,
    ) -> None:
        super().__init__(parent)
        self._square = square  # a square grid (rows == columns): see cap_height_to_width
        self._tiles: list[QImage] = []
        self._columns = 1
        self._spacing = spacing
        self._min_cell = min_cell  # > 0: ask for enough width that tiles stay at least this big (strips)
        self._selected: int | None = None
        self._hover: int | None = None
        self._marked: set[int] = set()
        self._placeholder = placeholder
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # arrows, Home/End, Enter and the menu key work too
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    # -- content ------------------------------------------------------------------------------------------

    def set_images(self, images: np.ndarray | None, columns: int | None = None) -> None:
        """(N, C, H, W) float in [0, 1]; columns defaults to a square-ish layout. None clears the grid."""
        if images is None or len(images) == 0:
            self._tiles = []
        else:
            pictures = to_uint8(np.asarray(images, np.float32))
            self._tiles = [to_qimage(p) for p in pictures]
        n = len(self._tiles)
        self._columns = max(1, min(columns or math.ceil(math.sqrt(max(n, 1))), max(n, 1)))
        if self._selected is not None and self._selected >= n:
            self._selected = None
        self._hover = None
        self.updateGeometry()
        self.update()

    def count(self) -> int:
        return len(self._tiles)

    def columns(self) -> int:
        return self._columns

    def set_selected(self, index: int | None) -> None:
        self._selected = index if index is not None and 0 <= index < len(self._tiles) else None
        self.update()

    def selected(self) -> int | None:
        return self._selected

    def set_marked(self, indices: set[int] | list[int]) -> None:
        """Cells drawn with an accent bar underneath (e.g. the keyframes in a strip)."""
        self._marked = set(indices)
        self.update()

    def set_placeholder(self, text: str) -> None:
        self._placeholder = text
        self.update()

    # -- geometry -----------------------------------------------------------------------------------------

    def _rows(self) -> int:
        return math.ceil(len(self._tiles) / self._columns) if self._tiles else 0

    def _cell_size(self) -> float:
        if not self._tiles:
            return 0.0
        cols, rows, gap = self._columns, self._rows(), self._spacing
        w = (self.width() - gap * (cols + 1)) / cols
        h = (self.height() - gap * (rows + 1) - 3) / rows  # 3 px for the keyframe accent bars
        size = max(1.0, min(w, h))
        tile = self._tiles[0].width()
        return crisp_scale(size / tile, self.devicePixelRatioF()) * tile

    def cell_rect(self, index: int) -> QRectF:
        """Where tile `index` is drawn, in widget coordinates (an empty rect when out of range)."""
        if not 0 <= index < len(self._tiles):
            return QRectF()
        size, gap, cols, rows = self._cell_size(), self._spacing, self._columns, self._rows()
        total_w = cols * size + (cols - 1) * gap
        total_h = rows * size + (rows - 1) * gap
        dpr = self.devicePixelRatioF()
        x0 = round((self.width() - total_w) / 2 * dpr) / dpr
        y0 = round((self.height() - total_h) / 2 * dpr) / dpr
        row, col = divmod(index, cols)
        return QRectF(x0 + col * (size + gap), y0 + row * (size + gap), size, size)

    def index_at(self, pos: QPointF | QPoint) -> int | None:
        point = QPointF(pos)
        for i in range(len(self._tiles)):
            if (
                self.cell_rect(i)
                .adjusted(-self._spacing / 2, -self._spacing / 2, self._spacing / 2, self._spacing / 2)
                .contains(point)
            ):
                return i
        return None

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._square:
            cap_height_to_width(self)

    def sizeHint(self) -> QSize:
        if self._min_cell and self._tiles:
            return self.minimumSizeHint()
        return QSize(448, 448)

    def minimumSizeHint(self) -> QSize:
        if self._min_cell and self._tiles:
            cols = self._columns
            return QSize(
                cols * self._min_cell + (cols + 1) * self._spacing,
                self._rows() * self._min_cell + (self._rows() + 1) * self._spacing + 3,
            )
        return QSize(96, 96)

    # -- events -------------------------------------------------------------------------------------------

    def mousePressEvent(self, event) -> None:
        index = self.index_at(event.position())
        if index is None:
            return super().mousePressEvent(event)
        if event.button() == Qt.MouseButton.LeftButton:
            self.set_selected(index)
            self.cell_clicked.emit(index)
        elif event.button() == Qt.MouseButton.RightButton:
            self.cell_context_requested.emit(index, event.globalPosition().toPoint())

    def keyPressEvent(self, event) -> None:
        n, cols = len(self._tiles), self._columns
        if not n:
            return super().keyPressEvent(event)
        current = self._selected
        key = event.key()
        moves = {Qt.Key.Key_Left: -1, Qt.Key.Key_Right: 1, Qt.Key.Key_Up: -cols, Qt.Key.Key_Down: cols}
        if key in moves:
            target = 0 if current is None else current + moves[key]
            if key in (Qt.Key.Key_Left, Qt.Key.Key_Right) and current is not None and target // cols != current // cols:
                target = current  # left/right stay in the row, as in a table
            target = target if 0 <= target < n or current is None else current
        elif key == Qt.Key.Key_Home:
            target = 0
        elif key == Qt.Key.Key_End:
            target = n - 1
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and current is not None:
            self.cell_double_clicked.emit(current)
            return
        elif key == Qt.Key.Key_Menu and current is not None:
            self.cell_context_requested.emit(current, self.mapToGlobal(self.cell_rect(current).center().toPoint()))
            return
        else:
            return super().keyPressEvent(event)
        if target is not None and target != current:
            self.set_selected(target)
            self.cell_clicked.emit(target)

    def focusInEvent(self, event) -> None:
        self.update()
        super().focusInEvent(event)

    def focusOutEvent(self, event) -> None:
        self.update()
        super().focusOutEvent(event)

    def mouseDoubleClickEvent(self, event) -> None:
        index = self.index_at(event.position())
        if index is not None and event.button() == Qt.MouseButton.LeftButton:
            self.cell_double_clicked.emit(index)

    def mouseMoveEvent(self, event) -> None:
        index = self.index_at(event.position())
        if index != self._hover:
            self._hover = index
            self.setCursor(Qt.CursorShape.PointingHandCursor if index is not None else Qt.CursorShape.ArrowCursor)
            self.update()
        super().mouseMoveEvent(event)

    def leaveEvent(self, event) -> None:
        if self._hover is not None:
            self._hover = None
            self.update()
        super().leaveEvent(event)

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        palette = self.palette()
        painter.fillRect(self.rect(), palette.color(QPalette.ColorRole.Base))
        if not self._tiles:
            if self._placeholder:
                painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
                painter.drawText(
                    QRectF(self.rect()).adjusted(8, 8, -8, -8),
                    Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                    self._placeholder,
                )
            painter.end()
            return
        highlight = palette.color(QPalette.ColorRole.Highlight)
        hover = QColor(highlight)
        hover.setAlphaF(0.55)
        for i, tile in enumerate(self._tiles):
            rect = self.cell_rect(i)
            paint_crisp(painter, rect, tile)
            if i in self._marked:
                painter.fillRect(QRectF(rect.left(), rect.bottom() + 1, rect.width(), 2), highlight)
            if i == self._selected:
                painter.setPen(QPen(highlight, 2.5, Qt.PenStyle.DashLine if self.hasFocus() else Qt.PenStyle.SolidLine))
                painter.drawRect(rect.adjusted(-1.5, -1.5, 1.5, 1.5))
            elif i == self._hover:
                painter.setPen(QPen(hover, 1.5))
                painter.drawRect(rect.adjusted(-1, -1, 1, 1))
        painter.end()
