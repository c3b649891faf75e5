"""The Playground's training loop, driven by commands and reporting frames; Qt-free, so it runs in its own process.

    the app (gui/playground_worker.py)          the session process (run_session)
    ----------------------------------          ---------------------------------
    configure / play / step / speed / stop  ->  a command queue, read between updates
    TrainingFrame (weights, loss rows)      <-  sent up to FRAME_HZ times a second while playing,
                                                and after every command that changes something

Why a process and not a thread: the networks are tiny, so a training step is mostly Python between small torch
ops, and it holds the GIL for most of its time. On a thread it competed with the render thread and the UI thread
for that one lock; in its own process it has a core and a GIL of its own, and the app only unpickles a frame of
weights (a few hundred kB) up to FRAME_HZ times a second (benchmarks/playground.py measures both).

Frames are sent between single D or G updates, not only between whole steps, so a slow objective (WGAN-GP with
five D updates per G step) still shows D moving at the frame rate. Loss rows are never dropped: rows of a frame
that could not be sent (the app not keeping up) go out with the next one.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from ganstudio.core.history import LOSS_KEYS
from ganstudio.core.playground.config import PlaygroundConfig
from ganstudio.errors import describe_error

# Most frames per second sent while playing. Above 30 so a view that keeps up draws 30 or more: the relay drops
# frames the app cannot take (latest wins), so a slower machine draws fewer without slowing training.
FRAME_HZ = 40.0
ROW_WIDTH = 1 + len(LOSS_KEYS)  # (g_step, *LOSS_KEYS), what LossPlots.append takes
POLL_S = 0.2  # how long an idle session waits for a command before looking again
ORPHAN_CHECK_S = 0.5  # how often the session looks whether the app is still there


@dataclass(frozen=True)
class TrainingFrame:
    """Where each configuration stands, sent by the session."""

    generation: int  # counts configure commands: a new one means the runs were restarted
    configs: tuple[PlaygroundConfig, ...]
    points: np.ndarray | None = field(repr=False)  # drawn points for a custom distribution
    weights: tuple[Any, ...] = field(repr=False)  # core.playground.snapshot.Weights, one per config
    rows: tuple[np.ndarray, ...] = field(repr=False)  # new loss rows per config, (n, ROW_WIDTH)
    playing: bool
    steps_per_second: float  # G steps per second of the first config, measured over the last frames
    settled: bool  # paused or stepped by hand: measure coverage for this frame now


@dataclass(frozen=True)
class SessionFailed:
    """The session stopped on an error; `message` is for the user."""

    message: str


class CommandSource(Protocol):
    def get(self, block: bool = True, timeout: float | None = None) -> tuple[Any, ...]: ...


Send = Callable[[object], bool]  # sends a TrainingFrame or SessionFailed; False when it could not (app busy)


class PlaygroundSession:
    """Owns the trainers. `run()` applies commands and trains until a ("stop",) command."""

    def __init__(self, commands: CommandSource, send: Send, orphaned: Callable[[], bool] = lambda: False) -> None:
        self._commands = commands
        self._send = send
        self._orphaned = orphaned  # the app is gone (killed): stop rather than train on for nobody
        self._orphan_check = 0.0
        self._trainers: list[Any] = []
        self._configs: tuple[PlaygroundConfig, ...] = ()
        self._points: np.ndarray | None = None
        self._generation = 0
        self._playing = False
        self._stopped = False
        self._speed = 0.0  # G steps per second; 0 = as fast as possible
        self._paced_since = 0.0
        self._paced_steps = 0
        self._frame_due = 0.0  # when the next frame is due while playing
        self._rate = 0.0
        self._rate_mark = (0.0, 0)
        self._unsent: list[list[np.ndarray]] = []  # loss rows per trainer not yet delivered
        self._d_since_g: list[int] = []  # per trainer, D updates since its last G update
        self._pending: list[tuple[Any, ...]] = []  # a command read while training, applied next

    def run(self) -> None:
        """Loop until stopped. Failures are sent as SessionFailed and end the loop."""
        try:
            from ganstudio.core.device import one_thread_here

            one_thread_here()  # tiny networks: splitting their ops across cores costs more than it gains
            while not self._stopped:
                self._check_orphaned()
                self._apply_commands(block=not (self._playing and self._trainers))
                if self._playing and self._trainers and not self._stopped:
                    self._play_one_frame()
        except Exception as exc:  # the app shows it
            self._send(SessionFailed(describe_error(exc)))

    def _check_orphaned(self) -> None:
        now = time.monotonic()
        if now - self._orphan_check >= ORPHAN_CHECK_S:
            self._orphan_check = now
            if self._orphaned():
                self._stopped = True

    # ------------------------------------------------------------------ commands
    def _next_command(self, block: bool) -> tuple[Any, ...] | None:
        if self._pending:
            return self._pending.pop(0)
        try:
            return self._commands.get(block, POLL_S if block else None)
        except queue.Empty:
            return None

    def _apply_commands(self, block: bool) -> None:
        command = self._next_command(block)
        while command is not None and not self._stopped:
            self._apply(command)
            command = self._next_command(False)

    def _command_waiting(self) -> bool:
        """Whether a command arrived (kept to be applied next): training yields to it."""
        if not self._pending:
            command = self._next_command(False)
            if command is not None:
                self._pending.append(command)
        return bool(self._pending)

    def _apply(self, command: tuple[Any, ...]) -> None:
        name = command[0]
        if name == "stop":
            self._stopped = True
        elif name == "configure":
            self._configure(command[1], command[2])
        elif name == "play":
            self._playing = bool(command[1])
            self._restart_pacing()
            if not self._playing:
                self._emit(settled=True)
        elif name in ("step_d", "step_g") and self._trainers:
            self._playing = False
            for i, trainer in enumerate(self._trainers):
                self._update(i, trainer, name == "step_d")
            self._emit(settled=True)
        elif name == "speed":
            self._speed = max(0.0, float(command[1]))
            self._restart_pacing()

    def _configure(self, configs: tuple[PlaygroundConfig, ...], points: np.ndarray | None) -> None:
        from ganstudio.core.playground.trainer import PlaygroundTrainer  # torch: only once the Playground runs

        self._trainers = [PlaygroundTrainer(c, points) for c in configs]
        self._configs, self._points = tuple(configs), points
        self._unsent = [[] for _ in configs]
        self._d_since_g = [0 for _ in configs]
        self._generation += 1
        self._rate, self._rate_mark = 0.0, (time.monotonic(), 0)
        self._restart_pacing()
        self._emit(settled=True)

    def _restart_pacing(self) -> None:
        self._paced_since = time.monotonic()
        self._paced_steps = 0
        self._frame_due = self._paced_since

    def _next_frame_due(self) -> float:
        """When the next frame is due: on a fixed schedule of FRAME_HZ, so the time spent sending a frame does not
        stretch the interval; after a stall (a slow frame, a paused process) the schedule restarts from now
        rather than sending a burst to catch up."""
        period = 1.0 / FRAME_HZ
        now = time.monotonic()
        self._frame_due = max(self._frame_due + period, now) if self._frame_due > now - period else now + period
        return self._frame_due

    # ------------------------------------------------------------------ playing
    def _play_one_frame(self) -> None:
        """Train until the next frame is due (or the speed limit says wait), then send it.

        Updates go one at a time (D updates, then the G update of each step) so a frame can fall between the
        updates of one step.
        """
        deadline = self._next_frame_due()
        while not self._command_waiting():
            now = time.monotonic()
            if now >= deadline:
                break
            if self._speed > 0 and self._paced_steps >= (now - self._paced_since) * self._speed:
                next_due = self._paced_since + (self._paced_steps + 1) / self._speed
                time.sleep(max(0.0, min(deadline, next_due) - now))
                continue
            self._advance_one_update()
        self._emit(settled=False)

    def _advance_one_update(self) -> None:
        """The next single update of each trainer (D while its step still owes D updates, else G). A trainer that
        has finished its step waits for the others, so Compare's runs stay at the same G step."""
        low = min(t.g_steps for t in self._trainers)
        for i, trainer in enumerate(self._trainers):
            if trainer.g_steps == low:
                self._update(i, trainer, self._d_since_g[i] < trainer.config.d_steps)
        if min(t.g_steps for t in self._trainers) > low:
            self._paced_steps += 1

    def _update(self, index: int, trainer: Any, discriminator: bool) -> None:
        if discriminator:
            trainer.step_d()
            self._d_since_g[index] += 1
        else:
            trainer.step_g()
            self._d_since_g[index] = 0

    def _emit(self, settled: bool) -> None:
        if not self._trainers:
            return
        now, steps = time.monotonic(), self._trainers[0].g_steps
        mark_time, mark_steps = self._rate_mark
        if now - mark_time >= 0.5:
            self._rate = (steps - mark_steps) / (now - mark_time) if self._playing else 0.0
            self._rate_mark = (now, steps)
        for unsent, trainer in zip(self._unsent, self._trainers, strict=True):
            records = trainer.take_records()
            if records:
                unsent.append(np.array([r.row() for r in records], np.float64).reshape(-1, ROW_WIDTH))
        rows = tuple(
            np.concatenate(unsent) if unsent else np.zeros((0, ROW_WIDTH), np.float64) for unsent in self._unsent
        )
        frame = TrainingFrame(
            generation=self._generation,
            configs=self._configs,
            points=self._points,
            weights=tuple(t.weights() for t in self._trainers),
            rows=rows,
            playing=self._playing,
            steps_per_second=self._rate,
            settled=settled,
        )
        if self._send(frame):
            self._unsent = [[] for _ in self._trainers]
        else:
            self._unsent = [[r] if len(r) else [] for r in rows]


def run_session(commands: Any, frames: Any) -> None:
    """The session process's entry point: commands in, frames out (multiprocessing queues).

    A frame is dropped rather than queued behind others when the app has not taken the previous ones (latest
    wins; its loss rows travel with the next frame), except settled frames, which the app must see.
    """

    def send(message: object) -> bool:
        if isinstance(message, TrainingFrame) and not message.settled and _backlog(frames) >= 2:
            return False
        frames.put(message)
        return True

    import multiprocessing

    parent = multiprocessing.parent_process()
    PlaygroundSession(commands, send, lambda: parent is not None and not parent.is_alive()).run()


def _backlog(frames: Any) -> int:
    try:
        return int(frames.qsize())
    except NotImplementedError:  # macOS has no sem_getvalue: send every frame
        return 0
