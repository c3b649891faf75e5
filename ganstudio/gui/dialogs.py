"""Small UI helpers: readable error boxes, file pickers that remember the last folder, the shortcut list,
and the few layout helpers the tabs share (titled panels whose headers line up).

Every user-facing failure goes through `show_error`, so tests can patch `QMessageBox.critical` in one place
and a message never shows a bare traceback.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ganstudio.gui.settings import Settings
from ganstudio.gui.tab_order import shortcut_row

log = logging.getLogger(__name__)

MODEL_FILTER = (
    "GAN Studio models and saved samples (*.onnx *.safetensors *.png);;ONNX models (*.onnx);;"
    "Checkpoints (*.safetensors);;Saved samples (*.png)"
)
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
    shortcut_row(),
    ("Ctrl+I", "Show or hide the Model Info panel"),
    ("F1", "This list of shortcuts"),
    ("Ctrl+Q", "Quit"),
    ("Arrow keys", "Sample grid (click it first): move the selection, which becomes the current sample"),
    ("Home / End", "Sample grid: first / last sample"),
    ("Menu key", "Sample grid: the selected sample's menu (use as interpolation keyframe)"),
    ("← / →", "A focused slider: one small step; Page Up / Page Down: a large step"),
    ("Double-click", "A latent slider: back to the sample's value; the truncation slider: back to ψ 1.00"),
)


def show_error(parent: QWidget | None, title: str, message: str) -> None:
    """A modal error box with a readable message."""
    log.debug("%s: %s", title, message)  # the dialog says it; the terminal stays quiet
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


def ask_save_path(
    parent: QWidget, settings: Settings, title: str, name: str, file_filter: str, suffix: str
) -> str | None:
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
        rows = "".join(
            f"<tr><td style='padding:3px 18px 3px 0'><b>{key}</b></td><td>{what}</td></tr>" for key, what in SHORTCUTS
        )
        label = QLabel(
            f"<table>{rows}</table><p>Drop an .onnx or .safetensors file (or a run folder) "
            "on the window to open it, or a PNG that GAN Studio saved to restore its sample.</p>"
        )
        label.setTextFormat(Qt.TextFormat.RichText)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(buttons)


def make_title(text: str) -> QLabel:
    label = QLabel(text)
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    return label


def make_header(title: str | QLabel, *items: QWidget | int) -> QWidget:
    """A panel's title row; all headers share one height so side-by-side panels line up."""
    header = QWidget()
    row = make_row(title if isinstance(title, QLabel) else make_title(title), *(items or (1,)))
    row.setContentsMargins(0, 0, 0, 0)
    header.setLayout(row)
    header.setFixedHeight(max(QSpinBox().sizeHint().height(), QPushButton().sizeHint().height()))
    return header


def make_panel(*widgets: QWidget | QHBoxLayout, stretch_last: bool = True) -> QWidget:
    panel = QWidget()
    layout = QVBoxLayout(panel)
    layout.setContentsMargins(8, 8, 8, 8)
    for i, item in enumerate(widgets):
        stretch = 1 if stretch_last and i == len(widgets) - 1 else 0
        if isinstance(item, QHBoxLayout):
            layout.addLayout(item)
        else:
            layout.addWidget(item, stretch)
    return panel


def scrolling_rows(vertical_spacing: int, horizontal_spacing: int | None = None) -> tuple[QGridLayout, QScrollArea]:
    """A grid of slider rows in a scroll area that scrolls only vertically: (the grid to fill, the area)."""
    rows = QWidget()
    grid = QGridLayout(rows)
    grid.setContentsMargins(2, 2, 8, 2)  # room on the right for the scroll bar
    if horizontal_spacing is not None:
        grid.setHorizontalSpacing(horizontal_spacing)
    grid.setVerticalSpacing(vertical_spacing)
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll.setWidget(rows)
    return grid, scroll


def make_row(*items: QWidget | int) -> QHBoxLayout:
    row = QHBoxLayout()
    for item in items:
        if isinstance(item, int):
            row.addStretch(item)
        else:
            if isinstance(item, QPushButton):
                let_shrink(item)
            row.addWidget(item)
    return row


def let_shrink(button: QPushButton) -> None:
    """Let a text button shrink to its text when space is short: styles give every text button a minimum of
    about 80 px, which for a row of short buttons ("Copy", "Save…") forces the window wider than a 1024 px
    screen. The button still takes its usual width when there is room."""
    if button.text():
        button.setMinimumWidth(
            min(button.sizeHint().width(), button.fontMetrics().horizontalAdvance(button.text()) + 20)
        )


class WidthHint(QWidget):
    """A container whose preferred width is fixed, whatever its contents say; a layout may still shrink it to
    its minimum width when space is short (a 1024 px screen) and give it this width when there is room."""

    def __init__(self, width: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._width = width

    def sizeHint(self) -> QSize:
        return QSize(self._width, super().sizeHint().height())
