"""Checking an ONNX file against the shipped-model contract, and reading its `ModelInfo`.

The contract is written down in `docs/onnx-contract.md` (DESIGN.md §8): input `z` float32 [N, latent_dim],
optional `label` int64 [N], output `image` float32 [N, C, H, W] in [0, 1], and `metadata_props` naming at least
latent_dim, num_classes, class_names, image_size, channels, dataset, arch and loss. Each check below covers one
part of it and raises ModelLoadError with a message that says what the file has instead.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from ganstudio.runtime.model_info import ModelInfo, ModelLoadError

CONTRACT = "GAN Studio models take z [N, latent_dim] and optionally label [N]"
# Metadata keys that ModelInfo has fields for; every other key lands in ModelInfo.summary.
STRUCTURAL_KEYS = frozenset(
    {
        "latent_dim",
        "num_classes",
        "class_names",
        "image_size",
        "channels",
        "dataset",
        "arch",
        "loss",
        "model_config",
        "train_config",
        "format",
    }
)


# Bounds on what a model may claim, checked before it runs: a 1024 x 1024 RGB image is 12 MiB of float32 per sample,
# the most an interactive render can take; 30000 x 30000 would be 10 GiB each.
MAX_IMAGE_SIDE = 1024
IMAGE_CHANNELS = (1, 3)
MAX_LATENT_DIM = 4096
MAX_CLASSES = 10_000


class TensorSpec(Protocol):
    """What onnxruntime's NodeArg tells about an input or output."""

    @property
    def name(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def shape(self) -> Any: ...


# Runs the model: (output name, z, labels) -> that output. Used once when the image dims are not fixed.
Probe = Callable[[str, np.ndarray, "np.ndarray | None"], np.ndarray]


@dataclass(frozen=True)
class Contract:
    """A file that passed every check: its ModelInfo and the name of the output that holds the images."""

    info: ModelInfo
    output_name: str


def _type_name(ort_type: str) -> str:
    return ort_type.removeprefix("tensor(").removesuffix(")")


def _static(dim: Any) -> int | None:
    return dim if isinstance(dim, int) and dim > 0 else None


_META_BOUNDS = {"latent_dim": (1, MAX_LATENT_DIM), "num_classes": (0, MAX_CLASSES), "image_size": (1, MAX_IMAGE_SIDE)}


def int_meta(meta: Mapping[str, str], key: str, source: str) -> int | None:
    if key not in meta:
        return None
    try:
        value = int(meta[key])
    except ValueError:
        raise ModelLoadError(f"{source}: metadata {key}={meta[key]!r} is not a whole number") from None
    low, high = _META_BOUNDS.get(key, (0, 2**31))
    if not low <= value <= high:
        raise ModelLoadError(f"{source}: metadata {key}={value} is out of range ({low}..{high})")
    return value


def read_metadata(read: Callable[[], Mapping[str, str]], source: str) -> dict[str, str]:
    """The model's metadata_props; bytes that are not UTF-8 text make a clear error instead of a decode traceback."""
    try:
        return dict(read())
    except UnicodeDecodeError as exc:
        raise ModelLoadError(
            f"{source}: its metadata is not valid UTF-8 text (byte 0x{exc.object[exc.start]:02x}); "
            "the file is damaged or was not written by GAN Studio"
        ) from None


def json_meta(meta: Mapping[str, str], key: str) -> Any:
    # Configs are informative only: a damaged JSON blob should not stop the model from running.
    try:
        return json.loads(meta[key]) if key in meta else None
    except json.JSONDecodeError:
        return None


def check_input_specs(inputs: Mapping[str, TensorSpec]) -> tuple[TensorSpec, TensorSpec | None]:
    """`z` float32 [N, latent_dim] and an optional `label` int64 [N]; nothing else. Returns (z, label)."""
    if "z" not in inputs:
        raise ModelLoadError(f"input 'z' missing: this ONNX file has inputs {list(inputs)} — {CONTRACT}")
    extra = [name for name in inputs if name not in ("z", "label")]
    if extra:
        raise ModelLoadError(f"unexpected inputs {extra}: this ONNX file has inputs {list(inputs)} — {CONTRACT}")
    z_in = inputs["z"]
    if z_in.type != "tensor(float)":
        raise ModelLoadError(f"input 'z' must be float32, this file's is {_type_name(z_in.type)}")
    if z_in.shape is None or len(z_in.shape) != 2:
        raise ModelLoadError(f"input 'z' must have shape [N, latent_dim], this file's is {z_in.shape}")
    label_in = inputs.get("label")
    if label_in is not None:
        if label_in.type != "tensor(int64)":
            raise ModelLoadError(f"input 'label' must be int64, this file's is {_type_name(label_in.type)}")
        if label_in.shape is None or len(label_in.shape) != 1:
            raise ModelLoadError(f"input 'label' must have shape [N], this file's is {label_in.shape}")
    return z_in, label_in


def check_output(outputs: list[TensorSpec]) -> TensorSpec:
    """The `image` output (or the only output) as float32 [N, C, H, W]."""
    named = [o for o in outputs if o.name == "image"]
    if not named and len(outputs) != 1:
        raise ModelLoadError(f"output 'image' missing: this ONNX file has outputs {[o.name for o in outputs]}")
    out = (named or outputs)[0]
    if out.type != "tensor(float)":
        raise ModelLoadError(f"output '{out.name}' must be float32, this file's is {_type_name(out.type)}")
    if out.shape is None or len(out.shape) != 4:
        raise ModelLoadError(f"output '{out.name}' must have shape [N, C, H, W], this file's is {out.shape}")
    return out


def check_latent_dim(meta: Mapping[str, str], z_in: TensorSpec, source: str) -> int:
    """The latent size from metadata and z's shape, which must agree when both are known."""
    latent_meta, latent_shape = int_meta(meta, "latent_dim", source), _static(z_in.shape[1])
    if latent_meta is not None and latent_shape is not None and latent_meta != latent_shape:
        raise ModelLoadError(
            f"{source}: metadata says latent_dim={latent_meta} but input 'z' takes [N, {latent_shape}]"
        )
    latent_dim = latent_meta or latent_shape
    if not latent_dim or latent_dim < 1:
        raise ModelLoadError(
            f"{source}: cannot tell the latent size (no latent_dim metadata and z's second dimension is not fixed)"
        )
    return latent_dim


def check_classes(meta: Mapping[str, str], has_label: bool, source: str) -> tuple[int, tuple[str, ...]]:
    """num_classes must be stated exactly when there is a `label` input; names that do not match are dropped."""
    num_classes = int_meta(meta, "num_classes", source)
    if not has_label and num_classes:
        raise ModelLoadError(f"{source}: metadata says {num_classes} classes but the model has no 'label' input")
    if has_label and not num_classes:
        raise ModelLoadError(
            f"{source}: the model takes a 'label' input but its metadata does not say how "
            "many classes it has (num_classes)"
        )
    num_classes = num_classes or 0
    names = json_meta(meta, "class_names")
    class_names = tuple(str(n) for n in names) if isinstance(names, list) else ()
    if num_classes and len(class_names) != num_classes:
        class_names = ()  # names that do not match the classes would mislabel them; show indices instead
    return num_classes, class_names


def check_image_shape(
    meta: Mapping[str, str], out: TensorSpec, source: str, probe: Callable[[], np.ndarray]
) -> tuple[int, int]:
    """(channels, image_size): square images whose size agrees with the metadata. `probe()` runs the model
    once when the output's C, H or W is dynamic."""
    _, c_shape, h_shape, w_shape = (_static(d) for d in out.shape)
    # What the file states (metadata, fixed dims) is bounded before the model ever runs.
    _check_image_bounds(int_meta(meta, "channels", source), int_meta(meta, "image_size", source), source)
    _check_image_bounds(c_shape, h_shape, source, w_shape)
    if c_shape is None or h_shape is None or w_shape is None:
        images = probe()
        if images.ndim != 4:
            raise ModelLoadError(f"output '{out.name}' must have shape [N, C, H, W], got {images.shape}")
        _, c_shape, h_shape, w_shape = images.shape
        _check_image_bounds(c_shape, h_shape, source, w_shape)
    if h_shape != w_shape:
        raise ModelLoadError(f"{source}: images are {h_shape}x{w_shape}; GAN Studio models make square images")
    for key, actual in (("channels", c_shape), ("image_size", h_shape)):
        stated = int_meta(meta, key, source)
        if stated is not None and stated != actual:
            raise ModelLoadError(f"{source}: metadata says {key}={stated} but the model outputs {actual}")
    return int(c_shape), int(h_shape)


def _check_image_bounds(channels: int | None, height: int | None, source: str, width: int | None = None) -> None:
    """None: not known yet. Channels 1 or 3, sides up to MAX_IMAGE_SIDE."""
    if channels is not None and channels not in IMAGE_CHANNELS:
        raise ModelLoadError(f"{source}: images have {channels} channels; GAN Studio models make 1 (grey) or 3 (RGB)")
    for side in (height, width):
        if side is not None and side > MAX_IMAGE_SIDE:
            raise ModelLoadError(
                f"{source}: images are {side} pixels wide or high; GAN Studio shows images of at most "
                f"{MAX_IMAGE_SIDE} x {MAX_IMAGE_SIDE}"
            )


def read_contract(
    inputs: list[TensorSpec], outputs: list[TensorSpec], meta: Mapping[str, str], source: str, run: Probe
) -> Contract:
    """Check a loaded ONNX session's inputs, outputs and metadata; `run(output, z, labels)` runs the session."""
    z_in, label_in = check_input_specs({i.name: i for i in inputs})
    out = check_output(outputs)
    latent_dim = check_latent_dim(meta, z_in, source)
    num_classes, class_names = check_classes(meta, label_in is not None, source)

    def probe() -> np.ndarray:  # a tiny run tells what a model with dynamic image dims really produces
        labels = np.zeros(1, np.int64) if label_in is not None else None
        return run(out.name, np.zeros((1, latent_dim), np.float32), labels)

    channels, image_size = check_image_shape(meta, out, source, probe)
    model_config, train_config = json_meta(meta, "model_config"), json_meta(meta, "train_config")
    info = ModelInfo(
        latent_dim=int(latent_dim),
        num_classes=int(num_classes),
        class_names=class_names,
        image_size=image_size,
        channels=channels,
        dataset=meta.get("dataset", ""),
        arch=meta.get("arch", ""),
        loss=meta.get("loss", ""),
        source=source,
        backend="onnxruntime",
        model_config=model_config if isinstance(model_config, dict) else None,
        train_config=train_config if isinstance(train_config, dict) else None,
        summary={k: v for k, v in meta.items() if k not in STRUCTURAL_KEYS},
        source_kind="file",
    )
    return Contract(info, out.name)
