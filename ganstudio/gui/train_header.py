"""The top of the Train tab's right side: what the run is doing, its live numbers and a progress bar."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QVBoxLayout, QWidget

from ganstudio.core.events import StepMetrics
from ganstudio.gui.caption import Caption

PROGRESS_STEPS = 1000  # resolution of the progress bar
STOPPING_NOTE = "Stopping: saving the checkpoint and exporting the generator..."


def format_duration(seconds: float | None) -> str:
    """ "1:02:03" or "2:03"; "--" when unknown."""
    if seconds is None or seconds != seconds:
        return "--"
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def stats_line(m: StepMetrics) -> str:
    """ "epoch 1.25   ·   step 1,200   ·   850 img/s   ·   elapsed 1:10   ·   ETA 2:00" """
    parts = [
        f"epoch {m.epoch:.2f}",
        f"step {m.step:,}",
        f"{m.images_per_second:,.0f} img/s",
        f"elapsed {format_duration(m.elapsed_seconds)}",
    ]
    if m.eta_seconds is not None:
        parts.append(f"ETA {format_duration(m.eta_seconds)}")
    return "   ·   ".join(parts)


class TrainHeader(QWidget):
    """Stage title, one stats line and the progress bar; it shows what it is told and decides nothing.

    The stage title stays short ("Training", "Stopping"): longer notes about what happens now go into the
    progress bar's text, so they never squeeze the stats line. Once a run has ended the stats line keeps its
    final numbers without an ETA, and the bar shows how far the run got and how it ended.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.stage_label = QLabel("Ready")
        self.stage_label.setStyleSheet("font-weight: 600;")
        # Updated ~20 times a second: a QLabel would re-lay out the whole tab (plots included) on every update.
        self.stats_label = Caption()
        self.progress_bar = QProgressBar(minimum=0, maximum=PROGRESS_STEPS, value=0, format="")
        self._latest: StepMetrics | None = None
        self._note = ""  # shown in the bar instead of the percentage while set (e.g. while stopping)
        line = QHBoxLayout()
        line.addWidget(self.stage_label)
        line.addWidget(self.stats_label, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(line)
        layout.addWidget(self.progress_bar)

    def stage(self) -> str:
        return self.stage_label.text()

    def set_stage(self, text: str) -> None:
        self.stage_label.setText(text)

    def reset(self) -> None:
        """Empty numbers and bar, for a new run."""
        self._latest = None
        self._note = ""
        self.stats_label.setText("")
        self.set_progress(0.0)

    def show_metrics(self, m: StepMetrics) -> None:
        self._latest = m
        self.stats_label.setText(stats_line(replace(m, eta_seconds=None) if self._note else m))
        self.set_progress(m.progress, self._note or (f"{m.progress:.0%}" if m.progress is not None else ""))

    def show_stopping(self) -> None:
        """The run was asked to stop: it saves and exports before it ends."""
        self.set_stage("Stopping")
        self._note = STOPPING_NOTE
        self.progress_bar.setFormat(STOPPING_NOTE)
        if self._latest is not None:
            self.stats_label.setText(stats_line(replace(self._latest, eta_seconds=None)))

    def show_load_progress(self, what: str, done: float, total: float) -> None:
        """Data loading progress; total <= 0 when unknown (a busy bar)."""
        text = f"Loading {what.removeprefix('loading ')}: {done:,.0f}" + (f" / {total:,.0f}" if total > 0 else "")
        self.set_progress(done / total if total > 0 else None, text)

    def show_finished(self, title: str, completed: bool, how: str = "stopped") -> None:
        """The run has ended: final numbers without an ETA, and the bar full or at the fraction it reached,
        saying `how` it ended."""
        self.show_ended(title, "done" if completed else how, 1.0 if completed else None)

    def show_ended(self, title: str, how: str, fraction: float | None = None) -> None:
        """The final state: `title` as the stage, the bar at `fraction` (else where it got to) saying `how`."""
        self._note = ""
        self.set_stage(title)
        latest = self._latest
        if latest is not None:
            self.stats_label.setText(stats_line(replace(latest, eta_seconds=None)))
        if fraction is None:
            fraction = latest.progress if latest is not None and latest.progress is not None else None
        if fraction is None:  # open-ended (or never started): the bar stops moving
            where = f" at step {latest.step:,}" if latest is not None else ""
            self.set_progress(0.0, f"{how}{where}")
        else:
            self.set_progress(fraction, f"{fraction:.0%} ({how})" if how != "done" else f"{fraction:.0%}")

    def is_busy(self) -> bool:
        return self.progress_bar.maximum() == 0

    def set_progress(self, fraction: float | None, text: str = "") -> None:
        """A fraction in [0, 1], or None for a busy bar (open-ended runs, unknown totals)."""
        if fraction is None:
            self.progress_bar.setRange(0, 0)
        else:
            self.progress_bar.setRange(0, PROGRESS_STEPS)
            self.progress_bar.setValue(round(PROGRESS_STEPS * min(1.0, max(0.0, fraction))))
        self.progress_bar.setFormat(text)
