"""The Playground's two background threads: one trains, one draws.

    UI thread                    training thread (PlaygroundWorker)      render thread (PlaygroundRenderer)
    ---------                    ----------------------------------      ----------------------------------
    play / step / configure  ->  a command queue, read between steps
                                 trains; <= FRAME_HZ times a second
    loss rows, step count    <-  emits a TrainingFrame (weight copies) ->  submit (latest wins): rebuilds the
    draws the views          <---------------------------------------     networks from the weights, evaluates
                                                                          D's heatmap, G's points, arrows,
                                                                          manifold (and coverage, at most 1 Hz)

Drawing needs 64 x 64 discriminator evaluations per frame, as many as several training steps; doing them on
the render thread leaves the training thread only the weight copy (numpy, well under a millisecond), so the view
can redraw at 30 fps while training keeps nearly its full speed (benchmarks/playground.py measures the ratio).

Only plain data crosses threads: configs (frozen dataclasses), numpy arrays, frozen frames and snapshots, error
strings. Control methods are called from the UI thread and only queue a command; stopping is cooperative, and
torch is imported on the training thread when it starts, never at app start-up.
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from ganstudio.core.history import LOSS_KEYS
from ganstudio.core.playground.config import PlaygroundConfig
from ganstudio.gui.latest_wins import LatestWinsWorker
from ganstudio.gui.train_worker import describe_error

FRAME_HZ = 30.0  # most frames per second sent while playing
COVERAGE_INTERVAL_S = 1.0  # coverage (10,000 samples) is measured at most this often while playing
ROW_WIDTH = 1 + len(LOSS_KEYS)  # (g_step, *LOSS_KEYS), what LossPlots.append takes


@dataclass(frozen=True)
class TrainingFrame:
    """Where each configuration stands, sent by the training thread."""

    generation: int  # counts configure() calls: a new one means the runs were restarted
    configs: tuple[PlaygroundConfig, ...]
    points: np.ndarray | None = field(repr=False)  # drawn points for a custom distribution
    weights: tuple[Any, ...] = field(repr=False)  # core.playground.snapshot.Weights, one per config
    rows: tuple[np.ndarray, ...] = field(repr=False)  # new loss rows per config, (n, ROW_WIDTH)
    playing: bool
    steps_per_second: float  # G steps per second of the first config, measured over the last frames
    settled: bool  # paused or stepped by hand: measure coverage for this frame now


@dataclass(frozen=True)
class ViewFrame:
    """What the views draw for one TrainingFrame."""

    generation: int
    snapshots: tuple[Any, ...] = field(repr=False)  # core.playground.snapshot.Snapshot, one per config
    coverage: tuple[Any, ...] | None  # core.playground.coverage.Coverage per config; None: not measured this time


class PlaygroundWorker(QObject):
    """Owns the trainers on the training thread. Create one per thread; `run()` loops until `stop()`."""

    frame = Signal(object)  # TrainingFrame
    failed = Signal(str)
    done = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._commands: queue.Queue[tuple[Any, ...]] = queue.Queue()
        self._stop = threading.Event()
        self._trainers: list[Any] = []
        self._configs: tuple[PlaygroundConfig, ...] = ()
        self._points: np.ndarray | None = None
        self._generation = 0
        self._playing = False
        self._speed = 0.0  # G steps per second; 0 = as fast as possible
        self._paced_since = 0.0
        self._paced_steps = 0
        self._rate = 0.0
        self._rate_mark = (0.0, 0)

    # ------------------------------------------------------------- any thread
    def configure(self, configs: tuple[PlaygroundConfig, ...], points: np.ndarray | None = None) -> None:
        """Restart from step 0 with these configurations (one, or two to compare) on the same data."""
        self._commands.put(("configure", configs, None if points is None else np.array(points, np.float64)))

    def play(self, playing: bool) -> None:
        self._commands.put(("play", playing))

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
        self._commands.put(("wake",))

    # ------------------------------------------------------------- the training thread
    @Slot()
    def run(self) -> None:
        try:
            from ganstudio.core.device import one_thread_here

            one_thread_here()  # this thread only: see one_thread_here
            while not self._stop.is_set():
                self._apply_commands(block=not (self._playing and self._trainers))
                if self._playing and self._trainers and not self._stop.is_set():
                    self._play_one_frame()
        except Exception as exc:  # a failure ends the loop; the UI shows it
            self.failed.emit(describe_error(exc))
        finally:
            self.done.emit()

    def _apply_commands(self, block: bool) -> None:
        try:
            command = self._commands.get(timeout=0.2) if block else self._commands.get_nowait()
        except queue.Empty:
            return
        while True:
            self._apply(command)
            try:
                command = self._commands.get_nowait()
            except queue.Empty:
                return

    def _apply(self, command: tuple[Any, ...]) -> None:
        name = command[0]
        if name == "configure":
            self._configure(command[1], command[2])
        elif name == "play":
            self._playing = bool(command[1])
            self._restart_pacing()
            if not self._playing:
                self._emit(settled=True)
        elif name in ("step_d", "step_g") and self._trainers:
            self._playing = False
            for trainer in self._trainers:
                trainer.step_d() if name == "step_d" else trainer.step_g()
            self._emit(settled=True)
        elif name == "speed":
            self._speed = max(0.0, command[1])
            self._restart_pacing()

    def _configure(self, configs: tuple[PlaygroundConfig, ...], points: np.ndarray | None) -> None:
        from ganstudio.core.playground.trainer import PlaygroundTrainer  # torch: only once the Playground runs

        self._trainers = [PlaygroundTrainer(c, points) for c in configs]
        self._configs, self._points = tuple(configs), points
        self._generation += 1
        self._rate, self._rate_mark = 0.0, (time.monotonic(), 0)
        self._restart_pacing()
        self._emit(settled=True)

    def _restart_pacing(self) -> None:
        self._paced_since = time.monotonic()
        self._paced_steps = 0

    def _play_one_frame(self) -> None:
        """Train until the next frame is due (or the speed limit says wait), then send it."""
        deadline = time.monotonic() + 1.0 / FRAME_HZ
        while self._commands.empty() and not self._stop.is_set():
            now = time.monotonic()
            if now >= deadline:
                break
            if self._speed > 0 and self._paced_steps >= (now - self._paced_since) * self._speed:
                next_due = self._paced_since + (self._paced_steps + 1) / self._speed
                self._stop.wait(max(0.0, min(deadline, next_due) - now))
                continue
            for trainer in self._trainers:
                trainer.step()
            self._paced_steps += 1
        self._emit(settled=False)

    def _emit(self, settled: bool) -> None:
        if not self._trainers:
            return
        now, steps = time.monotonic(), self._trainers[0].g_steps
        mark_time, mark_steps = self._rate_mark
        if now - mark_time >= 0.5:
            self._rate = (steps - mark_steps) / (now - mark_time) if self._playing else 0.0
            self._rate_mark = (now, steps)
        rows = []
        for trainer in self._trainers:
            records = trainer.take_records()
            rows.append(np.array([r.row() for r in records], np.float64).reshape(-1, ROW_WIDTH))
        self.frame.emit(
            TrainingFrame(
                generation=self._generation,
                configs=self._configs,
                points=self._points,
                weights=tuple(t.weights() for t in self._trainers),
                rows=tuple(rows),
                playing=self._playing,
                steps_per_second=self._rate,
                settled=settled,
            )
        )


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

            one_thread_here()  # the render thread's evaluations are as small as training's
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
