"""The Train tab's log: time-stamped lines in a fixed-width, read-only, bounded text view."""

from __future__ import annotations

import time

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QPlainTextEdit, QWidget

MAX_LINES = 5000  # older lines are dropped, so a long run cannot grow the log without bound


class TrainLog(QPlainTextEdit):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, readOnly=True, maximumBlockCount=MAX_LINES, placeholderText="Training log")
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))

    def add(self, text: str) -> None:
        """Append `text`, each of its lines stamped with the time of day."""
        stamp = time.strftime("%H:%M:%S")
        for line in str(text).splitlines() or [""]:
            self.appendPlainText(f"{stamp}  {line}")
