"""Projection: find the z (and class) whose picture is closest to a given digit (torch-free; torch only to refine).

Two stages, each optional after the first:
1. start: the encoder shipped beside the generator (`<stem>-encoder.onnx`, run by onnxruntime) gives z in one
   forward pass; without one, the best of RANDOM_START_SAMPLES random latents;
2. refine: gradient steps on the pixel error through the torch generator, when its checkpoint (.safetensors) is
   at hand; `ganstudio.core.projection_refine` is imported only then.
docs/decisions/projection.md gives what each stage reaches.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ganstudio.errors import GanStudioError
from ganstudio.paths import CHECKPOINT_NAME
from ganstudio.runtime.backends import GeneratorBackend, first_line
from ganstudio.runtime.model_hash import model_sha256
from ganstudio.runtime.model_info import ModelInfo
from ganstudio.runtime.onnx_session import open_session
from ganstudio.runtime.png_state import SampleState

ENCODER_SUFFIX = "-encoder.onnx"
ENCODER_RUN_NAME = "encoder.onnx"  # inside a run folder
RANDOM_START_SAMPLES = 2000
DEFAULT_REFINE_STEPS = 150
_BATCH = 500

ProgressFn = Callable[["ProjectionProgress"], None]
CancelFn = Callable[[], bool]


class ProjectionError(GanStudioError):
    """The picture cannot be projected into this model (wrong shape, a mismatched encoder, ...)."""


class ProjectionCancelled(GanStudioError):
    """The caller cancelled the projection (a newer request replaced it)."""


@dataclass(frozen=True)
class ProjectionProgress:
    stage: str  # "encoder", "random" or "refine"
    step: int
    total: int
    error: float  # pixel MSE of the best latent so far


@dataclass(frozen=True)
class Projection:
    z: np.ndarray  # (latent_dim,) float32
    label: int | None  # the class, for a conditional generator
    image: np.ndarray  # (C, H, W) float32 in [0, 1]: the generator's picture of z
    target: np.ndarray  # (C, H, W) the picture projected
    error: float  # pixel mean squared error between image and target, values in [0, 1]
    stages: tuple[tuple[str, float], ...]  # (stage, error after it), in order

    def sample_state(self, model_sha256: str, scale: int = 1) -> SampleState:
        """What a PNG of the projection records, so `ganstudio info` prints it and the app restores it."""
        return SampleState(model_sha256, np.asarray(self.z, np.float32), 1.0, self.label, scale=scale)


class Refiner(Protocol):
    def refine(
        self,
        z: np.ndarray,
        label: int | None,
        target: np.ndarray,
        steps: int,
        progress: Callable[[int, float], None] | None = None,
        cancel: CancelFn | None = None,
    ) -> np.ndarray:
        """Gradient steps from z (latent_dim,) towards target (C, H, W); returns the refined z."""
        ...


def encoder_path_for(model_path: Path | str) -> Path | None:
    """The encoder shipped beside a model: `mnist.onnx` -> `mnist-encoder.onnx`; a run folder's `encoder.onnx`."""
    path = Path(model_path)
    candidate = path / ENCODER_RUN_NAME if path.is_dir() else path.with_name(path.stem + ENCODER_SUFFIX)
    return candidate if candidate.is_file() else None


def checkpoint_path_for(model_path: Path | str) -> Path | None:
    """The torch checkpoint behind a model: itself, a run folder's checkpoint, or `<stem>.safetensors` beside it."""
    path = Path(model_path)
    if path.is_dir():
        candidate = path / CHECKPOINT_NAME
    elif path.suffix.lower() == ".safetensors":
        candidate = path
    else:
        candidate = path.with_suffix(".safetensors")
    return candidate if candidate.is_file() else None


def open_refiner(checkpoint: Path) -> Refiner:
    """The torch refiner for a checkpoint (imports torch)."""
    try:
        from ganstudio.core.projection_refine import GradientRefiner
    except ImportError as exc:
        raise ProjectionError(f"gradient refinement needs PyTorch ({exc})") from exc
    return GradientRefiner(checkpoint)


class OnnxEncoder:
    """An encoder file run by onnxruntime: (N, C, H, W) images -> z (N, Z) and class probabilities (N, K)."""

    def __init__(self, path: Path | str, info: ModelInfo) -> None:
        self.path = Path(path)
        try:
            self._session: Any = open_session(self.path)
        except Exception as exc:  # onnxruntime's own exception types
            raise ProjectionError(f"cannot load the encoder {self.path}: {first_line(exc)}") from exc
        meta = dict(self._session.get_modelmeta().custom_metadata_map)
        try:
            cfg = json.loads(meta["encoder_config"])
        except (KeyError, json.JSONDecodeError):
            raise ProjectionError(f"{self.path} is not a GAN Studio encoder (no encoder_config metadata)") from None
        wanted = {"z_size": info.latent_dim, "num_classes": info.num_classes, "image_size": info.image_size}
        wrong = {k: cfg.get(k) for k, v in wanted.items() if cfg.get(k) != v}
        if wrong:
            raise ProjectionError(f"{self.path.name} was trained for another generator ({wrong} vs {wanted})")
        self.generator_sha256 = meta.get("generator_sha256", "")  # of the generator file it was trained for
        self.outputs = [o.name for o in self._session.get_outputs()]

    def trained_for(self, model_path: Path | str) -> bool:
        """Whether the encoder was trained for this very generator file. An encoder maps images to one
        generator's latents; beside a retrained generator of the same shape it would start every projection
        somewhere meaningless. An encoder that recorded no generator is trusted. The model's hash is the one
        the app already keeps for it (model_hash remembers it per file), so this does not read the file again."""
        return not self.generator_sha256 or model_sha256(model_path) == self.generator_sha256

    def encode(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """(N, C, H, W) in [0, 1] -> z (N, Z) float32, class probabilities (N, K) or None."""
        results = self._session.run(self.outputs, {"image": np.ascontiguousarray(images, np.float32)})
        if len(results) == 1:
            return results[0], None
        logits = results[1] - results[1].max(axis=1, keepdims=True)
        probs = np.exp(logits)
        return results[0], probs / probs.sum(axis=1, keepdims=True)


def pixel_errors(images: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Mean squared error per image: (N, C, H, W) against (C, H, W) -> (N,)."""
    diff = images.reshape(len(images), -1) - target.reshape(1, -1)
    return np.mean(diff * diff, axis=1)


def best_random(
    backend: GeneratorBackend, target: np.ndarray, samples: int, seed: int = 0, cancel: CancelFn | None = None
) -> tuple[np.ndarray, int | None, float]:
    """The best of `samples` N(0, I) latents (classes drawn uniformly): (z, label, error). Also the baseline."""
    info = backend.info
    rng = np.random.default_rng(seed)
    best: tuple[np.ndarray, int | None, float] = (np.zeros(info.latent_dim, np.float32), None, np.inf)
    for start in range(0, samples, _BATCH):
        if cancel is not None and cancel():
            raise ProjectionCancelled("projection cancelled")
        n = min(_BATCH, samples - start)
        z = rng.standard_normal((n, info.latent_dim)).astype(np.float32)
        labels = rng.integers(0, info.num_classes, n) if info.conditional else None
        errors = pixel_errors(backend.generate(z, labels), target)
        i = int(np.argmin(errors))
        if errors[i] < best[2]:
            best = (z[i], None if labels is None else int(labels[i]), float(errors[i]))
    return best


class Projector:
    """Projects pictures into one generator: encoder (or random) start, then optional gradient refinement."""

    def __init__(
        self,
        backend: GeneratorBackend,
        encoder: OnnxEncoder | None = None,
        refiner: Refiner | None = None,
        refine_steps: int = DEFAULT_REFINE_STEPS,
        checkpoint: Path | None = None,
        note: str = "",
    ) -> None:
        """`checkpoint` instead of `refiner` opens the refiner (and imports torch) on the first projection;
        `note` says why the encoder beside the model was left out, when it was."""
        self.backend = backend
        self.encoder = encoder
        self._refiner = refiner
        self._checkpoint = checkpoint
        self.refine_steps = max(0, refine_steps)
        self.note = note

    @classmethod
    def for_model(
        cls,
        backend: GeneratorBackend,
        model_path: Path | str,
        refine: bool = True,
        refine_steps: int = DEFAULT_REFINE_STEPS,
    ) -> Projector:
        """The encoder beside the model when there is one; refinement when asked and its checkpoint is at hand."""
        encoder_file = encoder_path_for(model_path)
        encoder = OnnxEncoder(encoder_file, backend.info) if encoder_file is not None else None
        note = ""
        if encoder is not None and not encoder.trained_for(model_path):
            note = f"{encoder.path.name} was trained for another version of {Path(model_path).name}, so it is not used"
            encoder = None
        checkpoint = checkpoint_path_for(model_path) if refine else None
        return cls(backend, encoder, None, refine_steps, checkpoint, note)

    @property
    def refines(self) -> bool:
        return (self._refiner is not None or self._checkpoint is not None) and self.refine_steps > 0

    def refiner(self) -> Refiner | None:
        if self._refiner is None and self._checkpoint is not None:
            self._refiner = open_refiner(self._checkpoint)
        return self._refiner

    def describe(self) -> str:
        start = f"encoder {self.encoder.path.name}" if self.encoder else f"best of {RANDOM_START_SAMPLES} random"
        refine = f" + {self.refine_steps} gradient steps" if self.refines else ""
        return start + refine + (f" ({self.note})" if self.note else "")

    def target_for(self, picture: np.ndarray) -> np.ndarray:
        """(H, W) or (C, H, W) in [0, 1] -> (C, H, W) matching the generator, or ProjectionError."""
        info = self.backend.info
        arr = np.asarray(picture, np.float32)
        if arr.ndim == 2:
            arr = np.repeat(arr[None], info.channels, axis=0)
        if arr.shape != (info.channels, info.image_size, info.image_size):
            want = f"({info.channels}, {info.image_size}, {info.image_size})"
            raise ProjectionError(f"the picture has shape {arr.shape}; this model draws {want}")
        return np.clip(arr, 0.0, 1.0)

    def project(
        self, picture: np.ndarray, progress: ProgressFn | None = None, cancel: CancelFn | None = None
    ) -> Projection:
        target = self.target_for(picture)
        stages: list[tuple[str, float]] = []
        if self.encoder is not None:
            z_batch, probs = self.encoder.encode(target[None])
            z = z_batch[0].astype(np.float32)
            label = int(np.argmax(probs[0])) if probs is not None else None
            stage = "encoder"
        else:
            z, label, _ = best_random(self.backend, target, RANDOM_START_SAMPLES, cancel=cancel)
            stage = "random"
        error = self._error(z, label, target)
        stages.append((stage, error))
        if progress is not None:
            progress(ProjectionProgress(stage, 1, 1, error))
        refiner = self.refiner() if self.refines else None
        if refiner is not None:
            steps = self.refine_steps

            def report(step: int, err: float) -> None:
                if progress is not None:
                    progress(ProjectionProgress("refine", step, steps, err))

            z = refiner.refine(z, label, target, steps, report, cancel).astype(np.float32)
            error = self._error(z, label, target)
            stages.append(("refine", error))
        image = self._render(z, label)
        return Projection(z, label, image, target, error, tuple(stages))

    def _render(self, z: np.ndarray, label: int | None) -> np.ndarray:
        labels = None if label is None else np.array([label], np.int64)
        return self.backend.generate(z[None], labels)[0]

    def _error(self, z: np.ndarray, label: int | None, target: np.ndarray) -> float:
        return float(pixel_errors(self._render(z, label)[None], target)[0])
