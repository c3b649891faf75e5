"""The Playground's place in the main window: a page that imports and builds the PlaygroundTab the first time it
is shown, so app start-up imports none of it (and never torch)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QVBoxLayout, QWidget

if TYPE_CHECKING:
    from ganstudio.gui.playground_tab import PlaygroundTab


class PlaygroundPage(QWidget):
    """Holds the PlaygroundTab once it has been shown (`tab` is None until then)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tab: PlaygroundTab | None = None
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)

    def showEvent(self, event: QShowEvent) -> None:
        if self.tab is None:
            from ganstudio.gui.playground_tab import PlaygroundTab

            self.tab = PlaygroundTab()
            self._layout.addWidget(self.tab)
        super().showEvent(event)

    def shutdown(self) -> None:
        """Stop the Playground's training process and threads, if it was ever shown (idempotent)."""
        if self.tab is not None:
            self.tab.shutdown()
