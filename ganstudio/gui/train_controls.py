"""The Train tab's run buttons: Start, Pause, Resume, Stop and "Resume a run...".

The buttons only announce what the user asked for (intent signals); which of them are enabled follows the
run's state, given by `show_state`, so this widget keeps no state of its own.
"""

from __future__ import annotations

from PySide6.QtCore import Signal, SignalInstance
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from ganstudio.gui.train_run import RunState


def _button(text: str, tip: str, signal: SignalInstance) -> QPushButton:
    button = QPushButton(text)
    button.setToolTip(tip)
    button.clicked.connect(lambda: signal.emit())
    return button


class TrainControls(QWidget):
    start_requested = Signal()  # a new run with the form's options
    pause_requested = Signal()
    resume_requested = Signal()  # continue the paused run
    stop_requested = Signal()
    resume_run_requested = Signal()  # continue a saved run folder (the panel asks which)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.start_button = _button("Start", "Train a new model with these options", self.start_requested)
        self.start_button.setDefault(True)
        self.pause_button = _button("Pause", "Hold training after this step", self.pause_requested)
        self.resume_button = _button("Resume", "Continue the paused training", self.resume_requested)
        self.stop_button = _button(
            "Stop", "Stop after this step; the run is saved and its generator exported", self.stop_requested
        )
        self.resume_run_button = _button(
            "Resume a run...",
            "Continue a saved run folder, training for the budget set above",
            self.resume_run_requested,
        )
        row = QHBoxLayout()
        for button in (self.start_button, self.pause_button, self.resume_button, self.stop_button):
            row.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.resume_run_button)

    def show_state(self, state: RunState, can_start: bool) -> None:
        """Enable what makes sense now; `can_start` says whether the options are valid."""
        running, paused, stopping = state.running, state.paused, state.stopping
        self.start_button.setEnabled(not running and can_start)
        self.resume_run_button.setEnabled(not running)
        self.pause_button.setEnabled(running and not paused and not stopping)
        self.resume_button.setEnabled(running and paused and not stopping)
        self.stop_button.setEnabled(running and not stopping)
