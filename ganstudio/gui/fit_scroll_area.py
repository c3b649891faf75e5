"""A scroll area that scrolls only when its widget cannot fit (the Train tab's quality panel)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QFrame, QScrollArea, QWidget


class FitScrollArea(QScrollArea):
    """Shows its widget at the viewport's size, never below the widget's minimum size; only then it scrolls.

    QScrollArea's own widgetResizable sizes a widget with word-wrapped labels by height-for-width, which here is
    the plots' comfortable height: the quality panel would scroll even on a large screen.
    """

    def __init__(self, widget: QWidget) -> None:
        super().__init__()
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setWidget(widget)
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            self._fit()
        return super().eventFilter(watched, event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        widget = self.widget()
        if widget is None:
            return
        viewport = self.viewport().size()
        needed = widget.minimumSizeHint().height()
        layout = widget.layout()
        if layout is not None and layout.hasHeightForWidth():  # wrapped labels need more height when narrow
            needed = max(needed, layout.minimumHeightForWidth(viewport.width()))
        widget.resize(max(viewport.width(), widget.minimumSizeHint().width()), max(viewport.height(), needed))
