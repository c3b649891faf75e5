"""A splitter for panels of square pictures that puts them side by side or one above the other, whichever shows
the pictures larger in the space it has (a 1024 x 768 window stacks them; a wide one puts them in a row)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QSplitter, QWidget


def best_orientation(width: int, height: int, panels: int) -> Qt.Orientation:
    """The orientation giving each of `panels` square pictures the longer side: in a row each gets
    min(width / n, height), stacked min(width, height / n)."""
    in_row = min(width / panels, height)
    stacked = min(width, height / panels)
    return Qt.Orientation.Vertical if stacked > in_row else Qt.Orientation.Horizontal


class PictureSplitter(QSplitter):
    """Equal panels of square pictures, re-oriented on every resize; the user may still drag the handle."""

    def __init__(self, *panels: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        for panel in panels:
            self.addWidget(panel)
            self.setStretchFactor(self.count() - 1, 1)
        self.setChildrenCollapsible(False)

    def resizeEvent(self, event: QResizeEvent) -> None:
        size = event.size()
        orientation = best_orientation(size.width(), size.height(), self.count())
        if orientation != self.orientation():
            self.setOrientation(orientation)
            self.setSizes([1000] * self.count())
        super().resizeEvent(event)
