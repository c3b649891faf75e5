"""Checkpoints: one safetensors file holding weights, optimizer state, RNG state and loss history, with the
configs and counters as JSON in its header. Loading never unpickles anything, so a hostile file cannot run code.
Writes go through a temp file and a rename: a crash mid-save leaves the previous checkpoint loadable.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError
from torch import nn

from ganstudio import __version__
from ganstudio.core.checkpoint_checks import check_tensors_fit, non_finite, tensor_digest, verify_digest
from ganstudio.core.checkpoint_header import (
    DIGEST_KEY,
    FORMAT_TAG,
    FORMAT_VERSION,
    CheckpointError,
    CheckpointHeader,
    read_checkpoint_header,
    resolve_checkpoint_path,
)
from ganstudio.core.config import ModelConfig, TrainConfig, config_to_json
from ganstudio.paths import CHECKPOINT_NAME, ONNX_NAME, RUN_SUMMARY_NAME, is_temp_file_of, temp_file_name

__all__ = [
    "CHECKPOINT_NAME",
    "ONNX_NAME",
    "RUN_SUMMARY_NAME",
    "CheckpointData",
    "CheckpointError",
    "inspect_checkpoint",
    "load_checkpoint",
    "load_generator",
    "resolve_checkpoint_path",
    "save_checkpoint",
    "temp_checkpoint_files",
]

_PICKLE_SIGNATURES = (b"PK\x03\x04", b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05")


@dataclass
class CheckpointData:
    """Everything a checkpoint holds, as loaded (tensors on CPU)."""

    model_config: ModelConfig
    train_config: TrainConfig
    state: dict[str, Any]  # counters: step, images_seen, elapsed_seconds, data cursor, optimizer hyper-params
    tensors: dict[str, torch.Tensor] = field(repr=False)
    digest_verified: bool = False  # False for checkpoints written before digests were stored

    def module_state(self, prefix: str) -> dict[str, torch.Tensor]:
        cut = len(prefix) + 1
        return {k[cut:]: v for k, v in self.tensors.items() if k.startswith(prefix + ".")}

    def history(self) -> dict[str, np.ndarray]:
        return {k[len("history.") :]: v.numpy() for k, v in self.tensors.items() if k.startswith("history.")}


def temp_checkpoint_files(folder: Path) -> list[Path]:
    """Temp files a save interrupted by a kill left in `folder` (only names save_checkpoint itself uses)."""
    return sorted(p for p in Path(folder).glob(".*.tmp") if is_temp_file_of(p.name, CHECKPOINT_NAME))


def save_checkpoint(
    path: Path,
    model_config: ModelConfig,
    train_config: TrainConfig,
    state: dict[str, Any],
    tensors: dict[str, torch.Tensor],
) -> None:
    """Atomically write a checkpoint with a digest of its tensors. An error (disk full, permissions) leaves any
    previous file intact and says so.

    The file is serialised in memory and written by Python rather than by safetensors' own writer, whose errors
    carry no errno (and which replaces a symlink rather than writing through it): a full disk is then a plain
    OSError(ENOSPC). The cost is one more copy of the checkpoint in memory while it is written.
    """
    from safetensors.torch import save

    path = Path(path)
    # safetensors refuses shared or non-contiguous storage; copies make every tensor independent.
    plain = {k: v.detach().to("cpu").contiguous().clone() for k, v in tensors.items()}
    metadata = {
        "format": FORMAT_TAG,
        "format_version": FORMAT_VERSION,
        "ganstudio_version": __version__,
        "model_config": config_to_json(model_config),
        "train_config": config_to_json(train_config),
        "state": json.dumps(state, sort_keys=True),
        DIGEST_KEY: tensor_digest(plain),
    }
    try:
        payload = save(plain, metadata=metadata)
    except SafetensorError as exc:
        raise CheckpointError(f"could not serialise checkpoint {path}: {exc}") from exc
    del plain
    tmp = path.with_name(temp_file_name(path.name, os.getpid()))
    try:
        with open(tmp, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        raise CheckpointError(_save_failure(path, exc)) from exc
    finally:
        with contextlib.suppress(OSError):  # a read-only folder: the save's own error is the one to report
            tmp.unlink(missing_ok=True)


def _save_failure(path: Path, exc: OSError) -> str:
    kept = "the previous checkpoint is kept" if path.exists() else "no earlier checkpoint existed"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"disk full while saving checkpoint to {path}; {kept} (free some space, then resume the run)"
    return f"could not save checkpoint to {path}: {exc.strerror or exc}; {kept}"


def _refuse_pickle(path: Path) -> None:
    with open(path, "rb") as handle:
        head = handle.read(8)
    if head.startswith(_PICKLE_SIGNATURES):
        raise CheckpointError(
            f"{path} is a pickled PyTorch file; GAN Studio never loads pickles because they can run code. "
            "Use a GAN Studio .safetensors checkpoint or an .onnx model."
        )


def inspect_checkpoint(path: Path) -> CheckpointHeader:
    """Everything a checkpoint says but its weights: the validated header, its model config checked against the
    tensor shapes it lists. Cheap, so a resume can look before it loads any data."""
    path = resolve_checkpoint_path(path)
    _refuse_pickle(path)
    header = read_checkpoint_header(path)
    check_tensors_fit(header)
    return header


def load_checkpoint(path: Path) -> CheckpointData:
    """Load a checkpoint file or a run folder's checkpoint. Raises CheckpointError with a readable reason.

    The header is validated first (types, limits, byte ranges) and the model config checked against the tensor
    shapes it lists, so a damaged or crafted file fails before anything large is allocated; the tensors are then
    checked against the digest stored with them (checkpoints saved before digests existed load unchecked).
    """
    from safetensors import safe_open

    header = inspect_checkpoint(path)
    path = header.path
    try:
        with safe_open(str(path), framework="pt") as handle:
            names = list(handle.keys())  # a safetensors handle, not a dict: it cannot be iterated
            tensors = {key: handle.get_tensor(key) for key in names}
    except Exception as exc:  # safetensors raises its own error types for truncated or garbled files
        raise CheckpointError(f"{path} is damaged or not a checkpoint ({exc})") from exc
    stored = header.metadata.get(DIGEST_KEY)
    if stored is not None:
        verify_digest(header, tensors, stored)
    return CheckpointData(header.model_config, header.train_config, header.state, tensors, stored is not None)


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
    if non_finite([("generator", generator)]):
        raise CheckpointError(
            f"{path} holds NaN or infinite generator weights (the run diverged); its images would be blank. "
            "Use an earlier checkpoint of the run, or train again with lower learning rates."
        )
    generator.eval()
    summary = summary_from_state(data.state)
    summary["integrity"] = "digest verified" if data.digest_verified else "no digest (saved by an older version)"
    return generator, data.model_config, data.train_config, summary


def summary_from_state(state: dict[str, Any]) -> dict[str, str]:
    keys = ("step", "epoch", "images_seen", "elapsed_seconds", "device", "finished_reason")
    summary = {k: str(state[k]) for k in keys if k in state}
    if "elapsed_seconds" in state:
        summary["minutes"] = f"{float(state['elapsed_seconds']) / 60:.1f}"
    return summary
