"""When a training run's generator is worth measuring: enough steps AND enough time since the last measurement,
and not while the user drags a slider (up to a limit). Plain Python: no torch, no Qt."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

MIN_SECONDS = 15.0  # at least this long between two measurements ...
DEFAULT_EVERY_STEPS = 200  # ... and at least this many steps (whichever comes later)
# A measurement that falls due while the user drags a slider waits until the sliders have been still this long:
# on two cores it would take the CPU the drag and training share (training lost about a third of its speed
# during a drag that overlapped a measurement, an eighth otherwise) ...
QUIET_SECONDS = 1.0
MAX_DEFER_SECONDS = 60.0  # ... but never longer than this past its due time, so a long session still gets numbers


class MetricsSchedule:
    """When a snapshot is worth measuring: `every_steps` steps AND `min_seconds` since the last measurement, and
    the user not dragging a slider (`interacting()` in the last `quiet_seconds`; held at most `max_defer`)."""

    def __init__(
        self,
        every_steps: int = DEFAULT_EVERY_STEPS,
        min_seconds: float = MIN_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        quiet_seconds: float = QUIET_SECONDS,
        max_defer: float = MAX_DEFER_SECONDS,
    ) -> None:
        self.every_steps = every_steps  # 0 = never (live metrics off)
        self.min_seconds = min_seconds
        self.quiet_seconds = quiet_seconds
        self.max_defer = max_defer
        self.clock = clock
        self.last_step: int | None = None  # None: the first snapshot sets the base (a resumed run starts late)
        self.last_time = clock()
        self.last_interaction = -math.inf
        self.held_since: float | None = None  # when a due measurement was first held back for the user

    def restart(self, every_steps: int | None = None) -> None:
        if every_steps is not None:
            self.every_steps = every_steps
        self.last_step, self.last_time, self.held_since = None, self.clock(), None

    def interacting(self) -> None:
        """The user moved a slider just now."""
        self.last_interaction = self.clock()

    def due(self, step: int) -> bool:
        if self.every_steps <= 0:
            return False
        if self.last_step is None:
            self.last_step = step
        now = self.clock()
        if step - self.last_step < self.every_steps or now - self.last_time < self.min_seconds:
            return False
        if now - self.last_interaction >= self.quiet_seconds:
            return True
        if self.held_since is None:
            self.held_since = now
        return now - self.held_since >= self.max_defer

    def mark(self, step: int) -> None:
        self.last_step, self.last_time, self.held_since = step, self.clock(), None
