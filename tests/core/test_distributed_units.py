"""The distributed helpers in a one-process run (no-ops) and their rules (shards, seeds, the agreed stop)."""

from __future__ import annotations

import torch

from ganstudio.core import distributed
from ganstudio.core.distributed import AgreedStop, DistContext


def test_one_process_context_changes_nothing(monkeypatch):
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(name, raising=False)
    ctx = distributed.init_from_env("cpu")
    assert ctx == DistContext() and ctx.is_main and not ctx.enabled
    module = torch.nn.Linear(2, 2)
    assert distributed.wrap_ddp(module, torch.device("cpu"), ctx) is module
    losses = torch.rand(3, 5)
    assert distributed.reduce_report(losses, 1.5, True, ctx) == (losses, 1.5, True)
    assert distributed.broadcast_object("x", ctx) == "x"


def test_ranks_take_disjoint_slices_that_cover_the_global_batch():
    order = torch.randperm(40, generator=torch.Generator().manual_seed(0))
    parts = [distributed.global_batch_indices(order, 8, 4, DistContext(rank=r, world_size=3)) for r in range(3)]
    assert torch.equal(torch.cat(parts), order[8:20])
    assert distributed.rank_seed(0, 10, DistContext(0, 2)) != distributed.rank_seed(0, 10, DistContext(1, 2))
    assert distributed.rank_seed(0, 10, DistContext(1, 2)) != distributed.rank_seed(0, 11, DistContext(1, 2))


def test_a_stop_takes_effect_only_once_the_ranks_agree():
    control = AgreedStop()
    control.stop()
    assert control.requested and not control.stopped  # this rank keeps stepping until the next exchange
    control.agree(False)
    assert not control.stopped
    control.agree(True)
    control.agree(False)
    assert control.stopped


def test_describe_names_the_global_batch():
    assert "global batch 512" in DistContext(1, 4, 1, "gloo").describe(128)
