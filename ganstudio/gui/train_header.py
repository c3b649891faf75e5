"""The top of the Train tab's right side: what the run is doing, its live numbers and a progress bar."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QVBoxLayout, QWidget

from ganstudio.core.events import StepMetrics
from ganstudio.gui.caption import Caption

PROGRESS_STEPS = 1000  # resolution of the progress bar


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
    """Stage title, one stats line and the progress bar; it shows what it is told and decides nothing."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.stage_label = QLabel("Ready")
        self.stage_label.setStyleSheet("font-weight: 600;")
        # Updated ~20 times a second: a QLabel would re-lay out the whole tab (plots included) on every update.
        self.stats_label = Caption()
        self.progress_bar = QProgressBar(minimum=0, maximum=PROGRESS_STEPS, value=0, format="")
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
        self.stats_label.setText("")
        self.set_progress(0.0)

    def show_metrics(self, m: StepMetrics) -> None:
        self.stats_label.setText(stats_line(m))
        self.set_progress(m.progress, f"{m.progress:.0%}" if m.progress is not None else "")

    def show_load_progress(self, what: str, done: float, total: float) -> None:
        """Data loading progress; total <= 0 when unknown (a busy bar)."""
        text = f"Loading {what.removeprefix('loading ')}: {done:,.0f}" + (f" / {total:,.0f}" if total > 0 else "")
        self.set_progress(done / total if total > 0 else None, text)

    def show_finished(self, title: str, completed: bool) -> None:
        self.set_stage(title)
        if completed:
            self.set_progress(1.0, "100%")
        elif self.is_busy():  # an open-ended run's busy bar stops moving
            self.set_progress(0.0)

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
