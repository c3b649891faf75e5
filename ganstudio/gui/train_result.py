"""The Train tab's result line: how the run ended, links to its files, and "Load trained model into Explore"."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from ganstudio.core.events import TrainingFinished

FINISH_TITLES = {
    "completed": "Training complete",
    "stopped": "Training stopped",
    "diverged": "Training diverged",
    "error": "Training ended with an error",
}


def finish_title(reason: str) -> str:
    return FINISH_TITLES.get(reason, f"Training {reason}")


def file_link(path: str) -> str:
    return f'<a href="{QUrl.fromLocalFile(path).toString()}">{html.escape(path)}</a>'


def exported_generator(event: TrainingFinished) -> str | None:
    """The run's exported .onnx when it exists on disk."""
    return event.onnx_path if event.onnx_path and Path(event.onnx_path).is_file() else None


def summary_html(event: TrainingFinished) -> str:
    lines = [f"<b>{finish_title(event.reason)}</b> at step {event.step:,}."]
    if event.run_dir:
        lines.append(f"Run folder: {file_link(event.run_dir)}")
    onnx_path = exported_generator(event)
    if onnx_path:
        lines.append(f"Generator exported to ONNX: {file_link(onnx_path)}")
    elif event.checkpoint_path:
        lines.append(f"Checkpoint: {file_link(event.checkpoint_path)}")
    return "<br>".join(lines)


class TrainResult(QWidget):
    load_requested = Signal(str)  # the exported generator to open in Explore

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._onnx_path: str | None = None
        self.label = QLabel("", wordWrap=True, textFormat=Qt.TextFormat.RichText, openExternalLinks=True)
        self.load_button = QPushButton("Load trained model into Explore")
        self.load_button.setToolTip("Open the exported generator in the Explore tab")
        self.load_button.clicked.connect(self._load_clicked)
        # The links (long paths) take the full width above the button rather than a strip beside it, so they
        # wrap as little as a narrow window allows.
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.load_button, 0, Qt.AlignmentFlag.AlignRight)
        self.clear()

    def clear(self) -> None:
        self._onnx_path = None
        self.label.setText("")
        self.label.setVisible(False)
        self.load_button.setEnabled(False)

    def show_finished(self, event: TrainingFinished) -> None:
        self._onnx_path = exported_generator(event)
        self.label.setText(summary_html(event))
        self.label.setVisible(True)
        self.load_button.setEnabled(self._onnx_path is not None)

    def _load_clicked(self) -> None:
        if self._onnx_path:
            self.load_requested.emit(self._onnx_path)
