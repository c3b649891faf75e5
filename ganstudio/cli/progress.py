"""A one-line, self-overwriting progress display for terminals (plain lines when not a TTY)."""

from __future__ import annotations

import shutil
import sys
import time

from ganstudio.core.events import StepMetrics
from ganstudio.core.history import LOSS_COLUMNS


def format_losses(m: StepMetrics) -> str:
    """ "D 0.693 G 0.701 D(x) 0.50 D(G(z)) 0.49" (an optional column such as gp only when it has a value)."""
    parts = []
    for column in LOSS_COLUMNS:
        value = getattr(m, column.key)
        if column.optional and value != value:  # NaN: not used by this objective
            continue
        parts.append(f"{column.short} {value:.{column.digits}f}")
    return " ".join(parts)


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


class ProgressLine:
    def __init__(self, stream=sys.stderr, interval: float = 0.2) -> None:
        self.stream = stream
        self.interactive = stream.isatty()
        # Non-interactive output (CI logs, files) gets a line every few seconds instead of a redraw.
        self.interval = interval if self.interactive else 5.0
        self._last = 0.0
        self._shown = False

    def update(self, m: StepMetrics) -> None:
        now = time.monotonic()
        if now - self._last < self.interval:
            return
        self._last = now
        bar = ""
        if m.progress is not None:
            filled = int(m.progress * 20)
            bar = f"[{'#' * filled}{'.' * (20 - filled)}] {m.progress * 100:5.1f}% "
        text = (
            f"{bar}epoch {m.epoch:.2f} step {m.step} | {format_losses(m)} | {m.images_per_second:,.0f} img/s "
            f"| ETA {format_duration(m.eta_seconds)}"
        )
        if self.interactive:
            width = shutil.get_terminal_size((120, 20)).columns - 1
            self.stream.write("\r" + text[:width].ljust(width))
            self._shown = True
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def note(self, text: str) -> None:
        self.clear()
        self.stream.write(text + "\n")
        self.stream.flush()

    def clear(self) -> None:
        if self.interactive and self._shown:
            width = shutil.get_terminal_size((120, 20)).columns - 1
            self.stream.write("\r" + " " * width + "\r")
            self.stream.flush()
            self._shown = False
