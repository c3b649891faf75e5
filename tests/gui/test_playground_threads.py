"""The Playground trains on one torch CPU thread without changing the count other threads (the Train tab's, the
main thread's) use: torch's OpenMP thread count is per thread."""

from __future__ import annotations

import threading

import torch

from ganstudio.core.playground.config import PlaygroundConfig
from ganstudio.core.playground.trainer import PlaygroundTrainer
from ganstudio.gui.playground_worker import PlaygroundWorker

TINY = PlaygroundConfig(g_width=8, d_width=8, g_layers=1, d_layers=1, batch_size=16)


def test_playground_training_thread_uses_one_torch_thread_and_leaves_the_main_threads_count(monkeypatch):
    outer = torch.get_num_threads()
    torch.set_num_threads(2)
    seen: list[int] = []
    step_g = PlaygroundTrainer.step_g
    worker = PlaygroundWorker()

    def counting_step_g(self: PlaygroundTrainer):
        seen.append(torch.get_num_threads())
        worker.stop()
        return step_g(self)

    monkeypatch.setattr(PlaygroundTrainer, "step_g", counting_step_g)
    try:
        worker.configure((TINY,))
        worker.step_g()
        thread = threading.Thread(target=worker.run)  # what the tab's QThread runs
        thread.start()
        thread.join(timeout=60)
        assert not thread.is_alive()
        assert seen == [1]
        assert torch.get_num_threads() == 2  # the main thread (and so a Train tab run's thread) keeps its own
    finally:
        torch.set_num_threads(outer)
