"""Run a trained generator: an exported .onnx file with onnxruntime, or a checkpoint / live module with torch.

Both backends satisfy GeneratorBackend, so the GUI and the CLI talk to one interface (ganspace's BaseModel idea):
numpy float32 latents (N, latent_dim) in, numpy float32 images (N, C, H, W) in [0, 1] out.

This module must not import torch at import time: exploring an .onnx model needs only onnxruntime, and the
desktop app should start fast. torch is imported inside TorchGenerator only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from ganstudio.core.config import ModelConfig, TrainConfig, config_to_dict
from ganstudio.errors import GanStudioError

if TYPE_CHECKING:  # only for annotations; importing torch here would defeat the lazy import
    from torch import nn

BACKENDS = ("auto", "onnxruntime", "torch")
ONNX_NAME = "generator.onnx"  # the exported model inside a run folder (same name as checkpoint.ONNX_NAME)
# Metadata keys that ModelInfo has fields for; every other key lands in ModelInfo.summary.
_STRUCTURAL_KEYS = frozenset(
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
_CONTRACT = "GAN Studio models take z [N, latent_dim] and optionally label [N]"


class ModelLoadError(GanStudioError):
    """A model file is missing, damaged, foreign or breaks the ONNX contract; the message says which."""


@dataclass(frozen=True)
class ModelInfo:
    """What is known about a loaded generator; plain data, safe to pass between threads."""

    latent_dim: int
    num_classes: int  # 0 = unconditional
    class_names: tuple[str, ...]  # may be empty even when conditional (then classes are shown by index)
    image_size: int  # square images: H == W == image_size
    channels: int  # 1 or 3
    dataset: str  # "" when unknown
    arch: str  # "" when unknown
    loss: str  # "" when unknown
    source: str  # the file or folder it was loaded from ("" for an in-memory module)
    backend: str  # "onnxruntime" or "torch"
    model_config: dict[str, Any] | None = None
    train_config: dict[str, Any] | None = None
    summary: dict[str, str] = field(default_factory=dict)  # training summary: steps, minutes, images_seen, ...

    @property
    def conditional(self) -> bool:
        return self.num_classes > 0

    def class_name(self, index: int) -> str:
        return self.class_names[index] if 0 <= index < len(self.class_names) else str(index)

    @classmethod
    def from_configs(
        cls,
        model_cfg: ModelConfig,
        train_cfg: TrainConfig | None,
        source: str = "",
        backend: str = "torch",
        summary: dict[str, str] | None = None,
    ) -> ModelInfo:
        return cls(
            latent_dim=model_cfg.latent_dim,
            num_classes=model_cfg.num_classes,
            class_names=tuple(model_cfg.class_names),
            image_size=model_cfg.image_size,
            channels=model_cfg.channels,
            dataset=train_cfg.dataset if train_cfg else "",
            arch=model_cfg.arch,
            loss=train_cfg.loss if train_cfg else "",
            source=str(source),
            backend=backend,
            model_config=config_to_dict(model_cfg),
            train_config=config_to_dict(train_cfg) if train_cfg else None,
            summary={str(k): str(v) for k, v in (summary or {}).items()},
        )

    def describe(self) -> str:
        """Multi-line human summary for `ganstudio info` and the GUI's model panel."""
        colour = {1: "grayscale", 3: "RGB"}.get(self.channels, f"{self.channels} channels")
        if self.conditional:
            names = ", ".join(self.class_name(i) for i in range(min(self.num_classes, 10)))
            more = ", ..." if self.num_classes > 10 else ""
            classes = f"{self.num_classes} ({names}{more})"
        else:
            classes = "unconditional"
        lines = [
            f"GAN Studio generator ({self.backend})",
            f"  source:       {self.source or '(in memory)'}",
            f"  architecture: {self.arch or 'unknown'}",
            f"  images:       {self.image_size}x{self.image_size} {colour}",
            f"  latent size:  {self.latent_dim}",
            f"  classes:      {classes}",
            f"  dataset:      {self.dataset or 'unknown'}",
            f"  loss:         {self.loss or 'unknown'}",
        ]
        if self.summary:
            lines.append("  training:")
            width = max(len(k) for k in self.summary)
            lines += [f"    {k.ljust(width)}  {v}" for k, v in sorted(self.summary.items())]
        return "\n".join(lines)


@runtime_checkable
class GeneratorBackend(Protocol):
    info: ModelInfo

    def generate(self, z: np.ndarray, labels: np.ndarray | None = None) -> np.ndarray:
        """(N, latent_dim) latents (+ (N,) labels when conditional) -> float32 (N, C, H, W) in [0, 1]."""
        ...

    def close(self) -> None: ...


def check_inputs(info: ModelInfo, z: Any, labels: Any = None) -> tuple[np.ndarray, np.ndarray | None]:
    """Validate and coerce generate()'s arguments: float32 (N, latent_dim) and int64 (N,) or None.

    A scalar label is applied to the whole batch. Raises ValueError with a message naming the problem.
    """
    try:
        z_arr = np.asarray(z, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"z must be a numeric array of shape (N, {info.latent_dim}): {exc}") from exc
    if z_arr.ndim != 2 or z_arr.shape[0] < 1 or z_arr.shape[1] != info.latent_dim:
        raise ValueError(f"z must have shape (N, {info.latent_dim}) with N >= 1, got {z_arr.shape}")
    if not np.isfinite(z_arr).all():
        raise ValueError("z contains NaN or infinite values")
    z_arr = np.ascontiguousarray(z_arr)
    n = z_arr.shape[0]
    if not info.conditional:
        if labels is not None:
            raise ValueError("this model is unconditional: labels must be None")
        return z_arr, None
    if labels is None:
        raise ValueError(f"this model is class-conditional: pass labels in 0..{info.num_classes - 1}")
    raw = np.asarray(labels)
    if raw.dtype.kind == "f":  # accept 3.0 but not 2.5: a fractional class is a caller bug
        if not (np.isfinite(raw).all() and np.array_equal(raw, np.round(raw))):
            raise ValueError("labels must be whole numbers")
    elif raw.dtype.kind not in "iub":
        raise ValueError(f"labels must be integers, got dtype {raw.dtype}")
    label_arr = raw.astype(np.int64)
    if label_arr.ndim == 0:
        label_arr = np.full(n, int(label_arr), np.int64)
    if label_arr.shape != (n,):
        raise ValueError(f"labels must have shape ({n},) to match z, got {label_arr.shape}")
    if label_arr.min() < 0 or label_arr.max() >= info.num_classes:
        bad = int(label_arr[(label_arr < 0) | (label_arr >= info.num_classes)][0])
        raise ValueError(f"label {bad} is out of range: this model has classes 0..{info.num_classes - 1}")
    return z_arr, np.ascontiguousarray(label_arr)


# ---------------------------------------------------------------------------------------------------------------
# onnxruntime backend


def _first_line(exc: BaseException, limit: int = 240) -> str:
    text = str(exc).strip().splitlines()
    line = text[0] if text else type(exc).__name__
    # "[ONNXRuntimeError] : 7 : INVALID_PROTOBUF : Load model from /long/path failed:Protobuf parsing failed."
    # -> "Protobuf parsing failed.": the caller's message already names the file.
    line = re.sub(r"^\[ONNXRuntimeError\] : \d+ : \w+ : ", "", line)
    line = re.sub(r"^Load model from .* failed: ?", "", line) or line
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _int_meta(meta: dict[str, str], key: str, source: str) -> int | None:
    if key not in meta:
        return None
    try:
        return int(meta[key])
    except ValueError:
        raise ModelLoadError(f"{source}: metadata {key}={meta[key]!r} is not a whole number") from None


def _json_meta(meta: dict[str, str], key: str) -> Any:
    # Configs are informative only: a damaged JSON blob should not stop the model from running.
    try:
        return json.loads(meta[key]) if key in meta else None
    except json.JSONDecodeError:
        return None


def _static(dim: Any) -> int | None:
    return dim if isinstance(dim, int) and dim > 0 else None


def _type_name(ort_type: str) -> str:
    return ort_type.removeprefix("tensor(").removesuffix(")")


class OnnxGenerator:
    """An exported generator run by onnxruntime, tuned for interactive batch-1 use on the CPU."""

    def __init__(self, path: Path | str, intra_op_threads: int = 1, providers: Sequence[str] | None = None) -> None:
        import onnxruntime as ort

        self.path = Path(path)
        source = str(self.path)
        if not self.path.exists():
            raise ModelLoadError(f"file not found: {source}")
        if not self.path.is_file():
            raise ModelLoadError(f"{source} is not a file")
        if self.path.stat().st_size == 0:
            raise ModelLoadError(f"{source} is empty")
        if intra_op_threads < 0:
            raise ValueError(f"intra_op_threads must be >= 0 (0 = onnxruntime's default), got {intra_op_threads}")

        options = ort.SessionOptions()
        # Small thread pools that sleep when idle: a slider drag renders batch-1 images, and spinning
        # threads would steal the cores that the GUI and a concurrent training run need.
        options.intra_op_num_threads = intra_op_threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.add_session_config_entry("session.inter_op.allow_spinning", "0")
        options.log_severity_level = 3  # errors only: ORT's warnings are for developers, not users
        try:
            self._session = ort.InferenceSession(source, options, providers=self._providers(ort, providers))
        except Exception as exc:  # onnxruntime raises its own types (InvalidProtobuf, Fail, InvalidGraph, ...)
            raise ModelLoadError(f"cannot load {source}: damaged or not an ONNX model ({_first_line(exc)})") from exc
        self.info = self._read_contract(source)

    @staticmethod
    def _providers(ort: Any, requested: Sequence[str] | None) -> list[str]:
        # CPU by default: for batch-1 generation a GPU round trip is slower than the whole CPU run.
        available = set(ort.get_available_providers())
        chosen = [p for p in (requested or []) if p in available and p != "CPUExecutionProvider"]
        return [*chosen, "CPUExecutionProvider"]

    @property
    def providers(self) -> list[str]:
        return list(self._session.get_providers()) if self._session is not None else []

    def _read_contract(self, source: str) -> ModelInfo:
        """Check inputs/outputs against DESIGN.md §8 and assemble ModelInfo from metadata and shapes."""
        session = self._session
        inputs = {i.name: i for i in session.get_inputs()}
        outputs = session.get_outputs()
        meta = dict(session.get_modelmeta().custom_metadata_map)

        if "z" not in inputs:
            raise ModelLoadError(f"input 'z' missing: this ONNX file has inputs {list(inputs)} — {_CONTRACT}")
        extra = [name for name in inputs if name not in ("z", "label")]
        if extra:
            raise ModelLoadError(f"unexpected inputs {extra}: this ONNX file has inputs {list(inputs)} — {_CONTRACT}")
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

        named = [o for o in outputs if o.name == "image"]
        if not named and len(outputs) != 1:
            raise ModelLoadError(f"output 'image' missing: this ONNX file has outputs {[o.name for o in outputs]}")
        out = (named or outputs)[0]
        self._output_name = out.name
        if out.type != "tensor(float)":
            raise ModelLoadError(f"output '{out.name}' must be float32, this file's is {_type_name(out.type)}")
        if out.shape is None or len(out.shape) != 4:
            raise ModelLoadError(f"output '{out.name}' must have shape [N, C, H, W], this file's is {out.shape}")

        latent_meta, latent_shape = _int_meta(meta, "latent_dim", source), _static(z_in.shape[1])
        if latent_meta is not None and latent_shape is not None and latent_meta != latent_shape:
            raise ModelLoadError(
                f"{source}: metadata says latent_dim={latent_meta} but input 'z' takes [N, {latent_shape}]"
            )
        latent_dim = latent_meta or latent_shape
        if not latent_dim or latent_dim < 1:
            raise ModelLoadError(
                f"{source}: cannot tell the latent size (no latent_dim metadata and z's second dimension is not fixed)"
            )

        num_classes = _int_meta(meta, "num_classes", source)
        if label_in is None and num_classes:
            raise ModelLoadError(f"{source}: metadata says {num_classes} classes but the model has no 'label' input")
        if label_in is not None and not num_classes:
            raise ModelLoadError(
                f"{source}: the model takes a 'label' input but its metadata does not say how "
                "many classes it has (num_classes)"
            )
        num_classes = num_classes or 0
        names = _json_meta(meta, "class_names")
        class_names = tuple(str(n) for n in names) if isinstance(names, list) else ()
        if num_classes and len(class_names) != num_classes:
            class_names = ()  # names that do not match the classes would mislabel them; show indices instead

        _, c_shape, h_shape, w_shape = (_static(d) for d in out.shape)
        if c_shape is None or h_shape is None or w_shape is None:
            # Dynamic image dims: one tiny run tells us what the model really produces.
            probe = self._run(
                np.zeros((1, latent_dim), np.float32), np.zeros(1, np.int64) if label_in is not None else None
            )
            if probe.ndim != 4:
                raise ModelLoadError(f"output '{out.name}' must have shape [N, C, H, W], got {probe.shape}")
            _, c_shape, h_shape, w_shape = probe.shape
        if h_shape != w_shape:
            raise ModelLoadError(f"{source}: images are {h_shape}x{w_shape}; GAN Studio models make square images")
        for key, actual in (("channels", c_shape), ("image_size", h_shape)):
            stated = _int_meta(meta, key, source)
            if stated is not None and stated != actual:
                raise ModelLoadError(f"{source}: metadata says {key}={stated} but the model outputs {actual}")

        model_config, train_config = _json_meta(meta, "model_config"), _json_meta(meta, "train_config")
        return ModelInfo(
            latent_dim=int(latent_dim),
            num_classes=int(num_classes),
            class_names=class_names,
            image_size=int(h_shape),
            channels=int(c_shape),
            dataset=meta.get("dataset", ""),
            arch=meta.get("arch", ""),
            loss=meta.get("loss", ""),
            source=source,
            backend="onnxruntime",
            model_config=model_config if isinstance(model_config, dict) else None,
            train_config=train_config if isinstance(train_config, dict) else None,
            summary={k: v for k, v in meta.items() if k not in _STRUCTURAL_KEYS},
        )

    def _run(self, z: np.ndarray, labels: np.ndarray | None) -> np.ndarray:
        if self._session is None:
            raise RuntimeError("this generator has been closed")
        feeds = {"z": z} if labels is None else {"z": z, "label": labels}
        try:
            return self._session.run([self._output_name], feeds)[0]
        except Exception as exc:
            raise RuntimeError(f"onnxruntime failed to run {self.path.name}: {_first_line(exc)}") from exc

    def generate(self, z: np.ndarray, labels: np.ndarray | None = None) -> np.ndarray:
        z_arr, label_arr = check_inputs(self.info, z, labels)
        return np.asarray(self._run(z_arr, label_arr), dtype=np.float32)

    def close(self) -> None:
        self._session = None  # onnxruntime frees the session when the last reference goes

    def __enter__(self) -> OnnxGenerator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"OnnxGenerator({str(self.path)!r})"


# ---------------------------------------------------------------------------------------------------------------
# torch backend


class TorchGenerator:
    """A generator nn.Module (tanh output) run eagerly by torch; e.g. a copy of the EMA generator while training.

    The module is owned from now on: it is switched to eval mode and moved to `device`. Pass a copy when the
    original keeps training.
    """

    def __init__(self, module: nn.Module, info: ModelInfo, device: str = "cpu") -> None:
        import torch

        self.info = info
        self.device = torch.device(device)
        self._module: nn.Module | None = module.to(self.device).eval()

    @classmethod
    def from_checkpoint(cls, path: Path | str, device: str = "cpu", prefer_ema: bool = True) -> TorchGenerator:
        """Load a .safetensors checkpoint or a run folder's checkpoint (never unpickles anything)."""
        path = Path(path)
        if not path.exists():
            raise ModelLoadError(f"file not found: {path}")
        try:
            from ganstudio.core.checkpoint import CheckpointError, load_generator
        except ImportError as exc:
            raise ModelLoadError(f"cannot load {path}: the PyTorch backend is unavailable ({exc})") from exc
        try:
            module, model_cfg, train_cfg, summary = load_generator(path, prefer_ema=prefer_ema)
        except CheckpointError as exc:
            raise ModelLoadError(str(exc)) from exc
        info = ModelInfo.from_configs(model_cfg, train_cfg, source=str(path), backend="torch", summary=summary)
        return cls(module, info, device)

    @property
    def module(self) -> nn.Module:
        if self._module is None:
            raise RuntimeError("this generator has been closed")
        return self._module

    def generate(self, z: np.ndarray, labels: np.ndarray | None = None) -> np.ndarray:
        import torch

        z_arr, label_arr = check_inputs(self.info, z, labels)
        module = self.module
        with torch.inference_mode():
            z_t = torch.from_numpy(z_arr).to(self.device)
            if label_arr is None:
                images = module(z_t)
            else:
                images = module(z_t, torch.from_numpy(label_arr).to(self.device))
            images = ((images.float() + 1.0) * 0.5).clamp_(0.0, 1.0)  # tanh range -> [0, 1], like the ONNX file
            return images.cpu().numpy()  # (N, C, H, W) float32

    def close(self) -> None:
        self._module = None

    def __enter__(self) -> TorchGenerator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"TorchGenerator({self.info.source or 'in memory'!r}, device={str(self.device)!r})"


# ---------------------------------------------------------------------------------------------------------------


def open_generator(path: Path | str, backend: str = "auto", intra_op_threads: int = 1) -> GeneratorBackend:
    """Open an .onnx file, a .safetensors checkpoint, or a run folder (its generator.onnx when present)."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    path = Path(path)
    if not path.exists():
        raise ModelLoadError(f"file not found: {path}")
    if path.is_dir():
        exported = path / ONNX_NAME
        if backend != "torch" and exported.is_file():
            return OnnxGenerator(exported, intra_op_threads=intra_op_threads)
        if backend == "onnxruntime":
            raise ModelLoadError(f"{path} has no {ONNX_NAME}; export the run first or use the torch backend")
        return TorchGenerator.from_checkpoint(path)
    suffix = path.suffix.lower()
    if suffix == ".onnx":
        if backend == "torch":
            raise ModelLoadError(f"{path} is an ONNX model: it runs with onnxruntime, not torch")
        return OnnxGenerator(path, intra_op_threads=intra_op_threads)
    if suffix == ".safetensors":
        if backend == "onnxruntime":
            raise ModelLoadError(f"{path} is a checkpoint: it runs with torch; export it to ONNX first")
        return TorchGenerator.from_checkpoint(path)
    raise ModelLoadError(f"{path} is not a GAN Studio model: expected .onnx, .safetensors or a run folder")


def generator_from_snapshot(snapshot: Any, source: str = "", backend: str = "torch") -> TorchGenerator:
    """A training snapshot's generator in torch (CPU, eval mode), for exploring or measuring a run mid-training.

    Built on the meta device and filled with copies of the snapshot's arrays: nothing is initialised randomly,
    so this never draws from torch's global RNG, which the training thread samples its noise from.
    """
    import torch

    from ganstudio.core.networks import build_generator

    cfg = snapshot.model_config
    with torch.device("meta"):
        module = build_generator(cfg)
    # Copies: the snapshot's arrays may be read-only and stay shared with the training thread's record.
    state = {name: torch.from_numpy(np.array(array, copy=True)) for name, array in snapshot.weights.items()}
    try:
        module.load_state_dict(state, assign=True)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[0]
        raise ValueError(f"the training snapshot does not match its model config: {first}") from exc
    info = ModelInfo.from_configs(
        cfg,
        None,
        source=source or f"training step {snapshot.step}",
        backend=backend,
        summary={"step": str(snapshot.step)},
    )
    return TorchGenerator(module, info)


__all__ = [
    "BACKENDS",
    "GeneratorBackend",
    "ModelInfo",
    "ModelLoadError",
    "OnnxGenerator",
    "TorchGenerator",
    "check_inputs",
    "generator_from_snapshot",
    "open_generator",
]
