"""The layer widths a model's width options give, for the Train form's tooltips ("MLP: 256-512-1024").

Torch-free on purpose: the form must not import torch. The rules mirror core/networks.py (a test builds the
networks and compares), so the tooltip names the widths the user will really train.
"""

from __future__ import annotations

import math

from ganstudio.core.config import ModelConfig


def _dcgan_upsamplings(image_size: int) -> int:
    """2x steps from the base resolution (7 for 28 px, else 4) up to the image size."""
    base = 7 if image_size == 28 else 4
    return round(math.log2(image_size // base))


def generator_widths(cfg: ModelConfig) -> tuple[int, ...]:
    """G's hidden widths, input side first: MLP units per layer, or DCGAN channels per resolution."""
    if cfg.arch == "mlp":
        return tuple(4 * cfg.g_width * 2**i for i in range(cfg.g_layers))
    n_up = _dcgan_upsamplings(cfg.image_size)
    return tuple(cfg.g_width * 2 ** (n_up - 1 - i) for i in range(n_up))


def discriminator_widths(cfg: ModelConfig) -> tuple[int, ...]:
    """D's hidden widths, input side first."""
    if cfg.arch == "mlp":
        return (8 * cfg.d_width, 4 * cfg.d_width)
    return tuple(cfg.d_width * 2**i for i in range(_dcgan_upsamplings(cfg.image_size)))


def widths_text(cfg: ModelConfig, widths: tuple[int, ...]) -> str:
    """ "MLP: 256-512-1024" or "DCGAN: 128-64 channels"."""
    joined = "-".join(str(w) for w in widths)
    return f"MLP: {joined} units" if cfg.arch == "mlp" else f"{cfg.arch.upper()}: {joined} channels"


def width_hints(cfg: ModelConfig) -> dict[str, str]:
    """One line per width option saying the widths the current values give."""
    return {
        "g_width": f"Now {widths_text(cfg, generator_widths(cfg))} in G",
        "d_width": f"Now {widths_text(cfg, discriminator_widths(cfg))} in D",
    }
