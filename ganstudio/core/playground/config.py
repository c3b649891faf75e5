"""The Playground's options, declared once with `option()` like the image-training configs: the `ganstudio
playground` flags and the Playground form are generated from these declarations. Where a concept is the same as in
image training (objective, spectral norm, D steps, learning rates, batch size, seed, penalty weight) the label,
help and choices are taken from ModelConfig / TrainConfig's declarations, not copied.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from ganstudio.core.config import BETA, LOSSES, ConfigError, ModelConfig, TrainConfig, check_declared_bounds
from ganstudio.core.options import Bounds, Option, find_option, option, options_of
from ganstudio.core.playground.distributions import DISTRIBUTION_LABELS, DISTRIBUTIONS


def _same_as(name: str, **changes: object) -> dict[str, object]:
    """The presentation of an image-training option of the same meaning, with `changes` (e.g. the form group)."""
    opt = find_option(name, ModelConfig, TrainConfig)
    assert opt is not None, name
    spec = opt.spec
    keep: dict[str, object] = {"label": spec.label, "help": spec.help, "choices": spec.choices}
    keep.update(choice_labels=spec.choice_labels, valid=spec.valid, maximum=spec.maximum)
    return {**keep, **changes}


LAYERS = Bounds(1, 8)
WIDTH = Bounds(2, 1024)


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
        0.5, label="Adam beta1", help="Adam's first beta, both networks", group="optimiser", pair="betas", valid=BETA
    )
    beta2: float = option(
        0.999, label="Adam beta2", help="Adam's second beta, both networks", group="optimiser", pair="betas", valid=BETA
    )
    lr_half_life: int = option(
        0,
        label="LR half-life",
        help="G steps over which both learning rates halve, smoothly (0: constant); a falling rate lets G settle "
        "its points onto the modes once it has found them",
        group="optimiser",
        valid=Bounds(0, 100_000),
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
    # No batch normalisation here, so no lower limit of its own (image training's batch size has one).
    batch_size: int = option(256, **_same_as("batch_size", group="optimiser", valid=Bounds(1, 4096), maximum=None))
    g_layers: int = option(3, label="G layers", help="hidden layers in G", group="networks", valid=LAYERS)
    g_width: int = option(128, label="G width", help="units in each hidden layer of G", group="networks", valid=WIDTH)
    d_layers: int = option(3, label="D layers", help="hidden layers in D", group="networks", valid=LAYERS)
    d_width: int = option(128, label="D width", help="units in each hidden layer of D", group="networks", valid=WIDTH)
    latent_dim: int = option(
        2,
        label="Latent size",
        help="size of z; with 2 the manifold lines are the whole latent grid, above 2 a slice with the rest at 0",
        group="networks",
        valid=Bounds(1, 64),
    )
    seed: int = option(0, **_same_as("seed", group="data", valid=Bounds(0, 2**31 - 1), maximum=None))

    def __post_init__(self) -> None:
        for f in fields(self):
            if isinstance(f.default, float) and isinstance(getattr(self, f.name), int):
                object.__setattr__(self, f.name, float(getattr(self, f.name)))  # 1 from JSON is a float here
        check_declared_bounds(self)
        _check(self.dist in DISTRIBUTIONS, "dist", f"dist must be one of {', '.join(DISTRIBUTIONS)}, got {self.dist!r}")
        _check(self.loss in LOSSES, "loss", f"loss must be one of {', '.join(LOSSES)}, got {self.loss!r}")


def playground_options() -> tuple[Option, ...]:
    return options_of(PlaygroundConfig)
