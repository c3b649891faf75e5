"""Export a generator to one self-contained ONNX file that follows the shipped-model contract (DESIGN.md §8).

    z: float32 [N, latent_dim]  (+ label: int64 [N] when conditional)  ->  image: float32 [N, C, H, W] in [0, 1]

Exporter choice: torch 2.13's default `dynamo=True` exporter, told explicitly to keep the weights inside the
file (`external_data=False`) and that the batch axis is dynamic (`dynamic_shapes` with a `torch.export.Dim`).
The legacy TorchScript exporter (`dynamo=False`) still works but warns that it will be removed, and leaves
BatchNorm as separate nodes; the dynamo path's optimizer folds eval-mode BatchNorm into the preceding
Gemm/ConvTranspose and gives static C/H/W in the output shape, which is what batch-1 interactive use wants.

The file is checked with onnxruntime against PyTorch before anything is written, and written through a temp
file and a rename, so a failed export never damages an existing model file.
"""

from __future__ import annotations

import contextlib
import copy
import json
import logging
import os
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ganstudio import __version__
from ganstudio.core.config import ModelConfig, TrainConfig, config_to_json
from ganstudio.errors import GanStudioError
from ganstudio.runtime.imaging import atomic_write
from ganstudio.runtime.onnx_contract import STRUCTURAL_KEYS

# Metadata keys the exporter owns; extra_metadata may not overwrite them (it would break the contract).
RESERVED_KEYS = STRUCTURAL_KEYS | {"ganstudio_version"}
FORMAT_TAG = "ganstudio-generator"
_MAX_BATCH = 65536  # upper bound for the symbolic batch size; torch.export wants a finite range
_TRACE_BATCH = 2  # torch.export specialises sizes 0 and 1, so tracing with 1 would freeze the batch axis
_CHECK_BATCHES = (1, 5)  # the self-check runs batch sizes other than the traced one: proves the axis is dynamic


# Loggers of the exporter and its optimiser. They log a warning per missing torchvision op and a dozen INFO lines
# per export (passes applied, nodes removed); none of it concerns the user, and a failure raises anyway.
_EXPORTER_LOGGERS = (
    "torch.onnx",
    "torch.onnx._internal.exporter._registration",
    "torch.export",
    "onnx_ir",
    "onnxscript",
)


@contextlib.contextmanager
def _quiet_exporter() -> Iterator[None]:
    """Raise the exporter's loggers to ERROR for the export, then put their levels back."""
    loggers = [logging.getLogger(name) for name in _EXPORTER_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


class ExportError(GanStudioError):
    """Export failed; the message says why (exporter failure, parity mismatch, unwritable path)."""


class _UnitRange(nn.Module):
    """Maps the generator's tanh output from [-1, 1] to the contract's [0, 1]."""

    def __init__(self, generator: nn.Module) -> None:
        super().__init__()
        self.generator = generator

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return ((self.generator(z) + 1.0) * 0.5).clamp(0.0, 1.0)  # (N, C, H, W)


class _ConditionalUnitRange(_UnitRange):
    # A separate class rather than an optional argument: torch.export needs every graph input to be a tensor.
    def forward(self, z: torch.Tensor, label: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        return ((self.generator(z, label) + 1.0) * 0.5).clamp(0.0, 1.0)  # (N, C, H, W)


def build_metadata(
    model_cfg: ModelConfig, train_cfg: TrainConfig | None, extra_metadata: dict[str, str] | None = None
) -> dict[str, str]:
    """The metadata_props of an exported model (all values are strings, as ONNX requires)."""
    extra = {str(k): str(v) for k, v in (extra_metadata or {}).items()}
    clash = sorted(RESERVED_KEYS & extra.keys())
    if clash:
        raise ExportError(f"extra metadata may not replace the contract's keys: {', '.join(clash)}")
    metadata = {
        "format": FORMAT_TAG,
        "latent_dim": str(model_cfg.latent_dim),
        "num_classes": str(model_cfg.num_classes),
        "class_names": json.dumps(list(model_cfg.class_names)),
        "image_size": str(model_cfg.image_size),
        "channels": str(model_cfg.channels),
        "dataset": train_cfg.dataset if train_cfg is not None else "",
        "arch": model_cfg.arch,
        "loss": train_cfg.loss if train_cfg is not None else "",
        "model_config": config_to_json(model_cfg),
        "train_config": config_to_json(train_cfg) if train_cfg is not None else "null",
        "ganstudio_version": __version__,
    }
    metadata.update(extra)
    return metadata


def _cpu_eval_copy(generator: nn.Module) -> nn.Module:
    """A CPU float32 eval-mode copy, so the caller's module (device, train mode, weights) is never touched."""
    module = getattr(generator, "_orig_mod", generator)  # unwrap torch.compile's wrapper
    try:
        clone = copy.deepcopy(module)
    except Exception as exc:  # e.g. a module holding a non-copyable handle
        raise ExportError(f"could not copy the generator for export: {exc}") from exc
    clone = clone.to("cpu", torch.float32).eval()
    clone.requires_grad_(False)
    return clone


def _example_inputs(model_cfg: ModelConfig, batch: int, seed: int) -> tuple[torch.Tensor, ...]:
    gen = torch.Generator().manual_seed(seed)
    z = torch.randn(batch, model_cfg.latent_dim, generator=gen)  # (N, latent)
    if not model_cfg.conditional:
        return (z,)
    labels = torch.randint(0, model_cfg.num_classes, (batch,), generator=gen, dtype=torch.int64)  # (N,)
    return z, labels


def _to_onnx_proto(wrapper: nn.Module, model_cfg: ModelConfig):  # -> onnx.ModelProto
    names = ["z", "label"] if model_cfg.conditional else ["z"]
    return export_proto(wrapper, _example_inputs(model_cfg, _TRACE_BATCH, seed=0), names, ["image"])


def export_proto(
    module: nn.Module,
    example_inputs: tuple,
    input_names: list[str],
    output_names: list[str],
    max_batch: int = _MAX_BATCH,
):  # -> onnx.ModelProto
    """torch.export-based ONNX export with the weights inside the file and a dynamic batch axis on every input.

    Shared by the generator and classifier exports. The example batch must be >= 2: torch.export fixes a
    dimension traced at size 1.
    """
    batch = torch.export.Dim("batch", min=1, max=max_batch)
    dynamic_shapes = tuple({0: batch} for _ in input_names)
    try:
        with _quiet_exporter(), warnings.catch_warnings(), torch.inference_mode(False), torch.enable_grad():
            warnings.simplefilter("ignore")
            program = torch.onnx.export(
                module,
                example_inputs,
                None,
                dynamo=True,
                external_data=False,
                optimize=True,
                verbose=False,
                report=False,
                input_names=input_names,
                output_names=output_names,
                dynamic_shapes=dynamic_shapes,
            )
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ExportError(f"the ONNX exporter failed: {first}") from exc
    if program is None:  # only when the exporter is given a file to write, which it is not here
        raise ExportError("the ONNX exporter returned no program")
    return program.model_proto


def _run_onnxruntime(model_bytes: bytes, feeds: dict[str, np.ndarray]) -> np.ndarray:
    """One onnxruntime run from in-memory bytes (a seam the tests patch to simulate a wrong runtime result)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL  # same fusions as inference
    options.log_severity_level = 3
    session = ort.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])
    return session.run(["image"], feeds)[0]


def _self_check(wrapper: nn.Module, model_bytes: bytes, model_cfg: ModelConfig, atol: float) -> None:
    """Compare onnxruntime and PyTorch outputs on batches other than the traced one."""
    expected_shape = (model_cfg.channels, model_cfg.image_size, model_cfg.image_size)
    for seed, batch in enumerate(_CHECK_BATCHES, start=1):
        inputs = _example_inputs(model_cfg, batch, seed)
        with torch.inference_mode():
            reference = wrapper(*inputs).numpy()  # (N, C, H, W)
        if not np.isfinite(reference).all():
            raise ExportError(
                "the generator outputs NaN or infinite values (training diverged?); refusing to export a broken model"
            )
        feeds = dict(zip(["z", "label"], (t.numpy() for t in inputs), strict=False))  # label: conditional only
        try:
            result = np.asarray(_run_onnxruntime(model_bytes, feeds))
        except Exception as exc:
            raise ExportError(
                f"onnxruntime could not run the exported model at batch size {batch}: "
                f"{str(exc).strip().splitlines()[0] if str(exc).strip() else exc!r}"
            ) from exc
        if result.shape != (batch, *expected_shape):
            raise ExportError(
                f"the exported model gives shape {result.shape} at batch size {batch}, "
                f"expected {(batch, *expected_shape)}"
            )
        diff = float(np.max(np.abs(result.astype(np.float64) - reference)))
        if not diff <= atol:  # also catches NaN from onnxruntime
            raise ExportError(
                f"onnxruntime and PyTorch disagree by {diff:.3g} at batch size {batch} "
                f"(tolerance {atol:g}); the exported model was not written"
            )


def _write_bytes(tmp: Path, data: bytes) -> None:
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())  # the rename must not publish a file whose bytes are still in the page cache


def export_onnx(
    generator: nn.Module,
    model_cfg: ModelConfig,
    train_cfg: TrainConfig | None,
    path: Path,
    extra_metadata: dict[str, str] | None = None,
    atol: float = 1e-4,
) -> Path:
    """Export `generator` (tanh output, as built by networks.build_generator) to one .onnx file at `path`.

    Returns the path written. Raises ExportError; an existing file at `path` is left intact on any failure.
    """
    import onnx

    path = Path(path)
    metadata = build_metadata(model_cfg, train_cfg, extra_metadata)
    try:  # fail before the (seconds-long) export when the folder cannot exist
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"could not write {path}: {exc.strerror or exc}") from exc
    if path.is_dir():
        raise ExportError(f"could not write {path}: it is a folder")
    clone = _cpu_eval_copy(generator)
    wrapper = (_ConditionalUnitRange(clone) if model_cfg.conditional else _UnitRange(clone)).eval()

    proto = _to_onnx_proto(wrapper, model_cfg)
    del proto.metadata_props[:]
    for key, value in metadata.items():
        proto.metadata_props.add(key=key, value=value)
    inputs = "z [N, latent_dim] float32" + (" and label [N] int64" if model_cfg.conditional else "")
    proto.doc_string = f"GAN Studio generator: {inputs} -> image [N, C, H, W] float32 in [0, 1]"
    try:
        onnx.checker.check_model(proto)
        model_bytes = proto.SerializeToString()
    except ValueError as exc:  # protobuf refuses messages over 2 GB: the one-file contract cannot hold them
        raise ExportError(f"the model is too large for a single ONNX file: {exc}") from exc
    except onnx.checker.ValidationError as exc:
        raise ExportError(f"the exporter produced an invalid ONNX model: {str(exc).splitlines()[0]}") from exc

    _self_check(wrapper, model_bytes, model_cfg, atol)

    try:
        atomic_write(path, lambda tmp: _write_bytes(tmp, model_bytes))
    except OSError as exc:
        raise ExportError(f"could not write {path}: {exc.strerror or exc}") from exc
    return path
