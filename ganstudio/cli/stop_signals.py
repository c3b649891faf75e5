"""Ctrl+C, `kill PID` (SIGTERM) and a closed terminal or logout (SIGHUP) all stop a training run the same way:
the trainer saves a checkpoint at the next step boundary and the command exits with 128 + the signal's number
(130, 143, 129), the shell convention for "ended by this signal", so scripts and schedulers can tell a stopped
run from one that reached its budget (exit 0). A second signal aborts at once, without saving.
"""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Callable
from types import FrameType, TracebackType
from typing import Any

STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)  # Windows has no SIGHUP


def signal_name(signum: int) -> str:
    return "Ctrl+C" if signum == signal.SIGINT else signal.Signals(signum).name


class StopOnSignals:
    """While active, the first stop signal calls `stop()`; a second one raises KeyboardInterrupt (abort)."""

    def __init__(self, stop: Callable[[], None]) -> None:
        self._stop = stop
        self.received: int | None = None
        self._previous: dict[int, Any] = {}

    @property
    def exit_code(self) -> int:
        """128 + the signal's number, or 0 when none arrived."""
        return 128 + self.received if self.received is not None else 0

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.received is not None:
            raise KeyboardInterrupt
        self.received = signum
        again = "Ctrl+C" if signum == signal.SIGINT else "signal"
        # After a SIGHUP the terminal may be gone: a failed write must not turn the clean stop into a crash.
        with contextlib.suppress(OSError):
            print(
                f"\n{signal_name(signum)}: stopping after this step and saving ({again} again to abort without saving)",
                file=sys.stderr,
                flush=True,
            )
        self._stop()

    def __enter__(self) -> StopOnSignals:
        for signum in STOP_SIGNALS:
            self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)
        self._previous.clear()
