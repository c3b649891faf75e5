"""Frozen, validated configs. Both are stored inside every checkpoint and ONNX file so a model can be rebuilt."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from ganstudio.errors import GanStudioError

ARCHS = ("mlp", "dcgan")
LOSSES = ("bce", "wgan-gp", "hinge")
AUGMENTS = ("none", "translate", "translate-cutout")
LR_DECAYS = ("none", "linear")
IMAGE_SIZES = (28, 32, 64)
DEVICES = ("auto", "cpu", "cuda", "mps")


class ConfigError(GanStudioError, ValueError):
    """An impossible configuration; the message names the field and the allowed values."""


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise ConfigError(message)


@dataclass(frozen=True)
class ModelConfig:
    # The default is the classic MLP GAN (G 256-512-1024, D 512-256) with hinge loss, spectral norm and Adam(0, 0.9):
    # on a CPU it reaches all ten digits several times sooner than DCGAN (benchmarks/recipe_quality.py; README
    # "Which recipe"). A third G layer halved FID at equal wall time versus 256-512 (benchmarks/results/tuning).
    arch: str = "mlp"  # "mlp": the classic fully connected GAN; "dcgan": transposed-conv G, strided-conv D
    latent_dim: int = 64  # size of z
    image_size: int = 28  # 28, 32 or 64 (square)
    channels: int = 1  # 1 (grayscale) or 3 (RGB)
    num_classes: int = 0  # 0 = unconditional; else label embedding in G and a projection discriminator
    class_names: tuple[str, ...] = ()  # one name per class when conditional, else may name the data's classes
    g_width: int = 64  # dcgan: channels of G's last hidden layer; mlp: hidden widths are 4x, 8x (, 16x) this
    d_width: int = 64  # dcgan: channels of D's first conv; mlp: hidden widths are 8x and 4x this
    spectral_norm: bool = True  # spectral normalisation on every D layer (pairs well with hinge)
    g_layers: int = 3  # mlp only: hidden layers in G, widths 4x, 8x, 16x ... g_width (256-512-1024 as in Keras)

    def __post_init__(self) -> None:
        _check(self.arch in ARCHS, f"arch must be one of {', '.join(ARCHS)}, got {self.arch!r}")
        _check(1 <= self.latent_dim <= 1024, f"latent_dim must be in 1..1024, got {self.latent_dim}")
        _check(
            self.image_size in IMAGE_SIZES,
            f"image_size must be one of {', '.join(map(str, IMAGE_SIZES))}, got {self.image_size}",
        )
        _check(self.channels in (1, 3), f"channels must be 1 or 3, got {self.channels}")
        _check(
            self.num_classes >= 0 and self.num_classes != 1,
            f"num_classes must be 0 (unconditional) or at least 2, got {self.num_classes}",
        )
        _check(
            not self.num_classes or len(self.class_names) in (0, self.num_classes),
            f"{len(self.class_names)} class names given for {self.num_classes} classes",
        )
        _check(4 <= self.g_width <= 1024, f"g_width must be in 4..1024, got {self.g_width}")
        _check(4 <= self.d_width <= 1024, f"d_width must be in 4..1024, got {self.d_width}")
        _check(1 <= self.g_layers <= 4, f"g_layers must be in 1..4, got {self.g_layers}")
        object.__setattr__(self, "class_names", tuple(str(c) for c in self.class_names))

    @property
    def conditional(self) -> bool:
        return self.num_classes > 0


@dataclass(frozen=True)
class TrainConfig:
    dataset: str = "mnist"  # "mnist", "fashion-mnist" or a folder of images
    loss: str = "hinge"  # "bce" (non-saturating), "wgan-gp" or "hinge"
    batch_size: int = 128
    # G learns 1.5x faster than D: the default reached bar A (10 digits, confidence >= 0.9) in 28-31 s instead
    # of 34-37 s at 4e-4 (two seeds); 8e-4 lost a digit within a minute (benchmarks/results/tuning/stop10).
    g_lr: float = 6e-4
    d_lr: float = 4e-4
    g_beta1: float = 0.0  # beta1 = 0 and beta2 = 0.9: the SNGAN / BigGAN setting for hinge + spectral norm
    g_beta2: float = 0.9
    d_beta1: float = 0.0
    d_beta2: float = 0.9
    d_steps: int = 1  # discriminator updates per generator update
    gp_weight: float = 10.0  # gradient penalty weight (wgan-gp only)
    augment: str = "none"  # differentiable augmentation of D's inputs, real and fake alike (DiffAugment)
    # EMA of G's weights used for sampling and export; 0 disables it. Warmed up as min(decay, (1+step)/(4+step))
    # (networks.update_ema), so until step 30k it averages the run so far, centred at 3/4 of it (0.9999 with the
    # earlier, shorter warm-up gave FID 1.17 vs 1.31 for 0.999 at 20k steps).
    ema_decay: float = 0.9999
    lr_decay: str = "none"  # "linear": both learning rates fall linearly to 0 over the budget (as in SNGAN)
    epochs: float = 0.0  # stop after this many passes over the data (0 = no limit)
    steps: int = 0  # stop after this many generator steps (0 = no limit)
    minutes: float = 0.0  # stop after this much wall time (0 = no limit)
    seed: int = 0
    sample_every: int = 1000  # generator steps between saved sample grids
    checkpoint_every: int = 5000  # generator steps between checkpoints
    device: str = "auto"  # "auto" picks CUDA, then Apple MPS, then CPU
    threads: int = 0  # torch intra-op threads on CPU; 0 = torch's default

    def __post_init__(self) -> None:
        for name in _FLOAT_FIELDS:  # 0 from a CLI or JSON is an int; optimizers insist on floats
            value = getattr(self, name)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                object.__setattr__(self, name, float(value))
        _check(bool(self.dataset), "dataset must name mnist, fashion-mnist or a folder")
        _check(self.loss in LOSSES, f"loss must be one of {', '.join(LOSSES)}, got {self.loss!r}")
        _check(1 <= self.batch_size <= 4096, f"batch_size must be in 1..4096, got {self.batch_size}")
        for name in ("g_lr", "d_lr"):
            value = getattr(self, name)
            _check(math.isfinite(value) and 0 < value <= 1, f"{name} must be in (0, 1], got {value}")
        for name in ("g_beta1", "g_beta2", "d_beta1", "d_beta2"):
            value = getattr(self, name)
            _check(math.isfinite(value) and 0 <= value < 1, f"{name} must be in [0, 1), got {value}")
        _check(self.augment in AUGMENTS, f"augment must be one of {', '.join(AUGMENTS)}, got {self.augment!r}")
        _check(self.lr_decay in LR_DECAYS, f"lr_decay must be one of {', '.join(LR_DECAYS)}, got {self.lr_decay!r}")
        _check(
            self.lr_decay == "none" or self.has_budget,
            "lr_decay 'linear' needs a budget (steps, epochs or minutes) to decay over",
        )
        _check(1 <= self.d_steps <= 20, f"d_steps must be in 1..20, got {self.d_steps}")
        _check(math.isfinite(self.gp_weight) and self.gp_weight >= 0, f"gp_weight must be >= 0, got {self.gp_weight}")
        _check(0 <= self.ema_decay < 1, f"ema_decay must be in [0, 1), got {self.ema_decay}")
        _check(self.epochs >= 0 and self.steps >= 0 and self.minutes >= 0, "epochs, steps and minutes must be >= 0")
        _check(self.sample_every >= 1, f"sample_every must be >= 1, got {self.sample_every}")
        _check(self.checkpoint_every >= 1, f"checkpoint_every must be >= 1, got {self.checkpoint_every}")
        _check(self.device in DEVICES, f"device must be one of {', '.join(DEVICES)}, got {self.device!r}")
        _check(0 <= self.threads <= 256, f"threads must be in 0..256, got {self.threads}")

    @property
    def has_budget(self) -> bool:
        return bool(self.epochs or self.steps or self.minutes)


_FLOAT_FIELDS = (
    "g_lr",
    "d_lr",
    "g_beta1",
    "g_beta2",
    "d_beta1",
    "d_beta2",
    "gp_weight",
    "ema_decay",
    "epochs",
    "minutes",
)


def config_to_dict(config: ModelConfig | TrainConfig) -> dict[str, Any]:
    data = asdict(config)
    if "class_names" in data:
        data["class_names"] = list(data["class_names"])
    return data


def config_from_dict(cls: type, data: dict[str, Any]):  # -> ModelConfig | TrainConfig
    """Rebuild a config, ignoring unknown keys (from newer versions) and converting lists back to tuples."""
    known = {f.name for f in fields(cls)}
    kwargs = {k: (tuple(v) if isinstance(v, list) else v) for k, v in data.items() if k in known}
    if cls is ModelConfig and "g_layers" not in kwargs:
        kwargs["g_layers"] = 2  # files written before g_layers existed all had two hidden layers in G
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise ConfigError(f"invalid {cls.__name__}: {exc}") from exc


def config_to_json(config: ModelConfig | TrainConfig) -> str:
    return json.dumps(config_to_dict(config), sort_keys=True)


def with_changes(config, **changes):  # -> same config type
    """Return a copy with some fields changed, validated again."""
    return replace(config, **changes)
