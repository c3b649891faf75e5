"""Plain, immutable records the trainer yields. They are the only things that cross from training to a UI."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ganstudio.core.config import ModelConfig, TrainConfig


@dataclass(frozen=True)
class StepMetrics:
    step: int  # generator updates so far
    epoch: float  # passes over the data seen by the discriminator
    images_seen: int  # real images shown to the discriminator
    d_loss: float
    g_loss: float
    d_real: float  # D(x): probability for BCE, mean raw score for hinge / WGAN
    d_fake: float  # D(G(z)), same scale as d_real
    gradient_penalty: float  # NaN unless the objective is WGAN-GP
    images_per_second: float  # real images per second, smoothed
    elapsed_seconds: float  # active training time (pauses excluded), across resumes
    progress: float | None  # 0..1 of the configured budget, None when open-ended
    eta_seconds: float | None


@dataclass(frozen=True)
class SampleGrid:
    step: int
    images: np.ndarray = field(repr=False)  # (N, C, H, W) float32 in [0, 1], from the fixed latent batch
    saved_path: str | None = None


@dataclass(frozen=True)
class GeneratorSnapshot:
    """The sampling generator's weights as numpy arrays, so another thread can explore a model mid-training."""

    step: int
    model_config: ModelConfig
    weights: dict[str, np.ndarray] = field(repr=False)
    train_config: TrainConfig | None = None  # the run's dataset and loss, for the live model's info
    elapsed_seconds: float = 0.0  # active training time, so the live model's info reads like a checkpoint's


@dataclass(frozen=True)
class CheckpointSaved:
    step: int
    path: str


@dataclass(frozen=True)
class LogMessage:
    text: str


@dataclass(frozen=True)
class TrainingFinished:
    step: int
    reason: str  # "completed", "stopped", "diverged" or "error"
    message: str
    run_dir: str | None
    checkpoint_path: str | None
    onnx_path: str | None


TrainEvent = StepMetrics | SampleGrid | GeneratorSnapshot | CheckpointSaved | LogMessage | TrainingFinished
