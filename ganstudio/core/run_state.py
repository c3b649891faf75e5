"""A run's resumable state on disk: what `Trainer.save()` writes and `Trainer.from_checkpoint()` restores.

The trainer owns the training loop; this module owns the checkpoint side of a run: weights, optimizer state (as
named tensors, never pickles), RNG states, the data order, the counters and the loss history.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import torch

from ganstudio.core import checkpoint as ckpt
from ganstudio.core.checkpoint_checks import non_finite
from ganstudio.core.history import History
from ganstudio.core.run_folder import write_run_summary
from ganstudio.errors import GanStudioError

if TYPE_CHECKING:
    from ganstudio.core.training import Trainer


class WeightsDivergedError(GanStudioError):
    """The weights became NaN or infinite: they were not saved; the message says which checkpoint is kept."""

    def __init__(self, message: str, modules: list[str]) -> None:
        super().__init__(message)
        self.modules = modules


class CheckpointWriter:
    """Saves a trainer's state into its run folder and remembers the newest checkpoint written or restored."""

    def __init__(self, run_dir: Path | None) -> None:
        self.run_dir = run_dir
        self.last: Path | None = None
        self.last_step: int | None = None  # the step the newest good checkpoint holds

    def kept_description(self) -> str:
        if self.last is None:
            return "no checkpoint had been saved yet"
        return f"the last good checkpoint ({self.last}, step {self.last_step:,}) is kept"

    @staticmethod
    def restore(trainer: Trainer, data: ckpt.CheckpointData, source: Path) -> None:
        """Put a loaded checkpoint's weights, optimizer state, RNG, data order, counters and history into a
        freshly built trainer of the same configs."""
        ckpt.load_module_state(trainer.generator, data.module_state("G"), "generator", source)
        ckpt.load_module_state(trainer.discriminator, data.module_state("D"), "discriminator", source)
        if trainer.ema_generator is not None:
            ema = data.module_state("G_ema") or data.module_state("G")
            ckpt.load_module_state(trainer.ema_generator, ema, "EMA generator", source)
        _load_optimizer(trainer.opt_g, data, "opt_g")
        _load_optimizer(trainer.opt_d, data, "opt_d")
        for optimizer, lr in ((trainer.opt_g, trainer.train_config.g_lr), (trainer.opt_d, trainer.train_config.d_lr)):
            for group in optimizer.param_groups:  # a resume may change learning rates; the config wins
                group["lr"] = lr
        state = data.state
        trainer.step = int(state["step"])
        trainer.images_seen = int(state["images_seen"])
        trainer.elapsed_seconds = float(state["elapsed_seconds"])
        torch.set_rng_state(data.tensors["rng.torch"])
        if trainer.device.type == "cuda" and "rng.cuda" in data.tensors:
            torch.cuda.set_rng_state(data.tensors["rng.cuda"], trainer.device)
        trainer.data_rng.set_state(data.tensors["rng.data"])
        order = data.tensors.get("data.order")
        if order is not None and len(order) == len(trainer.images):
            trainer.order, trainer.cursor = order.clone(), int(state["data_cursor"])
            trainer.order_on_device = None
        trainer.history = History.from_arrays(data.history())
        trainer.checkpoints.last, trainer.checkpoints.last_step = source, trainer.step

    def save(self, trainer: Trainer) -> Path:
        """Write the trainer's checkpoint and run.json atomically into the run folder; run.json right after the
        checkpoint, from the same state. Weights that became NaN or infinite are never written: they raise
        WeightsDivergedError and the last good checkpoint stays."""
        if self.run_dir is None:
            raise ckpt.CheckpointError("this training run has no run folder to save into")
        modules = (("G", trainer.generator), ("D", trainer.discriminator), ("G_ema", trainer.ema_generator))
        bad = non_finite(modules)
        if bad:
            raise WeightsDivergedError(
                f"training diverged by step {trainer.step:,}: the {', '.join(bad)} weights became NaN or infinite, "
                f"so they were not saved; {self.kept_description()}. Try lower learning rates or the hinge loss.",
                bad,
            )
        self.run_dir.mkdir(parents=True, exist_ok=True)
        path = self.run_dir / ckpt.CHECKPOINT_NAME
        tensors: dict[str, torch.Tensor] = {}
        for prefix, module in modules:
            if module is not None:
                tensors.update({f"{prefix}.{k}": v for k, v in module.state_dict().items()})
        state = self.counters(trainer)
        state["opt_g"] = _optimizer_tensors(trainer.opt_g, "opt_g", tensors)
        state["opt_d"] = _optimizer_tensors(trainer.opt_d, "opt_d", tensors)
        tensors["rng.torch"] = torch.get_rng_state()
        if trainer.device.type == "cuda":  # noise for the steps is drawn on the GPU, from its own generator
            tensors["rng.cuda"] = torch.cuda.get_rng_state(trainer.device)
        tensors["rng.data"] = trainer.data_rng.get_state()
        tensors["data.order"] = trainer.order
        tensors.update({f"history.{k}": torch.from_numpy(v) for k, v in trainer.history.arrays().items()})
        ckpt.save_checkpoint(path, trainer.model_config, trainer.train_config, state, tensors)
        write_run_summary(self.run_dir, trainer.model_config, trainer.train_config, state)
        self.last, self.last_step = path, trainer.step
        return path

    @staticmethod
    def counters(trainer: Trainer) -> dict:
        return {
            "step": trainer.step,
            "epoch": round(trainer.epoch, 4),
            "images_seen": trainer.images_seen,
            "elapsed_seconds": round(trainer.elapsed_seconds, 3),
            "data_cursor": trainer.cursor,
            "device": trainer.device.type,
            "dataset": trainer.dataset.name,
            "dataset_split": trainer.dataset.split,
        }


def _optimizer_tensors(optimizer: torch.optim.Optimizer, prefix: str, out: dict[str, torch.Tensor]) -> dict:
    """Adam state as named tensors (no pickles) plus its JSON hyper-parameters."""
    state = optimizer.state_dict()
    for index, values in state["state"].items():
        for name, tensor in values.items():
            out[f"{prefix}.{index}.{name}"] = torch.as_tensor(tensor)
    return {"param_groups": state["param_groups"]}


def _load_optimizer(optimizer: torch.optim.Optimizer, data: ckpt.CheckpointData, prefix: str) -> None:
    groups = data.state.get(prefix, {}).get("param_groups")
    if groups is None:
        raise ckpt.CheckpointError(f"checkpoint has no {prefix} optimizer state")
    per_param: dict[int, dict[str, torch.Tensor]] = {}
    for key, tensor in data.module_state(prefix).items():
        index, name = key.split(".", 1)
        per_param.setdefault(int(index), {})[name] = tensor
    # The kernel choice belongs to this process, not to the checkpoint: one saved by a plain Adam resumes fused.
    kernel = {key: optimizer.param_groups[0][key] for key in ("fused", "foreach") if key in optimizer.param_groups[0]}
    groups = [{**group, **kernel} for group in groups]
    try:
        optimizer.load_state_dict({"state": per_param, "param_groups": groups})
    except (ValueError, KeyError) as exc:
        raise ckpt.CheckpointError(f"optimizer state does not fit the model: {exc}") from exc
