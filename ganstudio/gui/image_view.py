"""A crisp image display: nearest-neighbour scaling to a whole number of device pixels per image pixel.

A 28x28 digit shown at 448 px should look like 16x16 blocks, not a blur. `ImageView` paints a QImage with
smoothing off and snaps the scale (and the top-left corner) to the device pixel grid, which also keeps it
sharp at fractional high-DPI scale factors. Colours come from the palette, so light and dark themes work.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPalette, QPen, QResizeEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from ganstudio.runtime.imaging import to_uint8


def as_picture(image: np.ndarray) -> np.ndarray:
    """One image as (H, W, C) uint8: accepts (C, H, W) float in [0, 1] or (H, W, C) / (H, W) uint8."""
    array = np.asarray(image)
    if array.dtype == np.uint8:
        return array[..., None] if array.ndim == 2 else array
    if array.ndim == 2:
        array = array[None]
    return to_uint8(array[None])[0]


def to_qimage(picture: np.ndarray) -> QImage:
    """(H, W, 1 or 3) uint8 -> a QImage that owns its pixels."""
    h, w, c = picture.shape
    if c == 1:
        data, fmt, line = np.ascontiguousarray(picture[..., 0]), QImage.Format.Format_Grayscale8, w
    else:
        data, fmt, line = np.ascontiguousarray(picture[..., :3]), QImage.Format.Format_RGB888, 3 * w
    return QImage(data.tobytes(), w, h, line, fmt).copy()


def crisp_scale(scale: float, dpr: float) -> float:
    """Round a display scale down to whole device pixels per image pixel, unless that wastes over 20 %
    of the space (then the fractional scale is kept; nearest-neighbour still draws hard pixel edges)."""
    device_scale = math.floor(scale * dpr)
    if device_scale >= 1 and device_scale >= 0.8 * scale * dpr:
        return device_scale / dpr
    return scale


def snapped_rect(image_w: int, image_h: int, area: QRectF, dpr: float) -> QRectF:
    """The largest rect for the image inside `area`, preferably with a whole number of device pixels per
    image pixel (see crisp_scale), its corner on the device pixel grid, centred in `area`."""
    if image_w <= 0 or image_h <= 0 or area.width() <= 0 or area.height() <= 0:
        return QRectF()
    scale = crisp_scale(min(area.width() / image_w, area.height() / image_h), dpr)
    w, h = image_w * scale, image_h * scale
    x = round((area.x() + (area.width() - w) / 2) * dpr) / dpr
    y = round((area.y() + (area.height() - h) / 2) * dpr) / dpr
    return QRectF(x, y, w, h)


def paint_crisp(painter: QPainter, target: QRectF, image: QImage) -> None:
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
    painter.drawImage(target, image)


def cap_height_to_width(widget: QWidget) -> None:
    """For a view of square content: never taller than wide, so a tall panel's spare height goes below the
    view (to the panel's trailing stretch) instead of becoming empty bands above and below the picture."""
    height = max(widget.minimumSizeHint().height(), widget.width())
    if widget.maximumHeight() != height:
        widget.setMaximumHeight(height)


class ImageView(QWidget):
    """Shows one image as large as fits, crisp; a placeholder text when there is none."""

    def __init__(self, placeholder: str = "", parent: QWidget | None = None, square: bool = False) -> None:
        super().__init__(parent)
        self._square = square  # see cap_height_to_width
        self._picture: np.ndarray | None = None
        self._qimage: QImage | None = None
        self._placeholder = placeholder
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, False)

    def sizeHint(self) -> QSize:
        return QSize(448, 448)

    def minimumSizeHint(self) -> QSize:
        return QSize(112, 112)

    def set_placeholder(self, text: str) -> None:
        self._placeholder = text
        self.update()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._square:
            cap_height_to_width(self)

    def set_image(self, image: np.ndarray | None) -> None:
        """(C, H, W) float in [0, 1] or (H, W, C) uint8; None clears the view."""
        if image is None:
            self._picture, self._qimage = None, None
        else:
            self._picture = as_picture(image)
            self._qimage = to_qimage(self._picture)
        self.update()

    def picture(self) -> np.ndarray | None:
        """The displayed image as (H, W, C) uint8, or None."""
        return self._picture

    def qimage(self) -> QImage | None:
        return self._qimage

    def image_rect(self) -> QRectF:
        """Where the image is drawn, in widget coordinates."""
        if self._qimage is None:
            return QRectF()
        area = QRectF(self.rect()).adjusted(6, 6, -6, -6)
        return snapped_rect(self._qimage.width(), self._qimage.height(), area, self.devicePixelRatioF())

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        palette = self.palette()
        painter.fillRect(self.rect(), palette.color(QPalette.ColorRole.Base))
        if self._qimage is None:
            if self._placeholder:
                painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
                painter.drawText(
                    QRectF(self.rect()).adjusted(12, 12, -12, -12),
                    Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                    self._placeholder,
                )
        else:
            target = self.image_rect()
            paint_crisp(painter, target, self._qimage)
            edge = QColor(palette.color(QPalette.ColorRole.Mid))
            painter.setPen(QPen(edge, 0))
            painter.drawRect(target.adjusted(-0.5, -0.5, 0.5, 0.5).translated(QPointF(0, 0)))
        painter.end()
