"""The Playground's session trains on one torch CPU thread without changing the count other threads (the Train
tab's, the main thread's) use: torch's OpenMP thread count is per thread. In the app the session has a process of
its own; here it runs on a plain thread, which is the stricter case."""

from __future__ import annotations

import queue
import threading

import torch

from ganstudio.core.playground.config import PlaygroundConfig
from ganstudio.core.playground.session import PlaygroundSession
from ganstudio.core.playground.trainer import PlaygroundTrainer

TINY = PlaygroundConfig(g_width=8, d_width=8, g_layers=1, d_layers=1, batch_size=16)


def test_playground_session_uses_one_torch_thread_and_leaves_the_main_threads_count(monkeypatch):
    outer = torch.get_num_threads()
    torch.set_num_threads(2)
    seen: list[int] = []
    step_g = PlaygroundTrainer.step_g
    commands: queue.Queue = queue.Queue()

    def counting_step_g(self: PlaygroundTrainer):
        seen.append(torch.get_num_threads())
        commands.put(("stop",))
        return step_g(self)

    monkeypatch.setattr(PlaygroundTrainer, "step_g", counting_step_g)
    try:
        commands.put(("configure", (TINY,), None))
        commands.put(("step_g",))
        session = PlaygroundSession(commands, lambda frame: True)
        thread = threading.Thread(target=session.run)
        thread.start()
        thread.join(timeout=60)
        assert not thread.is_alive()
        assert seen == [1]
        assert torch.get_num_threads() == 2  # the main thread (and so a Train tab run's thread) keeps its own
    finally:
        torch.set_num_threads(outer)
