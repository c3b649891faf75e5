"""A horizontal slider that resets on double-click and can mark a second value on its groove.

The latent sliders hold z before truncation; the marker shows where truncation puts the value the generator
sees, so a ψ below 1 is visible on every slider. Double-click is the usual "back to default" gesture.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QMouseEvent, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QSlider, QStyle, QStyleOptionSlider, QWidget


class ResetSlider(QSlider):
    """QSlider with `double_clicked` and an optional marker (in ticks) drawn under the groove."""

    double_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self._marker: int | None = None

    def marker(self) -> int | None:
        return self._marker

    def set_marker(self, ticks: int | None) -> None:
        """Show a small triangle at `ticks` (clamped to the range); None hides it."""
        if ticks is not None:
            ticks = min(max(ticks, self.minimum()), self.maximum())
        if ticks != self._marker:
            self._marker = ticks
            self.update()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.double_clicked.emit()
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self._marker is None:
            return
        option = QStyleOptionSlider()
        self.initStyleOption(option)
        style = self.style()
        groove = style.subControlRect(QStyle.ComplexControl.CC_Slider, option, QStyle.SubControl.SC_SliderGroove, self)
        handle = style.subControlRect(QStyle.ComplexControl.CC_Slider, option, QStyle.SubControl.SC_SliderHandle, self)
        span = max(1, groove.width() - handle.width())
        x = (
            groove.left()
            + handle.width() / 2
            + style.sliderPositionFromValue(self.minimum(), self.maximum(), self._marker, span)
        )
        y = float(self.height() - 1)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        colour = self.palette().highlight().color()
        painter.setPen(QPen(colour, 1))
        painter.setBrush(colour)
        painter.drawPolygon(QPolygonF([QPointF(x, y - 5), QPointF(x - 4, y), QPointF(x + 4, y)]))
        painter.end()
