"""A checkpoint's header, read and checked before anything is allocated: torch-free, so the runtime layer may ask
a run folder's checkpoint for its step without importing torch.

A safetensors file is an 8-byte header length, a JSON header (tensor names, dtypes, shapes and byte ranges, plus a
string-to-string `__metadata__`) and the tensor data. Everything the header claims is checked here against the
file's real size and against sane types, so a tiny crafted file cannot make a loader build a huge model: the
tensors it lists must fit inside the file, and (in checkpoint.py) the model config must match those tensors.
"""

from __future__ import annotations

import json
import math
from dataclasses import MISSING, dataclass, fields
from pathlib import Path
from typing import Any

from ganstudio.core.config import ConfigError, ModelConfig, TrainConfig, config_from_dict
from ganstudio.errors import GanStudioError
from ganstudio.paths import CHECKPOINT_NAME

FORMAT_TAG = "ganstudio-checkpoint"
FORMAT_VERSION = "1"
DIGEST_KEY = "tensor_digest"  # "sha256:<hex>" over every tensor's name and bytes, in name order

# Our checkpoints' headers are a few tens of KB; 16 MB leaves room for any model the config limits allow.
MAX_HEADER_BYTES = 16 * 2**20
DTYPE_SIZES = {
    "BOOL": 1,
    "U8": 1,
    "I8": 1,
    "F8_E5M2": 1,
    "F8_E4M3": 1,
    "I16": 2,
    "U16": 2,
    "F16": 2,
    "BF16": 2,
    "I32": 4,
    "U32": 4,
    "F32": 4,
    "I64": 8,
    "U64": 8,
    "F64": 8,
}


class CheckpointError(GanStudioError):
    """A checkpoint is missing, damaged, foreign or does not match the model; the message says which."""


@dataclass(frozen=True)
class TensorEntry:
    dtype: str
    shape: tuple[int, ...]
    start: int  # byte range inside the data section
    end: int


@dataclass(frozen=True)
class CheckpointHeader:
    """What a checkpoint says about itself, validated; no tensor data has been read."""

    path: Path
    model_config: ModelConfig
    train_config: TrainConfig
    state: dict[str, Any]
    metadata: dict[str, str]
    tensors: dict[str, TensorEntry]

    @property
    def step(self) -> int:
        return int(self.state.get("step", 0))

    def shapes(self, prefix: str) -> dict[str, tuple[int, ...]]:
        """The shapes of the tensors named `prefix.*`, keyed by the rest of the name."""
        cut = len(prefix) + 1
        return {k[cut:]: v.shape for k, v in self.tensors.items() if k.startswith(prefix + ".")}


def resolve_checkpoint_path(path: Path) -> Path:
    path = Path(path)
    if path.is_dir():
        path = path / CHECKPOINT_NAME
    if not path.exists():
        raise CheckpointError(f"no checkpoint at {path}")
    return path


def read_safetensors_header(path: Path) -> tuple[dict[str, str], dict[str, TensorEntry]]:
    """The metadata and tensor table of a safetensors file, every byte range checked against the file size."""
    path = Path(path)
    size = path.stat().st_size
    with open(path, "rb") as handle:
        prefix = handle.read(8)
        if len(prefix) < 8:
            raise CheckpointError(f"{path} is damaged or not a checkpoint (only {size} bytes)")
        length = int.from_bytes(prefix, "little")
        if length > min(MAX_HEADER_BYTES, size - 8):
            raise CheckpointError(f"{path} is damaged or not a checkpoint (its header length {length} is impossible)")
        raw = handle.read(length)
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"{path} is damaged or not a checkpoint (its header is not JSON: {exc})") from exc
    if not isinstance(document, dict):
        raise CheckpointError(f"{path} is damaged or not a checkpoint (its header is not a JSON object)")
    metadata = document.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise CheckpointError(f"{path} has a damaged header: __metadata__ must map names to strings")
    data_size = size - 8 - length
    tensors = {name: _tensor_entry(path, name, entry, data_size) for name, entry in document.items()}
    return metadata, tensors


def _tensor_entry(path: Path, name: str, entry: Any, data_size: int) -> TensorEntry:
    def bad(why: str) -> CheckpointError:
        return CheckpointError(f"{path} has a damaged header: tensor {name!r} {why}")

    if not isinstance(entry, dict):
        raise bad("is not described by an object")
    dtype, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
    if dtype not in DTYPE_SIZES:
        raise bad(f"has an unknown dtype {dtype!r}")
    if not isinstance(shape, list) or not all(_is_int(d) and d >= 0 for d in shape):
        raise bad("has an invalid shape")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(_is_int(o) for o in offsets)):
        raise bad("has invalid data offsets")
    start, end = offsets
    if not 0 <= start <= end <= data_size:
        raise bad(f"lies outside the file (bytes {start}..{end} of {data_size})")
    if end - start != math.prod(shape) * DTYPE_SIZES[dtype]:
        raise bad(f"has {end - start} bytes for shape {shape}")
    return TensorEntry(dtype, tuple(shape), start, end)


def read_checkpoint_header(path: Path) -> CheckpointHeader:
    """Read and validate a checkpoint's header: format tag, configs (types and limits), counters, tensor table."""
    path = resolve_checkpoint_path(path)
    try:
        metadata, tensors = read_safetensors_header(path)
    except OSError as exc:
        raise CheckpointError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if metadata.get("format") != FORMAT_TAG:
        raise CheckpointError(f"{path} is a safetensors file but not a GAN Studio checkpoint")
    try:
        model_config = _config(ModelConfig, metadata, "model_config")
        train_config = _config(TrainConfig, metadata, "train_config")
        state = json.loads(metadata["state"])
    except (KeyError, json.JSONDecodeError, ConfigError) as exc:
        raise CheckpointError(f"{path} has a damaged header: {_reason(exc)}") from exc
    if not isinstance(state, dict) or not _is_int(state.get("step")) or state["step"] < 0:
        raise CheckpointError(f"{path} has a damaged header: its state has no valid step count")
    return CheckpointHeader(path, model_config, train_config, state, metadata, tensors)


def _config(cls: type, metadata: dict[str, str], key: str) -> Any:
    data = json.loads(metadata[key])
    if not isinstance(data, dict):
        raise ConfigError(f"{key} is not a JSON object")
    for f in fields(cls):
        if f.name in data and f.default is not MISSING and not _same_kind(data[f.name], f.default):
            raise ConfigError(
                f"{key}.{f.name} should be {type(f.default).__name__}, got {type(data[f.name]).__name__}", f.name
            )
    return config_from_dict(cls, data)


def _same_kind(value: Any, default: Any) -> bool:
    """JSON's types against a field's default: ints for ints (not booleans), numbers for floats, lists of strings
    for tuples."""
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int):
        return _is_int(value)
    if isinstance(default, float):
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if isinstance(default, tuple):
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    return isinstance(value, type(default))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _reason(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"{exc.args[0]} is missing"
    return str(exc)
