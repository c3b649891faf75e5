"""Small dialog helpers: readable error boxes, file pickers that remember the last folder, the shortcut list.

Every user-facing failure goes through `show_error`, so tests can patch `QMessageBox.critical` in one place
and a message never shows a bare traceback.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFileDialog, QLabel, QMessageBox, QVBoxLayout, QWidget

from ganstudio.gui.settings import Settings

log = logging.getLogger(__name__)

MODEL_FILTER = "GAN Studio models (*.onnx *.safetensors);;ONNX models (*.onnx);;Checkpoints (*.safetensors)"
PNG_FILTER = "PNG images (*.png)"
GIF_FILTER = "GIF animations (*.gif)"
LATENT_FILTER = "Latent vectors (*.json *.npy);;JSON (*.json);;NumPy arrays (*.npy)"

SHORTCUTS = (
    ("Ctrl+O", "Open a model (.onnx, .safetensors)"),
    ("Ctrl+Shift+O", "Open a run folder"),
    ("Ctrl+S", "Save the current image as PNG"),
    ("Ctrl+Shift+S", "Save the current latent vector"),
    ("Ctrl+L", "Load a latent vector"),
    ("Ctrl+C", "Copy the current image to the clipboard"),
    ("Ctrl+R", "Randomize the current latent"),
    ("Ctrl+0", "Reset the sliders to the selected sample"),
    ("Ctrl+Shift+R", "Reseed the sample grid"),
    ("Ctrl+E", "Export the interpolation strip (PNG)"),
    ("Ctrl+Shift+E", "Export the interpolation animation (GIF)"),
    ("Ctrl+1 / 2 / 3", "Explore / Interpolate / Train tab"),
    ("Ctrl+Q", "Quit"),
)


def show_error(parent: QWidget | None, title: str, message: str) -> None:
    """A modal error box with a readable message (also logged)."""
    log.warning("%s: %s", title, message)
    QMessageBox.critical(parent, title, message)


def show_info(parent: QWidget | None, title: str, message: str) -> None:
    QMessageBox.information(parent, title, message)


def ask_open_model(parent: QWidget, settings: Settings) -> str | None:
    path, _ = QFileDialog.getOpenFileName(parent, "Open Model", settings.last_dir(), MODEL_FILTER)
    if path:
        settings.set_last_dir(path)
    return path or None


def ask_open_folder(parent: QWidget, settings: Settings, title: str = "Open Run Folder") -> str | None:
    path = QFileDialog.getExistingDirectory(parent, title, settings.last_dir())
    if path:
        settings.set_last_dir(path)
    return path or None


def ask_save_path(parent: QWidget, settings: Settings, title: str, name: str, file_filter: str,
                  suffix: str) -> str | None:
    """A save dialog starting in the last folder; the suffix is added when the user leaves it out."""
    start = f"{settings.last_dir()}/{name}"
    path, _ = QFileDialog.getSaveFileName(parent, title, start, file_filter)
    if not path:
        return None
    if "." not in path.rsplit("/", 1)[-1]:
        path += suffix
    settings.set_last_dir(path)
    return path


def ask_open_file(parent: QWidget, settings: Settings, title: str, file_filter: str) -> str | None:
    path, _ = QFileDialog.getOpenFileName(parent, title, settings.last_dir(), file_filter)
    if path:
        settings.set_last_dir(path)
    return path or None


class ShortcutsDialog(QDialog):
    """Help > Keyboard Shortcuts: a two-column table in the palette's colours."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard Shortcuts")
        rows = "".join(f"<tr><td style='padding:3px 18px 3px 0'><b>{key}</b></td><td>{what}</td></tr>"
                       for key, what in SHORTCUTS)
        label = QLabel(f"<table>{rows}</table><p>Drop an .onnx or .safetensors file (or a run folder) "
                       "on the window to open it.</p>")
        label.setTextFormat(Qt.TextFormat.RichText)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(buttons)
