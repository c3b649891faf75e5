"""The Playground's background work: a process that trains, and a thread that draws.

    UI thread                    session process (core/playground/session.py)   render thread (PlaygroundRenderer)
    ---------                    --------------------------------------------   ----------------------------------
    play / step / configure  ->  command queue, read between single updates
                                 trains; <= FRAME_HZ frames a second
    PlaygroundWorker's thread <- TrainingFrame (weight copies, loss rows)
    loss rows, step count    <-  (relays each frame as a signal)           ->    submit (latest wins): rebuilds the
    draws the views          <-------------------------------------------------  networks from the weights, evaluates
                                                                                D's heatmap, G's points, arrows,
                                                                                manifold (and coverage, at most 1 Hz)

Training runs in a process of its own because its steps are mostly Python between tiny torch ops: on a thread it
held the GIL that the render and UI threads need (session.py says more). The relay thread only waits on the frame
queue. Only plain data crosses: configs (frozen dataclasses), numpy arrays, frozen frames and snapshots, error
strings. Control methods are called from the UI thread and only queue a command; stopping is cooperative (a stop
command, then a bounded wait; a session that does not answer is ended, never a QThread). Torch is imported in the
session process and on the render thread when the Playground first runs, never at app start-up.
"""

from __future__ import annotations

import multiprocessing
import queue
import threading
import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from ganstudio.core.playground.config import PlaygroundConfig
from ganstudio.core.playground.session import FRAME_HZ, ROW_WIDTH, SessionFailed, TrainingFrame, run_session
from ganstudio.errors import describe_error
from ganstudio.gui.latest_wins import LatestWinsWorker

__all__ = ["FRAME_HZ", "ROW_WIDTH", "PlaygroundRenderer", "PlaygroundWorker", "TrainingFrame", "ViewFrame"]

COVERAGE_INTERVAL_S = 1.0  # coverage (10,000 samples) is measured at most this often while playing
STOP_WAIT_S = 5.0  # a session answers "stop" within one update; after this it is ended
RELAY_POLL_S = 0.2
HELD_POLL_S = 0.01  # while a frame is held back, how often the relay looks whether the UI has taken the last


def merge_frames(held: TrainingFrame | None, newer: TrainingFrame) -> TrainingFrame:
    """One frame standing for `held` followed by `newer`: the newer state with both frames' loss rows. Frames of
    an earlier generation (settings since changed) are dropped."""
    if held is None or held.generation != newer.generation:
        return newer
    rows = tuple(np.concatenate([a, b]) for a, b in zip(held.rows, newer.rows, strict=True))
    return replace(newer, rows=rows, settled=held.settled or newer.settled)


@dataclass(frozen=True)
class ViewFrame:
    """What the views draw for one TrainingFrame."""

    generation: int
    snapshots: tuple[Any, ...] = field(repr=False)  # core.playground.snapshot.Snapshot, one per config
    coverage: tuple[Any, ...] | None  # core.playground.coverage.Coverage per config; None: not measured this time


class PlaygroundWorker(QObject):
    """Starts the session process and relays its frames as signals. `run()` (on a QThread) loops until `stop()`.

    Commands sent before `run()` starts the process are kept and delivered in order.
    """

    frame = Signal(object)  # TrainingFrame
    failed = Signal(str)
    done = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        # spawn, not fork: forking a process that runs Qt's threads can deadlock the child
        self._context = multiprocessing.get_context("spawn")
        self._commands: Any = self._context.Queue()
        self._frames: Any = self._context.Queue()
        self._stop = threading.Event()
        self._session: Any = None
        self._lock = threading.Lock()
        self._held: TrainingFrame | None = None  # arrived while the UI still had the previous one
        self._in_flight = False  # a frame was emitted and the UI has not taken it yet

    # ------------------------------------------------------------- any thread
    def configure(self, configs: tuple[PlaygroundConfig, ...], points: np.ndarray | None = None) -> None:
        """Restart from step 0 with these configurations (one, or two to compare) on the same data."""
        self._commands.put(("configure", tuple(configs), None if points is None else np.array(points, np.float64)))

    def play(self, playing: bool) -> None:
        self._commands.put(("play", bool(playing)))

    def step_d(self) -> None:
        """One D update of every configuration (pauses first)."""
        self._commands.put(("step_d",))

    def step_g(self) -> None:
        """One G update of every configuration (pauses first)."""
        self._commands.put(("step_g",))

    def set_speed(self, steps_per_second: float) -> None:
        self._commands.put(("speed", float(steps_per_second)))

    def stop(self) -> None:
        self._stop.set()

    def frame_taken(self) -> None:
        """The UI thread has taken the last frame sent: the next may go (called by the frame's receiver)."""
        with self._lock:
            self._in_flight = False

    def _offer(self, frame: TrainingFrame | None) -> None:
        """Send `frame` now if the UI has taken the previous one, else hold it, merged with any frame already held
        (the newest weights, every loss row). So at most one frame waits in Qt's event queue: a UI thread slower
        than the session (Compare on a busy machine) sees the newest state instead of a growing backlog."""
        with self._lock:
            if frame is not None:
                self._held = merge_frames(self._held, frame)
            if self._in_flight or self._held is None:
                return
            frame, self._held, self._in_flight = self._held, None, True
        self.frame.emit(frame)

    # ------------------------------------------------------------- the relay thread
    @Slot()
    def run(self) -> None:
        try:
            self._session = self._context.Process(
                target=run_session, args=(self._commands, self._frames), name="ganstudio-playground", daemon=True
            )
            self._session.start()
            while not self._stop.is_set():
                self._offer(None)  # a frame held back while the UI was busy goes out once it has taken the last
                try:
                    message = self._frames.get(timeout=HELD_POLL_S if self._held is not None else RELAY_POLL_S)
                except queue.Empty:
                    if not self._session.is_alive():
                        raise RuntimeError(
                            f"the Playground's training process ended (exit code {self._session.exitcode})"
                        ) from None
                    continue
                if isinstance(message, SessionFailed):
                    self.failed.emit(message.message)
                    break
                self._offer(message)
        except Exception as exc:  # a failure ends the loop; the UI shows it
            self.failed.emit(describe_error(exc))
        finally:
            self._end_process()
            self.done.emit()

    def _end_process(self) -> None:
        process, self._session = self._session, None
        if process is None:
            return
        self._commands.put(("stop",))
        deadline = time.monotonic() + STOP_WAIT_S
        while process.is_alive() and time.monotonic() < deadline:
            self._drain_frames()  # a full pipe would block the session's last put
            process.join(0.05)
        if process.is_alive():
            process.kill()
            process.join(STOP_WAIT_S)
        self._drain_frames()
        for channel in (self._commands, self._frames):
            channel.cancel_join_thread()
            channel.close()

    def _drain_frames(self) -> None:
        try:
            while True:
                self._frames.get_nowait()
        except (queue.Empty, OSError, ValueError):
            pass


class PlaygroundRenderer(LatestWinsWorker):
    """Turns TrainingFrames into ViewFrames on its own thread; a frame that waits is replaced by a newer one."""

    rendered = Signal(object)  # ViewFrame
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._makers: list[Any] = []
        self._made_for: tuple[int, ...] = ()
        self._generation = -1
        self._last_coverage = 0.0

    def _process(self, job: TrainingFrame) -> None:
        try:
            self._render(job)
        except Exception as exc:
            self.failed.emit(describe_error(exc))

    def _render(self, job: TrainingFrame) -> None:
        if job.generation != self._generation:
            from ganstudio.core.device import one_thread_here
            from ganstudio.core.playground.distributions import make_distribution
            from ganstudio.core.playground.snapshot import SnapshotMaker

            one_thread_here()  # the training process has the other core
            self._makers = [SnapshotMaker(c, make_distribution(c.dist, job.points)) for c in job.configs]
            self._generation = job.generation
            self._last_coverage = 0.0
        snapshots = []
        for maker, weights in zip(self._makers, job.weights, strict=True):
            maker.load(weights)
            snapshots.append(maker.snapshot(weights.g_steps, weights.d_updates, weights.last_moved))
        now = time.monotonic()
        coverage = None
        if job.settled or now - self._last_coverage >= COVERAGE_INTERVAL_S:
            coverage = tuple(maker.coverage() for maker in self._makers)
            self._last_coverage = now
        self.rendered.emit(ViewFrame(job.generation, tuple(snapshots), coverage))
