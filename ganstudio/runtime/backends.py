"""Generator backends: one interface whether the weights run in onnxruntime or torch (ganspace's BaseModel idea).

numpy float32 latents (N, latent_dim) in, numpy float32 images (N, C, H, W) in [0, 1] out. `OnnxGenerator` runs
an exported .onnx file; a checkpoint (or a run folder without an export) opens `TorchGenerator` from
`ganstudio.core.torch_backend`, imported only then: this module never imports torch, so exploring an .onnx
model needs only onnxruntime and the desktop app starts fast.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np

from ganstudio.paths import CHECKPOINT_NAME, ONNX_NAME
from ganstudio.runtime.model_info import ModelInfo, ModelLoadError
from ganstudio.runtime.onnx_contract import read_contract, read_metadata

BACKENDS = ("auto", "onnxruntime", "torch")
# How a class blend was made: "embedding" mixes label embeddings inside the generator (a real morph),
# "crossfade" mixes the pictures of the two classes (all a whole-label ONNX model allows).
BlendMode = Literal["embedding", "crossfade"]


@runtime_checkable
class GeneratorBackend(Protocol):
    """What the GUI and the CLI call. Optional capabilities are flags here, never probed with hasattr."""

    info: ModelInfo
    # Capability: generate_blend() mixes two classes' label embeddings. False: it raises NotImplementedError.
    supports_class_blend: bool

    @property
    def device_name(self) -> str:
        """Where it runs, for people: "CPU", "CUDA", ..."""
        ...

    def generate(self, z: np.ndarray, labels: np.ndarray | None = None) -> np.ndarray:
        """(N, latent_dim) latents (+ (N,) labels when conditional) -> float32 (N, C, H, W) in [0, 1]."""
        ...

    def generate_blend(self, z: np.ndarray, labels_a: np.ndarray, labels_b: np.ndarray, t: float) -> np.ndarray:
        """Images for the same z with the label embedding (1 - t) * embed(a) + t * embed(b)."""
        ...

    def close(self) -> None: ...


def blend_classes(
    backend: GeneratorBackend, z: np.ndarray, labels: np.ndarray, label_b: int, t: float
) -> tuple[np.ndarray, BlendMode]:
    """Every label morphed towards `label_b` by t in [0, 1]: a real morph where the backend can, else a cross-fade."""
    labels_b = np.full_like(labels, label_b)
    if backend.supports_class_blend:
        return np.asarray(backend.generate_blend(z, labels, labels_b, float(t)), np.float32), "embedding"
    a = backend.generate(z, labels)
    b = backend.generate(z, labels_b)
    return ((1.0 - t) * a + t * b).astype(np.float32), "crossfade"


def check_inputs(info: ModelInfo, z: Any, labels: Any = None) -> tuple[np.ndarray, np.ndarray | None]:
    """Validate and coerce generate()'s arguments: float32 (N, latent_dim) and int64 (N,) or None.

    A scalar label is applied to the whole batch. Raises ValueError with a message naming the problem.
    """
    z_arr = _check_latents(info, z)
    if not info.conditional:
        if labels is not None:
            raise ValueError("this model is unconditional: labels must be None")
        return z_arr, None
    if labels is None:
        raise ValueError(f"this model is class-conditional: pass labels in 0..{info.num_classes - 1}")
    return z_arr, _check_labels(info, labels, z_arr.shape[0])


def _check_latents(info: ModelInfo, z: Any) -> np.ndarray:
    try:
        z_arr = np.asarray(z, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"z must be a numeric array of shape (N, {info.latent_dim}): {exc}") from exc
    if z_arr.ndim != 2 or z_arr.shape[0] < 1 or z_arr.shape[1] != info.latent_dim:
        raise ValueError(f"z must have shape (N, {info.latent_dim}) with N >= 1, got {z_arr.shape}")
    if not np.isfinite(z_arr).all():
        raise ValueError("z contains NaN or infinite values")
    return np.ascontiguousarray(z_arr)


def _check_labels(info: ModelInfo, labels: Any, n: int) -> np.ndarray:
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
    return np.ascontiguousarray(label_arr)


def first_line(exc: BaseException, limit: int = 240) -> str:
    text = str(exc).strip().splitlines()
    line = text[0] if text else type(exc).__name__
    # "[ONNXRuntimeError] : 7 : INVALID_PROTOBUF : Load model from /long/path failed:Protobuf parsing failed."
    # -> "Protobuf parsing failed.": the caller's message already names the file.
    line = re.sub(r"^\[ONNXRuntimeError\] : \d+ : \w+ : ", "", line)
    line = re.sub(r"^Load model from .* failed: ?", "", line) or line
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _check_model_file(path: Path) -> None:
    source = str(path)
    if not path.exists():
        raise ModelLoadError(f"file not found: {source}")
    if not path.is_file():
        raise ModelLoadError(f"{source} is not a file")
    if path.stat().st_size == 0:
        raise ModelLoadError(f"{source} is empty")


class OnnxGenerator:
    """An exported generator run by onnxruntime, tuned for interactive batch-1 use on the CPU."""

    supports_class_blend = False  # the contract takes whole int64 labels: no embedding to mix

    def __init__(self, path: Path | str, intra_op_threads: int = 1, providers: Sequence[str] | None = None) -> None:
        import onnxruntime as ort

        self.path = Path(path)
        source = str(self.path)
        _check_model_file(self.path)
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
            self._session: Any = ort.InferenceSession(source, options, providers=self._providers(ort, providers))
        except Exception as exc:  # onnxruntime raises its own types (InvalidProtobuf, Fail, InvalidGraph, ...)
            raise ModelLoadError(f"cannot load {source}: damaged or not an ONNX model ({first_line(exc)})") from exc
        session = self._session
        contract = read_contract(
            session.get_inputs(),
            session.get_outputs(),
            read_metadata(lambda: session.get_modelmeta().custom_metadata_map, source),
            source,
            self._run_output,
        )
        self.info = contract.info
        self._output_name = contract.output_name

    @staticmethod
    def _providers(ort: Any, requested: Sequence[str] | None) -> list[str]:
        # CPU by default: for batch-1 generation a GPU round trip is slower than the whole CPU run.
        available = set(ort.get_available_providers())
        chosen = [p for p in (requested or []) if p in available and p != "CPUExecutionProvider"]
        return [*chosen, "CPUExecutionProvider"]

    @property
    def providers(self) -> list[str]:
        return list(self._session.get_providers()) if self._session is not None else []

    @property
    def device_name(self) -> str:
        providers = self.providers
        return providers[0].removesuffix("ExecutionProvider").upper() if providers else "CPU"

    def _run_output(self, output: str, z: np.ndarray, labels: np.ndarray | None) -> np.ndarray:
        if self._session is None:
            raise RuntimeError("this generator has been closed")
        feeds = {"z": z} if labels is None else {"z": z, "label": labels}
        try:
            return self._session.run([output], feeds)[0]
        except Exception as exc:
            raise RuntimeError(f"onnxruntime failed to run {self.path.name}: {first_line(exc)}") from exc

    def generate(self, z: np.ndarray, labels: np.ndarray | None = None) -> np.ndarray:
        z_arr, label_arr = check_inputs(self.info, z, labels)
        return np.asarray(self._run_output(self._output_name, z_arr, label_arr), dtype=np.float32)

    def generate_blend(self, z: np.ndarray, labels_a: np.ndarray, labels_b: np.ndarray, t: float) -> np.ndarray:
        raise NotImplementedError("an ONNX generator takes whole labels only; use blend_classes() to cross-fade")

    def close(self) -> None:
        self._session = None  # onnxruntime frees the session when the last reference goes

    def __enter__(self) -> OnnxGenerator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"OnnxGenerator({str(self.path)!r})"


def _open_checkpoint(path: Path) -> GeneratorBackend:
    try:
        from ganstudio.core.torch_backend import TorchGenerator
    except ImportError as exc:
        raise ModelLoadError(f"cannot load {path}: the PyTorch backend is unavailable ({exc})") from exc
    return TorchGenerator.from_checkpoint(path)


def _open_run_folder(path: Path, backend: str, intra_op_threads: int) -> GeneratorBackend:
    """A run folder's generator.onnx, unless the checkpoint has trained further since it was exported (a run
    stopped or killed before its export): then the checkpoint, so what is shown is the run as it is now."""
    exported = path / ONNX_NAME
    if backend != "torch" and exported.is_file():
        onnx = OnnxGenerator(exported, intra_op_threads=intra_op_threads)
        if backend == "onnxruntime" or not _checkpoint_trained_further(path, onnx.info):
            return onnx
        onnx.close()
    if backend == "onnxruntime":
        raise ModelLoadError(f"{path} has no {ONNX_NAME}; export the run first or use the torch backend")
    return _open_checkpoint(path)


def _checkpoint_trained_further(folder: Path, exported: ModelInfo) -> bool:
    from ganstudio.core.checkpoint_header import CheckpointError, read_checkpoint_header  # torch-free

    checkpoint = folder / CHECKPOINT_NAME
    if not checkpoint.is_file():
        return False
    try:
        saved_step = read_checkpoint_header(checkpoint).step
    except CheckpointError:
        return False  # a damaged checkpoint: the export is the best there is
    try:
        return saved_step > int(exported.summary["step"])
    except (KeyError, ValueError):  # an export without a step: go by the files' ages
        return checkpoint.stat().st_mtime > (folder / ONNX_NAME).stat().st_mtime


def open_generator(path: Path | str, backend: str = "auto", intra_op_threads: int = 1) -> GeneratorBackend:
    """Open an .onnx file, a .safetensors checkpoint, or a run folder (its generator.onnx when present)."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    path = Path(path)
    if not path.exists():
        raise ModelLoadError(f"file not found: {path}")
    if path.is_dir():
        return _open_run_folder(path, backend, intra_op_threads)
    suffix = path.suffix.lower()
    if suffix == ".onnx":
        if backend == "torch":
            raise ModelLoadError(f"{path} is an ONNX model: it runs with onnxruntime, not torch")
        return OnnxGenerator(path, intra_op_threads=intra_op_threads)
    if suffix == ".safetensors":
        if backend == "onnxruntime":
            raise ModelLoadError(f"{path} is a checkpoint: it runs with torch; export it to ONNX first")
        return _open_checkpoint(path)
    raise ModelLoadError(f"{path} is not a GAN Studio model: expected .onnx, .safetensors or a run folder")


__all__ = [
    "BACKENDS",
    "BlendMode",
    "GeneratorBackend",
    "ModelInfo",
    "ModelLoadError",
    "OnnxGenerator",
    "blend_classes",
    "check_inputs",
    "open_generator",
]
