"""Frozen, validated configs. Both are stored inside every checkpoint and ONNX file so a model can be rebuilt.

Each field is declared once, with `option()`: its default, its label, help and choices and the widget that edits
it. The CLI flags and the Train form are generated from these declarations (core/options.py).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from ganstudio.core.options import BUDGET, CONDITIONAL, DATASET, HIDDEN, Bounds, option, options_of
from ganstudio.errors import GanStudioError

ARCHS = ("mlp", "dcgan")
LOSSES = ("bce", "wgan-gp", "hinge")
AUGMENTS = ("none", "translate", "translate-cutout")
LR_DECAYS = ("none", "linear")
IMAGE_SIZES = (28, 32, 64)
DEVICES = ("auto", "cpu", "cuda", "mps")
BUDGET_FIELDS = ("epochs", "steps", "minutes")
MIN_BATCH = 2  # batch norm (in G, and in D without spectral norm) needs two images to take statistics over
MAX_SEED = 2**63 - 1  # torch.manual_seed's range for a non-negative seed
# The form's spin box holds a 32-bit int: every seed it offers is valid, the command line may go further.
_FORM_MAX_SEED = 2**31 - 1
MAX_CLASSES = 1000  # ImageNet's count; a label embedding this large is already bigger than the rest of a small G
WIDTHS = Bounds(4, 1024)
LEARNING_RATE = Bounds(0.0, 1.0, low_open=True)
BETA = Bounds(0.0, 1.0, high_open=True)
NOT_NEGATIVE = Bounds(0.0)


class ConfigError(GanStudioError, ValueError):
    """An impossible configuration; the message names the field and the allowed values, `field` names the field
    for programs (the form highlights its widget). "" when no single field is to blame."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


def _check(condition: bool, field: str, message: str) -> None:
    if not condition:
        raise ConfigError(message, field=field)


def check_declared_bounds(config: object) -> None:
    """Every field's declared `valid=` bounds, in declaration order; the __post_init__s check the rest."""
    for opt in options_of(type(config)):
        message = opt.bounds_error(getattr(config, opt.name))
        if message is not None:
            raise ConfigError(message, field=opt.name)


def budget_amount_error(name: str, amount: float) -> str | None:
    """Why a budget a person typed (--steps 0) cannot be used, or None. In a TrainConfig 0 means "no limit of this
    kind", but typed by hand it is almost always a mistake, so the front ends refuse it instead of guessing."""
    if not math.isfinite(amount) or amount <= 0:
        return f"{name} must be more than 0, got {amount:g}; leave it out for the default budget"
    if name == "steps" and amount != int(amount):
        return f"steps must be a whole number, got {amount:g}"
    return None


@dataclass(frozen=True)
class ModelConfig:
    # The default is the classic MLP GAN (G 256-512-1024, D 512-256) with hinge loss, spectral norm and Adam(0, 0.9):
    # on a CPU it reaches all ten digits several times sooner than DCGAN (benchmarks/recipe_quality.py; README
    # "Which recipe"). A third G layer halved FID at equal wall time versus 256-512 (benchmarks/results/tuning).
    arch: str = option(
        "mlp",
        label="Architecture",
        help="mlp: the classic fully connected GAN; dcgan: transposed-conv G, strided-conv D",
        choices=ARCHS,
        choice_labels=("MLP (fully connected)", "DCGAN (convolutional)"),
        group="basic",
        row=2,
    )
    latent_dim: int = option(64, label="Latent size", help="size of z", group="basic", row=4, valid=Bounds(1, 1024))
    image_size: int = option(
        28,
        label="Image size",
        help="square images, resized from the data",
        choices=IMAGE_SIZES,
        choice_labels=tuple(f"{s} x {s}" for s in IMAGE_SIZES),
        group="basic",
        row=1,
    )
    channels: int = option(
        1,
        label="Colour",
        help="1 (grayscale) or 3 (RGB); default: 1 for MNIST / Fashion-MNIST, 3 for folders",
        choices=(1, 3),
        choice_labels=("Grayscale", "RGB"),
        group="run",
        row=0,
    )
    num_classes: int = option(
        0,
        label="Class-conditional",
        help="class-conditional G and projection D: learn one generator per class label (needs labelled data)",
        widget=CONDITIONAL,
        flag="--conditional",
        group="basic",
        row=1,
    )
    class_names: tuple[str, ...] = option((), label="Class names", widget=HIDDEN, cli=False)  # from the data
    g_width: int = option(
        64,
        label="G width",
        help="dcgan: channels of G's last hidden layer; mlp: hidden widths are 4x, 8x (, 16x) this",
        group="networks",
        row=0,
        valid=WIDTHS,
    )
    d_width: int = option(
        64,
        label="D width",
        help="dcgan: channels of D's first conv; mlp: hidden widths are 8x and 4x this",
        group="networks",
        row=0,
        valid=WIDTHS,
    )
    spectral_norm: bool = option(
        True,
        label="Spectral normalisation in D",
        help="spectral normalisation on every discriminator layer (pairs well with hinge)",
        group="networks",
        row=2,
    )
    g_layers: int = option(
        3,
        label="G layers",
        help="MLP only: hidden layers in G, widths 4x, 8x, 16x the G width (3 = the classic 256-512-1024)",
        group="networks",
        row=1,
        valid=Bounds(1, 4),
        only_when=("arch", "mlp"),
    )

    def __post_init__(self) -> None:
        check_declared_bounds(self)
        _check(self.arch in ARCHS, "arch", f"arch must be one of {', '.join(ARCHS)}, got {self.arch!r}")
        _check(
            self.image_size in IMAGE_SIZES,
            "image_size",
            f"image_size must be one of {', '.join(map(str, IMAGE_SIZES))}, got {self.image_size}",
        )
        _check(self.channels in (1, 3), "channels", f"channels must be 1 or 3, got {self.channels}")
        _check(
            self.num_classes in (0, *range(2, MAX_CLASSES + 1)),
            "num_classes",
            f"num_classes must be 0 (unconditional) or 2..{MAX_CLASSES}, got {self.num_classes}",
        )
        _check(
            not self.num_classes or len(self.class_names) in (0, self.num_classes),
            "class_names",
            f"{len(self.class_names)} class names given for {self.num_classes} classes",
        )
        object.__setattr__(self, "class_names", tuple(str(c) for c in self.class_names))

    @property
    def conditional(self) -> bool:
        return self.num_classes > 0


_RESUME_HELP = " (when continuing a run: this much more, on top of what it has done)"


@dataclass(frozen=True)
class TrainConfig:
    dataset: str = option(
        "mnist",
        label="Dataset",
        help="mnist, fashion-mnist or a folder of images (subfolders = classes); "
        "MNIST and Fashion-MNIST are downloaded when missing",
        widget=DATASET,
        group="basic",
        row=0,
    )
    loss: str = option(
        "hinge",
        label="Objective",
        help="bce (non-saturating), wgan-gp or hinge",
        choices=LOSSES,
        choice_labels=("Non-saturating (BCE)", "WGAN-GP", "Hinge"),
        group="basic",
        row=3,
    )
    batch_size: int = option(
        128,
        label="Batch size",
        group="basic",
        row=4,
        valid=Bounds(MIN_BATCH, 4096, why=f"batch normalisation needs at least {MIN_BATCH} images"),
    )
    # G learns 1.5x faster than D: 6e-4 reached ten confident digits in 28-31 s instead of 34-37 s at 4e-4 (two
    # seeds); 8e-4 lost a digit within a minute (benchmarks/results/tuning).
    g_lr: float = option(
        6e-4, label="G learning rate", group="optimiser", cell=("G", "learning rate"), valid=LEARNING_RATE
    )
    d_lr: float = option(
        4e-4, label="D learning rate", group="optimiser", cell=("D", "learning rate"), valid=LEARNING_RATE
    )
    # beta1 = 0 and beta2 = 0.9: the SNGAN / BigGAN setting for hinge + spectral norm
    g_beta1: float = option(0.0, label="G beta1", group="optimiser", cell=("G", "beta1"), pair="g_betas", valid=BETA)
    g_beta2: float = option(0.9, label="G beta2", group="optimiser", cell=("G", "beta2"), pair="g_betas", valid=BETA)
    d_beta1: float = option(0.0, label="D beta1", group="optimiser", cell=("D", "beta1"), pair="d_betas", valid=BETA)
    d_beta2: float = option(0.9, label="D beta2", group="optimiser", cell=("D", "beta2"), pair="d_betas", valid=BETA)
    d_steps: int = option(
        1, label="D steps per G step", help="D updates per G update", group="optimiser", row=0, valid=Bounds(1, 20)
    )
    gp_weight: float = option(
        10.0,
        label="Gradient penalty",
        help="WGAN-GP penalty weight (wgan-gp only)",
        group="optimiser",
        row=1,
        valid=NOT_NEGATIVE,
        only_when=("loss", "wgan-gp"),
    )
    label_smoothing: float = option(
        0.0,
        label="Label smoothing",
        help="one-sided label smoothing (bce only): D's target for real images is 1 minus this, e.g. 0.1 "
        "(Salimans et al. 2016); it keeps D from growing over-confident",
        group="optimiser",
        row=1,
        valid=Bounds(0.0, 0.5, high_open=True),
        only_when=("loss", "bce"),
    )
    augment: str = option(
        "none",
        label="D augmentation",
        help="differentiable augmentation of D's inputs, real and fake alike (DiffAugment): random shifts (and "
        "cutout); meant for folders of a few hundred images, on MNIST it slowed training down, so it is off",
        choices=AUGMENTS,
        choice_labels=("none", "translate", "translate + cutout"),
        group="networks",
        row=1,
    )
    # EMA of G's weights used for sampling and export; 0 disables it. Warmed up as min(decay, (1+step)/(4+step))
    # (networks.update_ema), so until step 30k it averages the run so far, centred at 3/4 of it (0.9999 with a
    # shorter warm-up gave FID 1.17 vs 1.31 for 0.999 at 20k steps).
    ema_decay: float = option(
        0.9999,
        label="EMA decay",
        help="EMA decay of G's weights, used for samples and export with batch-norm statistics re-estimated for "
        "it (0: off)",
        flag="--ema",
        group="optimiser",
        row=2,
        valid=BETA,
    )
    lr_decay: str = option(
        "none",
        label="Learning rate schedule",
        help="linear: both learning rates fall to 0 over the budget, as in SNGAN (needs a budget)",
        choices=LR_DECAYS,
        choice_labels=("constant", "linear to 0"),
        group="optimiser",
        row=3,
    )
    epochs: float = option(
        0.0,
        label="Budget",
        help="stop after this many passes over the data (0 = no limit)" + _RESUME_HELP,
        widget=BUDGET,
        group="basic",
        row=5,
        valid=NOT_NEGATIVE,
        resumable=True,
    )
    steps: int = option(
        0,
        label="Budget",
        help="stop after this many generator steps (0 = no limit)" + _RESUME_HELP,
        widget=BUDGET,
        group="basic",
        row=5,
        valid=NOT_NEGATIVE,
        resumable=True,
    )
    minutes: float = option(
        0.0,
        label="Budget",
        help="stop after this much training time (0 = no limit)" + _RESUME_HELP,
        widget=BUDGET,
        group="basic",
        row=5,
        valid=NOT_NEGATIVE,
        resumable=True,
    )
    seed: int = option(
        0, label="Seed", group="run", row=0, valid=Bounds(0, MAX_SEED), maximum=_FORM_MAX_SEED, resumable=True
    )
    sample_every: int = option(
        1000,
        label="Save samples every",
        help="generator steps between saved sample grids",
        suffix="steps",
        group="run",
        row=2,
        valid=Bounds(1),
        resumable=True,
    )
    checkpoint_every: int = option(
        5000,
        label="Checkpoint every",
        help="generator steps between checkpoints",
        suffix="steps",
        group="run",
        row=3,
        valid=Bounds(1),
        resumable=True,
    )
    device: str = option(
        "auto",
        label="Device",
        help="auto picks CUDA, then Apple MPS, then CPU",
        choices=DEVICES,
        group="run",
        row=1,
        resumable=True,
    )
    threads: int = option(
        0,
        label="CPU threads",
        help="torch threads for training on the CPU; 0 = auto: all cores but one in the app (so the window stays "
        "responsive), torch's default on the command line",
        special="auto",
        valid=Bounds(0, 256),
        group="run",
        row=1,
        resumable=True,
    )
    mixed_precision: bool = option(
        False,
        label="Mixed precision (bf16)",
        help="bf16 autocast on a CUDA GPU that supports it: faster, with bf16's coarser rounding in the networks' "
        "layers (no effect on a CPU)",
        group="run",
        row=4,
        resumable=True,
    )
    compile_networks: bool = option(
        False,
        label="Compile the networks",
        help="torch.compile G and D: a slow first step, then faster ones on a GPU; if compiling fails, training "
        "goes on without it",
        flag="--compile",
        group="run",
        row=4,
        resumable=True,
    )

    def __post_init__(self) -> None:
        for name in _FLOAT_FIELDS:  # 0 from a CLI or JSON is an int; optimizers insist on floats
            value = getattr(self, name)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                object.__setattr__(self, name, float(value))
        check_declared_bounds(self)
        _check(bool(self.dataset), "dataset", "dataset must name mnist, fashion-mnist or a folder")
        _check(self.loss in LOSSES, "loss", f"loss must be one of {', '.join(LOSSES)}, got {self.loss!r}")
        _check(
            self.augment in AUGMENTS,
            "augment",
            f"augment must be one of {', '.join(AUGMENTS)}, got {self.augment!r}",
        )
        _check(
            self.lr_decay in LR_DECAYS,
            "lr_decay",
            f"lr_decay must be one of {', '.join(LR_DECAYS)}, got {self.lr_decay!r}",
        )
        _check(
            self.lr_decay == "none" or self.has_budget,
            "lr_decay",
            "lr_decay 'linear' needs a budget (steps, epochs or minutes) to decay over",
        )
        _check(self.device in DEVICES, "device", f"device must be one of {', '.join(DEVICES)}, got {self.device!r}")

    @property
    def has_budget(self) -> bool:
        return bool(self.epochs or self.steps or self.minutes)


_FLOAT_FIELDS = tuple(f.name for f in fields(TrainConfig) if isinstance(f.default, float))


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
