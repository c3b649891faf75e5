"""Checkpoints: one safetensors file holding weights, optimizer state, RNG state and loss history, with the
configs and counters as JSON in its header. Loading never unpickles anything, so a hostile file cannot run code.
Writes go through a temp file and a rename: a crash mid-save leaves the previous checkpoint loadable.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from ganstudio import __version__
from ganstudio.core.config import ConfigError, ModelConfig, TrainConfig, config_from_dict, config_to_json
from ganstudio.errors import GanStudioError
from ganstudio.paths import CHECKPOINT_NAME, ONNX_NAME, RUN_SUMMARY_NAME

__all__ = [
    "CHECKPOINT_NAME",
    "ONNX_NAME",
    "RUN_SUMMARY_NAME",
    "CheckpointData",
    "CheckpointError",
    "load_checkpoint",
    "load_generator",
    "save_checkpoint",
]

FORMAT_TAG = "ganstudio-checkpoint"
FORMAT_VERSION = "1"

_PICKLE_SIGNATURES = (b"PK\x03\x04", b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05")


class CheckpointError(GanStudioError):
    """A checkpoint is missing, damaged, foreign or does not match the model; the message says which."""


@dataclass
class CheckpointData:
    """Everything a checkpoint holds, as loaded (tensors on CPU)."""

    model_config: ModelConfig
    train_config: TrainConfig
    state: dict[str, Any]  # counters: step, images_seen, elapsed_seconds, data cursor, optimizer hyper-params
    tensors: dict[str, torch.Tensor] = field(repr=False)

    def module_state(self, prefix: str) -> dict[str, torch.Tensor]:
        cut = len(prefix) + 1
        return {k[cut:]: v for k, v in self.tensors.items() if k.startswith(prefix + ".")}

    def history(self) -> dict[str, np.ndarray]:
        return {k[len("history.") :]: v.numpy() for k, v in self.tensors.items() if k.startswith("history.")}


def resolve_checkpoint_path(path: Path) -> Path:
    path = Path(path)
    if path.is_dir():
        path = path / CHECKPOINT_NAME
    if not path.exists():
        raise CheckpointError(f"no checkpoint at {path}")
    return path


def save_checkpoint(
    path: Path,
    model_config: ModelConfig,
    train_config: TrainConfig,
    state: dict[str, Any],
    tensors: dict[str, torch.Tensor],
) -> None:
    """Atomically write a checkpoint. An error (disk full, permissions) leaves any previous file intact."""
    from safetensors.torch import save_file

    path = Path(path)
    metadata = {
        "format": FORMAT_TAG,
        "format_version": FORMAT_VERSION,
        "ganstudio_version": __version__,
        "model_config": config_to_json(model_config),
        "train_config": config_to_json(train_config),
        "state": json.dumps(state, sort_keys=True),
    }
    # safetensors refuses shared or non-contiguous storage; copies make every tensor independent.
    plain = {k: v.detach().to("cpu").contiguous().clone() for k, v in tensors.items()}
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        save_file(plain, str(tmp), metadata=metadata)
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        raise CheckpointError(f"could not save checkpoint {path}: {exc.strerror or exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)


def _refuse_pickle(path: Path) -> None:
    with open(path, "rb") as handle:
        head = handle.read(8)
    if head.startswith(_PICKLE_SIGNATURES):
        raise CheckpointError(
            f"{path} is a pickled PyTorch file; GAN Studio never loads pickles because they can run code. "
            "Use a GAN Studio .safetensors checkpoint or an .onnx model."
        )


def load_checkpoint(path: Path) -> CheckpointData:
    """Load a checkpoint file or a run folder's checkpoint. Raises CheckpointError with a readable reason."""
    from safetensors import safe_open

    path = resolve_checkpoint_path(path)
    _refuse_pickle(path)
    try:
        with safe_open(str(path), framework="pt") as handle:
            metadata = handle.metadata() or {}
            if metadata.get("format") != FORMAT_TAG:
                raise CheckpointError(f"{path} is a safetensors file but not a GAN Studio checkpoint")
            names = list(handle.keys())  # a safetensors handle, not a dict: it cannot be iterated
            tensors = {key: handle.get_tensor(key) for key in names}
    except CheckpointError:
        raise
    except Exception as exc:  # safetensors raises its own error types for truncated or garbled files
        raise CheckpointError(f"{path} is damaged or not a checkpoint ({exc})") from exc
    try:
        model_config = config_from_dict(ModelConfig, json.loads(metadata["model_config"]))
        train_config = config_from_dict(TrainConfig, json.loads(metadata["train_config"]))
        state = json.loads(metadata["state"])
    except (KeyError, json.JSONDecodeError, ConfigError) as exc:
        raise CheckpointError(f"{path} has a damaged header: {exc}") from exc
    return CheckpointData(model_config, train_config, state, tensors)


def load_module_state(module: nn.Module, state: dict[str, torch.Tensor], what: str, source: Path | str) -> None:
    """load_state_dict with an error that explains an architecture mismatch instead of a raw key dump."""
    if not state:
        raise CheckpointError(f"{source} holds no {what} weights")
    try:
        module.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = str(exc).splitlines()[0]
        raise CheckpointError(
            f"{source}: the {what} weights do not fit the architecture in its config ({first})"
        ) from exc


def load_generator(path: Path, prefer_ema: bool = True) -> tuple[nn.Module, ModelConfig, TrainConfig, dict[str, str]]:
    """The generator of a checkpoint (EMA weights when present), in eval mode on CPU, with configs and summary."""
    from ganstudio.core.networks import build_generator

    data = load_checkpoint(path)
    generator = build_generator(data.model_config)
    weights = data.module_state("G_ema") if prefer_ema else {}
    load_module_state(generator, weights or data.module_state("G"), "generator", path)
    generator.eval()
    return generator, data.model_config, data.train_config, summary_from_state(data.state)


def summary_from_state(state: dict[str, Any]) -> dict[str, str]:
    keys = ("step", "epoch", "images_seen", "elapsed_seconds", "device", "finished_reason")
    summary = {k: str(state[k]) for k in keys if k in state}
    if "elapsed_seconds" in state:
        summary["minutes"] = f"{float(state['elapsed_seconds']) / 60:.1f}"
    return summary


def write_run_summary(
    run_dir: Path,
    model_config: ModelConfig,
    train_config: TrainConfig,
    state: dict[str, Any],
    extra: dict[str, Any] | None = None,
) -> None:
    """A human-readable run.json next to the checkpoint (the checkpoint itself stays the source of truth)."""
    from ganstudio.runtime.imaging import atomic_write

    document = {
        "ganstudio_version": __version__,
        "model_config": json.loads(config_to_json(model_config)),
        "train_config": json.loads(config_to_json(train_config)),
        "state": {k: v for k, v in state.items() if k not in ("numpy_rng", "data_cursor")},
        **(extra or {}),
    }
    text = json.dumps(document, indent=2, sort_keys=True)
    atomic_write(Path(run_dir) / RUN_SUMMARY_NAME, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
