"""A modal progress dialog for a dataset download, with a Cancel button that asks for the run to stop."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

DIALOG_STEPS = 1000


def size_text(done: float, total: float) -> str:
    return f"{done / 1e6:.1f} / {total / 1e6:.1f} MB" if total > 0 else f"{done / 1e6:.1f} MB"


class DownloadProgress(QObject):
    """Opens the dialog on the first progress report and closes it on `close()`; Cancel emits `cancel_requested`."""

    cancel_requested = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self._window = parent
        self._dialog: QProgressDialog | None = None
        self.destination = ""  # the folder the files go to, named in the dialog

    def is_open(self) -> bool:
        return self._dialog is not None

    def report(self, name: str, done: float, total: float) -> None:
        """Show `done` of `total` bytes of file `name` (total <= 0 when unknown), opening the dialog if needed."""
        dialog = self._dialog or self._open()
        into = f"\ninto {self.destination}" if self.destination else ""
        dialog.setLabelText(f"Downloading {name}{into}\n{size_text(done, total)}")
        if total > 0:
            dialog.setRange(0, DIALOG_STEPS)
            dialog.setValue(int(DIALOG_STEPS * min(1.0, done / total)))
        else:
            dialog.setRange(0, 0)

    def close(self) -> None:
        dialog, self._dialog = self._dialog, None
        if dialog is not None:
            dialog.canceled.disconnect(self.cancel_requested)  # hiding/closing emits canceled otherwise
            dialog.hide()
            dialog.deleteLater()

    def _open(self) -> QProgressDialog:
        dialog = QProgressDialog("Downloading the dataset...", "Cancel", 0, DIALOG_STEPS, self._window)
        dialog.setWindowTitle("Downloading")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.setMinimumDuration(0)
        dialog.setMinimumWidth(420)
        dialog.canceled.connect(self.cancel_requested)
        dialog.show()
        self._dialog = dialog
        return dialog
