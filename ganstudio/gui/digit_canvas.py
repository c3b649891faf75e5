"""A canvas to draw a digit on with the mouse or a pen/tablet: brush size, undo, clear.

Black ink on white paper, like a pen on paper; runtime.digit_preprocess inverts and centres it MNIST-style. A
tablet's pressure scales the brush. `stroke_finished` fires when a stroke ends (the Project tab projects then).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent, QPen, QTabletEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

CANVAS_PIXELS = 280  # drawing resolution: 10x MNIST, fine enough for a pen, small enough to preprocess at once
DEFAULT_BRUSH = 22  # in canvas pixels: about MNIST's stroke width after scaling to 20 px
MAX_UNDO = 50


class DigitCanvas(QWidget):
    stroke_finished = Signal()  # a stroke ended, undo or clear changed the picture, or a picture was set

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._image = self._blank()
        self._undo: list[QImage] = []
        self._last: QPointF | None = None
        self.brush = DEFAULT_BRUSH
        self.setMinimumSize(160, 160)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setToolTip("Draw a digit with the mouse or a pen")

    @staticmethod
    def _blank() -> QImage:
        image = QImage(CANVAS_PIXELS, CANVAS_PIXELS, QImage.Format.Format_Grayscale8)
        image.fill(QColor("white"))
        return image

    def sizeHint(self) -> QSize:
        return QSize(CANVAS_PIXELS, CANVAS_PIXELS)

    # -- state ------------------------------------------------------------------------------------------------

    def is_empty(self) -> bool:
        return bool((self.picture() == 255).all())

    def can_undo(self) -> bool:
        return bool(self._undo)

    def picture(self) -> np.ndarray:
        """(H, W) uint8, 255 = paper."""
        image = self._image
        ptr = image.constBits()
        rows = np.frombuffer(ptr, np.uint8, count=image.bytesPerLine() * image.height())
        return rows.reshape(image.height(), image.bytesPerLine())[:, : image.width()].copy()

    def set_picture(self, gray: np.ndarray) -> None:
        """Show a picture (H, W) float in [0, 1] or uint8, dark ink on light paper, scaled to fit; undoable."""
        arr = np.asarray(gray)
        arr = (np.clip(arr, 0, 1) * 255).astype(np.uint8) if arr.dtype != np.uint8 else arr
        arr = np.ascontiguousarray(arr)
        source = QImage(arr.data, arr.shape[1], arr.shape[0], arr.strides[0], QImage.Format.Format_Grayscale8).copy()
        self._push_undo()
        self._image = self._blank()
        scaled = source.scaled(
            CANVAS_PIXELS, CANVAS_PIXELS, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
        painter = QPainter(self._image)
        painter.drawImage((CANVAS_PIXELS - scaled.width()) // 2, (CANVAS_PIXELS - scaled.height()) // 2, scaled)
        painter.end()
        self.update()
        self.stroke_finished.emit()

    def undo(self) -> None:
        if self._undo:
            self._image = self._undo.pop()
            self.update()
            self.stroke_finished.emit()

    def clear(self) -> None:
        if not self.is_empty():
            self._push_undo()
            self._image = self._blank()
            self.update()
            self.stroke_finished.emit()

    def _push_undo(self) -> None:
        self._undo.append(self._image.copy())
        del self._undo[:-MAX_UNDO]

    # -- drawing ----------------------------------------------------------------------------------------------

    def _to_canvas(self, pos: QPointF) -> QPointF:
        side = min(self.width(), self.height())
        scale = CANVAS_PIXELS / max(1, side)
        return QPointF((pos.x() - (self.width() - side) / 2) * scale, (pos.y() - (self.height() - side) / 2) * scale)

    def _begin(self, pos: QPointF) -> None:
        self._push_undo()
        self._last = self._to_canvas(pos)
        self._draw_to(pos, 1.0)

    def _draw_to(self, pos: QPointF, pressure: float) -> None:
        if self._last is None:
            return
        point = self._to_canvas(pos)
        painter = QPainter(self._image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        width = max(1.0, self.brush * max(0.2, pressure))
        painter.setPen(
            QPen(QColor("black"), width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin)
        )
        painter.drawLine(self._last, point)
        painter.end()
        self._last = point
        self.update()

    def _end(self) -> None:
        if self._last is not None:
            self._last = None
            self.stroke_finished.emit()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._begin(event.position())

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._draw_to(event.position(), 1.0)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._end()

    def tabletEvent(self, event: QTabletEvent) -> None:
        kind = event.type()
        if kind == QTabletEvent.Type.TabletPress:
            self._begin(event.position())
        elif kind == QTabletEvent.Type.TabletMove and self._last is not None:
            self._draw_to(event.position(), float(event.pressure()))
        elif kind == QTabletEvent.Type.TabletRelease:
            self._end()
        event.accept()  # no synthesised mouse events on top of the pen's

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        side = min(self.width(), self.height())
        painter.fillRect(self.rect(), self.palette().window())
        target = (self.width() - side) // 2, (self.height() - side) // 2
        painter.drawImage(self.rect().adjusted(target[0], target[1], -target[0], -target[1]), self._image)
        painter.setPen(QColor("#888"))
        painter.drawRect(target[0], target[1], side - 1, side - 1)
        painter.end()
