"""The Playground's options, declared once with `option()` like the image-training configs: the `ganstudio
playground` flags and the Playground form are generated from these declarations. Where a concept is the same as in
image training (objective, spectral norm, D steps, learning rates, batch size, seed, penalty weight) the label,
help and choices are taken from ModelConfig / TrainConfig's declarations, not copied.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from ganstudio.core.config import LOSSES, ConfigError, ModelConfig, TrainConfig
from ganstudio.core.options import Option, find_option, option, options_of
from ganstudio.core.playground.distributions import DISTRIBUTION_LABELS, DISTRIBUTIONS


def _same_as(name: str, **changes: object) -> dict[str, object]:
    """The presentation of an image-training option of the same meaning, with `changes` (e.g. the form group)."""
    opt = find_option(name, ModelConfig, TrainConfig)
    assert opt is not None, name
    spec = opt.spec
    keep: dict[str, object] = {"label": spec.label, "help": spec.help, "choices": spec.choices}
    keep.update(choice_labels=spec.choice_labels, valid=spec.valid, maximum=spec.maximum)
    return {**keep, **changes}


def _check(condition: bool, field: str, message: str) -> None:
    if not condition:
        raise ConfigError(message, field=field)


@dataclass(frozen=True)
class PlaygroundConfig:
    """One 2-D GAN: the data, both networks and the objective. The defaults are a plain BCE GAN on the ring."""

    dist: str = option(
        "ring8",
        label="Distribution",
        help="the real points: ring8, grid25, moons, spiral, line, or custom (points drawn on the plane; on the "
        "command line, --points FILE.npy)",
        choices=DISTRIBUTIONS,
        choice_labels=DISTRIBUTION_LABELS,
        group="data",
    )
    loss: str = option("bce", **_same_as("loss", group="objective"))
    spectral_norm: bool = option(False, **_same_as("spectral_norm", group="objective"))
    d_steps: int = option(1, **_same_as("d_steps", group="objective", maximum=20))
    gp_weight: float = option(10.0, **_same_as("gp_weight", group="objective"), only_when=("loss", "wgan-gp"))
    g_lr: float = option(1e-3, **_same_as("g_lr", group="optimiser"))
    d_lr: float = option(1e-3, **_same_as("d_lr", group="optimiser"))
    beta1: float = option(
        0.5, label="Adam beta1", help="Adam's first beta, both networks", group="optimiser", pair="betas"
    )
    beta2: float = option(
        0.999, label="Adam beta2", help="Adam's second beta, both networks", group="optimiser", pair="betas"
    )
    lr_half_life: int = option(
        0,
        label="LR half-life",
        help="G steps over which both learning rates halve, smoothly (0: constant); a falling rate lets G settle "
        "its points onto the modes once it has found them",
        group="optimiser",
        maximum=100_000,
    )
    ema_decay: float = option(
        0.0,
        **_same_as(
            "ema_decay",
            group="optimiser",
            help="EMA decay of G's weights; the points shown and measured come from the average (0: off). "
            "Averaging cancels G's step-to-step wobble around the modes",
        ),
    )
    batch_size: int = option(256, **_same_as("batch_size", group="optimiser", maximum=4096))
    g_layers: int = option(3, label="G layers", help="hidden layers in G", group="networks", maximum=8)
    g_width: int = option(128, label="G width", help="units in each hidden layer of G", group="networks", maximum=1024)
    d_layers: int = option(3, label="D layers", help="hidden layers in D", group="networks", maximum=8)
    d_width: int = option(128, label="D width", help="units in each hidden layer of D", group="networks", maximum=1024)
    latent_dim: int = option(
        2,
        label="Latent size",
        help="size of z; with 2 the manifold lines are the whole latent grid, above 2 a slice with the rest at 0",
        group="networks",
        maximum=64,
    )
    seed: int = option(0, **_same_as("seed", group="data"))

    def __post_init__(self) -> None:
        for f in fields(self):
            if isinstance(f.default, float) and isinstance(getattr(self, f.name), int):
                object.__setattr__(self, f.name, float(getattr(self, f.name)))  # 1 from JSON is a float here
        _check(self.dist in DISTRIBUTIONS, "dist", f"dist must be one of {', '.join(DISTRIBUTIONS)}, got {self.dist!r}")
        _check(self.loss in LOSSES, "loss", f"loss must be one of {', '.join(LOSSES)}, got {self.loss!r}")
        _check(1 <= self.d_steps <= 20, "d_steps", f"d_steps must be in 1..20, got {self.d_steps}")
        _check(
            math.isfinite(self.gp_weight) and self.gp_weight >= 0,
            "gp_weight",
            f"gp_weight must be >= 0, got {self.gp_weight}",
        )
        for name in ("g_lr", "d_lr"):
            value = getattr(self, name)
            _check(math.isfinite(value) and 0 < value <= 1, name, f"{name} must be in (0, 1], got {value}")
        for name in ("beta1", "beta2"):
            value = getattr(self, name)
            _check(math.isfinite(value) and 0 <= value < 1, name, f"{name} must be in [0, 1), got {value}")
        _check(
            math.isfinite(self.ema_decay) and 0 <= self.ema_decay < 1,
            "ema_decay",
            f"ema_decay must be in [0, 1), got {self.ema_decay}",
        )
        _check(
            0 <= self.lr_half_life <= 100_000,
            "lr_half_life",
            f"lr_half_life must be in 0..100000, got {self.lr_half_life}",
        )
        _check(1 <= self.batch_size <= 4096, "batch_size", f"batch_size must be in 1..4096, got {self.batch_size}")
        for name in ("g_layers", "d_layers"):
            _check(1 <= getattr(self, name) <= 6, name, f"{name} must be in 1..6, got {getattr(self, name)}")
        for name in ("g_width", "d_width"):
            _check(2 <= getattr(self, name) <= 1024, name, f"{name} must be in 2..1024, got {getattr(self, name)}")
        _check(1 <= self.latent_dim <= 64, "latent_dim", f"latent_dim must be in 1..64, got {self.latent_dim}")
        _check(0 <= self.seed < 2**31, "seed", f"seed must be in 0..2^31-1, got {self.seed}")


def playground_options() -> tuple[Option, ...]:
    return options_of(PlaygroundConfig)
