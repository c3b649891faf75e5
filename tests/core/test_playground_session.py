"""The Playground's session loop (run in the app's training process): frames fall between single updates, no loss
row is lost when the app cannot take a frame, and Compare's runs stay at the same G step."""

from __future__ import annotations

import queue
import threading
import time

import numpy as np
import torch

from ganstudio.core.playground.config import PlaygroundConfig
from ganstudio.core.playground.session import PlaygroundSession, SessionFailed, TrainingFrame

TINY = dict(g_width=8, d_width=8, g_layers=1, d_layers=1, batch_size=16)


def play_until(configs, g_steps: int, accept=lambda n: True):
    """Run a session on a thread, play until the first config reaches `g_steps` G steps, stop; the frames sent
    (those `accept(n)` took; n counts send attempts)."""
    commands: queue.Queue = queue.Queue()
    sent: list[object] = []
    attempts = 0

    def send(message: object) -> bool:
        nonlocal attempts
        attempts += 1
        if isinstance(message, TrainingFrame) and not message.settled and not accept(attempts):
            return False
        sent.append(message)
        if isinstance(message, TrainingFrame) and message.weights[0].g_steps >= g_steps:
            commands.put(("stop",))
        return True

    commands.put(("configure", tuple(configs), None))
    commands.put(("play", True))
    before = torch.get_num_threads()
    thread = threading.Thread(target=PlaygroundSession(commands, send).run)
    thread.start()
    deadline = time.monotonic() + 60
    while thread.is_alive() and time.monotonic() < deadline:
        thread.join(0.1)
    commands.put(("stop",))
    thread.join(10)
    torch.set_num_threads(before)
    assert not thread.is_alive()
    assert not [m for m in sent if isinstance(m, SessionFailed)]
    return [m for m in sent if isinstance(m, TrainingFrame)]


def test_no_loss_row_is_lost_when_the_app_skips_frames():
    frames = play_until([PlaygroundConfig(**TINY)], 40, accept=lambda n: n % 3 == 0)
    steps = np.concatenate([f.rows[0][:, 0] for f in frames])
    np.testing.assert_array_equal(steps, np.arange(1, len(steps) + 1))
    assert len(steps) >= 40


def test_frames_fall_between_the_d_updates_of_a_step(monkeypatch):
    from ganstudio.core.playground.trainer import PlaygroundTrainer

    step_d = PlaygroundTrainer.step_d

    def slow_step_d(self):  # 5 D updates take 100 ms, three frame intervals
        time.sleep(0.02)
        step_d(self)

    monkeypatch.setattr(PlaygroundTrainer, "step_d", slow_step_d)
    frames = play_until([PlaygroundConfig(d_steps=5, **TINY)], 3)
    for frame in frames:
        weights = frame.weights[0]
        assert weights.g_steps * 5 <= weights.d_updates <= (weights.g_steps + 1) * 5
    assert sum(f.weights[0].d_updates % 5 != 0 for f in frames) >= 3  # frames in the middle of a step


def test_compare_runs_stay_at_the_same_g_step():
    frames = play_until([PlaygroundConfig(d_steps=1, **TINY), PlaygroundConfig(d_steps=4, **TINY)], 10)
    for frame in frames:
        a, b = frame.weights
        assert abs(a.g_steps - b.g_steps) <= 1


def test_a_session_whose_app_is_gone_stops_even_while_playing():
    commands: queue.Queue = queue.Queue()
    commands.put(("configure", (PlaygroundConfig(**TINY),), None))
    commands.put(("play", True))
    gone = threading.Event()
    session = PlaygroundSession(commands, lambda frame: True, orphaned=gone.is_set)
    thread = threading.Thread(target=session.run)
    thread.start()
    time.sleep(0.5)
    assert thread.is_alive()  # playing: it would train forever
    gone.set()
    thread.join(5)
    assert not thread.is_alive()


def test_frames_keep_a_fixed_schedule_and_do_not_burst_after_a_stall(monkeypatch):
    """The interval between frames does not grow by the time a frame takes to send (so a view that keeps up draws
    FRAME_HZ frames a second), and after a stall the schedule restarts instead of sending a burst of frames."""
    from ganstudio.core.playground import session as session_module

    clock = [100.0]
    monkeypatch.setattr(session_module.time, "monotonic", lambda: clock[0])
    session = PlaygroundSession(queue.Queue(), lambda message: True)
    session._restart_pacing()
    period = 1.0 / session_module.FRAME_HZ
    dues = []
    for _ in range(5):
        dues.append(session._next_frame_due())
        clock[0] = dues[-1] + 0.4 * period  # sending the frame took 40% of a period
    np.testing.assert_allclose(np.diff(dues), period)  # not 1.4 periods apart
    clock[0] += 10.0  # a stall: the process was paused
    after = session._next_frame_due()
    assert after == clock[0] + period
    assert session._next_frame_due() == after + period
