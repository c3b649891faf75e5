"""Training on several processes with PyTorch's own distributed package, launched by `torchrun`.

`torchrun --nproc_per_node=N -m ganstudio train ...` starts N copies of the command with RANK, WORLD_SIZE,
LOCAL_RANK, MASTER_ADDR and MASTER_PORT set; `init_from_env()` joins them into one process group (gloo on CPUs,
NCCL on GPUs). A plain `ganstudio train` sees no such variables and gets the one-process context, for which every
helper here is a no-op, so the trainer has a single code path. Why the trainer does what it does across ranks
(batch norm, spectral norm, EMA, data shards, stopping together): docs/decisions/distributed.md.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from torch import nn

from ganstudio.errors import GanStudioError

TIMEOUT_ENV_VAR = "GANSTUDIO_DIST_TIMEOUT"  # seconds a collective may wait for the other ranks
# Long enough for rank 0 to write a checkpoint or a sample grid while the others wait at the next all-reduce,
# short enough that a rank that hangs (rather than dies, which gloo notices at once) ends the run in minutes.
DEFAULT_TIMEOUT_SECONDS = 300
# Rank 0 may decode a large image folder into the cache while the other ranks wait for it.
DATA_TIMEOUT = timedelta(hours=6)
REPORT_ENV_VAR = "GANSTUDIO_RANK_REPORT_DIR"  # when set, each rank writes rank<N>.json there (tests, debugging)
_TORCHRUN_VARS = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")


class DistributedError(GanStudioError):
    """A collective failed: another rank died, hung or could not be reached."""


@dataclass(frozen=True)
class DistContext:
    """Where this process stands in the job; the default is the one-process job."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    backend: str = ""

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """Rank 0: the only rank that logs and writes the run folder."""
        return self.rank == 0

    def describe(self, batch_size: int) -> str:
        return (
            f"distributed over {self.world_size} processes ({self.backend}): batch {batch_size} per process, "
            f"global batch {batch_size * self.world_size}"
        )


def launched_by_torchrun() -> bool:
    return all(name in os.environ for name in _TORCHRUN_VARS) and int(os.environ["WORLD_SIZE"]) > 1


def timeout() -> timedelta:
    raw = os.environ.get(TIMEOUT_ENV_VAR, "").strip()
    try:
        seconds = float(raw) if raw else DEFAULT_TIMEOUT_SECONDS
    except ValueError as exc:
        raise DistributedError(f"{TIMEOUT_ENV_VAR} must be a number of seconds, got {raw!r}") from exc
    return timedelta(seconds=seconds)


def init_from_env(device_preference: str = "auto") -> DistContext:
    """Join the process group torchrun described in the environment; the one-process context otherwise.

    NCCL when the run trains on CUDA (each rank on the GPU numbered by its LOCAL_RANK), gloo otherwise. Calling it
    again returns the group already joined.
    """
    if dist.is_available() and dist.is_initialized():
        return current()
    if not launched_by_torchrun():
        return DistContext()
    if not dist.is_available():
        raise DistributedError("this torch build has no torch.distributed; train with one process")
    local_rank = int(os.environ["LOCAL_RANK"])
    use_cuda = device_preference in ("auto", "cuda") and torch.cuda.is_available()
    if device_preference == "mps":
        raise DistributedError("distributed training runs on CPUs or CUDA GPUs, not Apple MPS")
    backend = "nccl" if use_cuda else "gloo"
    if use_cuda:
        torch.cuda.set_device(local_rank)  # "cuda" then means this rank's own GPU
    try:
        dist.init_process_group(backend, timeout=timeout())
    except (RuntimeError, ValueError) as exc:
        raise DistributedError(f"could not join the other training processes: {_first_line(exc)}") from exc
    return current()


def current() -> DistContext:
    if not (dist.is_available() and dist.is_initialized()):
        return DistContext()
    return DistContext(
        dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", "0")), str(dist.get_backend())
    )


def shutdown() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


@contextmanager
def collective_errors() -> Iterator[None]:
    """Turn a failed collective into one clear DistributedError (what the CLI prints) instead of a c10d trace."""
    try:
        yield
    except DistributedError:
        raise
    except (RuntimeError, dist.DistError) as exc:
        ctx = current()
        if not ctx.enabled:
            raise
        raise DistributedError(
            f"rank {ctx.rank} of {ctx.world_size} lost contact with the other training processes (one of them "
            f"crashed, was killed or stopped answering within {timeout().total_seconds():g} s), so it stopped too; "
            f"continue from the last checkpoint with `ganstudio resume RUN_FOLDER`. ({_first_line(exc)})"
        ) from exc


# ----------------------------------------------------------------------------------------------- collectives
def broadcast_object(value: Any, ctx: DistContext) -> Any:
    """Rank 0's `value` on every rank (a run folder path chosen by rank 0)."""
    if not ctx.enabled:
        return value
    box = [value]
    dist.broadcast_object_list(box, src=0)
    return box[0]


@contextmanager
def local_rank0_first(ctx: DistContext) -> Iterator[None]:
    """The first process of each machine runs the body first (it builds the machine's data cache), the others
    after it (they find the cache)."""
    if not ctx.enabled:
        yield
        return
    group = dist.new_group(backend="gloo", timeout=DATA_TIMEOUT)
    first = ctx.local_rank == 0
    if not first:
        dist.barrier(group=group)
    yield
    if first:
        dist.barrier(group=group)
    dist.destroy_process_group(group)


def reduce_report(losses: torch.Tensor, seconds: float, stop_requested: bool, ctx: DistContext) -> tuple:
    """One all-reduce per report: the losses averaged over the ranks (those of the global batch), the slowest
    rank's time (so every rank counts the same elapsed time and a minutes budget ends everywhere at the same
    step) and whether any rank was asked to stop. Returns (losses, seconds, stop) identical on every rank."""
    if not ctx.enabled:
        return losses, seconds, stop_requested
    rows, columns = losses.shape  # (steps in the window, loss columns)
    packed = torch.zeros(rows * columns + 2, dtype=torch.float64, device=losses.device)
    packed[: rows * columns] = losses.reshape(-1).double() / ctx.world_size
    dist.all_reduce(packed[: rows * columns])
    tail = torch.tensor([seconds, float(stop_requested)], dtype=torch.float64, device=losses.device)
    dist.all_reduce(tail, op=dist.ReduceOp.MAX)
    mean = packed[: rows * columns].reshape(rows, columns).to(losses.dtype)
    return mean, float(tail[0]), bool(tail[1] > 0)


# ------------------------------------------------------------------------------------------------ models
def wrap_ddp(module: nn.Module, device: torch.device, ctx: DistContext) -> nn.Module:
    """DistributedDataParallel around `module` when distributed (its gradients all-reduced in backward);
    `module` itself otherwise. Buffers are broadcast from rank 0 before each forward (DDP's default)."""
    if not ctx.enabled:
        return module
    from torch.nn.parallel import DistributedDataParallel

    device_ids = [device.index if device.index is not None else ctx.local_rank] if device.type == "cuda" else None
    return DistributedDataParallel(module, device_ids=device_ids)


def rank_seed(seed: int, step: int, ctx: DistContext) -> int:
    """A seed for this rank's noise (z, augmentation, penalty mixing) from the run's seed and step: every rank
    must draw different latents, or the global batch holds each fake world_size times."""
    digest = hashlib.sha256(f"{seed}/{step}/{ctx.rank}".encode()).digest()
    return int.from_bytes(digest[:8], "little") & (2**63 - 1)


def global_batch_indices(order: torch.Tensor, cursor: int, batch_size: int, ctx: DistContext) -> torch.Tensor:
    """This rank's part of the global batch that starts at `cursor` in the epoch's permutation `order`.

    All ranks hold the same permutation (the data RNG is seeded alike) and take disjoint consecutive slices of
    it, as DistributedSampler does; the cursor advances by the global batch, so a checkpoint's (order, cursor) is
    the same on every rank and resumes on any number of processes.
    """
    start = cursor + ctx.rank * batch_size
    return order[start : start + batch_size]


# --------------------------------------------------------------------------------------------- the stop flag
class AgreedStop:
    """A TrainingControl for a distributed run whose `stopped` turns true on every rank at the same step.

    A Ctrl+C (or SIGTERM) reaches the ranks at different moments; if one left the loop while the others took
    another step, they would wait on it in the next all-reduce. So stop() only records the request, the next
    report exchanges it (`reduce_report`), and then `stopped` is true on every rank together. Pausing is not
    offered: the command line has no pause.
    """

    def __init__(self) -> None:
        self.requested = False
        self._agreed = False

    def stop(self) -> None:
        self.requested = True

    def agree(self, stop: bool) -> None:
        self._agreed = self._agreed or stop

    def pause(self) -> None:
        pass

    def resume(self) -> None:
        pass

    @property
    def stopped(self) -> bool:
        return self._agreed

    @property
    def paused(self) -> bool:
        return False

    def wait_while_paused(self) -> float:
        return 0.0


# ------------------------------------------------------------------------------------------- rank reports
def state_digest(modules: dict[str, nn.Module | None]) -> dict[str, str]:
    """sha256 of each module's parameters and buffers, bytes in state_dict order (equal across ranks iff equal)."""
    out = {}
    for name, module in modules.items():
        if module is None:
            continue
        for part, tensors in (("params", module.named_parameters()), ("buffers", module.named_buffers())):
            h = hashlib.sha256()
            for key, tensor in tensors:
                h.update(key.encode())
                h.update(tensor.detach().cpu().contiguous().numpy().tobytes())
            out[f"{name}.{part}"] = h.hexdigest()
    return out


def write_rank_report(ctx: DistContext, **fields: Any) -> None:
    """With $GANSTUDIO_RANK_REPORT_DIR set, merge `fields` into that folder's rank<N>.json (one per rank)."""
    folder = os.environ.get(REPORT_ENV_VAR, "").strip()
    if not folder:
        return
    path = Path(folder) / f"rank{ctx.rank}.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    data.update(fields, rank=ctx.rank, world_size=ctx.world_size, pid=os.getpid())
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1))
    tmp.replace(path)
