"""The Playground's two tiny MLPs. G maps z (B, latent) to points (B, 2), D maps points (B, 2) to raw scores (B,)."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import torch
from torch import nn

from ganstudio.core.playground.config import PlaygroundConfig


def _mlp(widths: list[int], activation: Callable[[], nn.Module], spectral_norm: bool) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(itertools.pairwise(widths)):
        linear: nn.Module = nn.Linear(n_in, n_out)
        if spectral_norm:
            linear = nn.utils.parametrizations.spectral_norm(linear)
        layers.append(linear)
        if i < len(widths) - 2:
            layers.append(activation())
    return nn.Sequential(*layers)


class PointGenerator(nn.Module):
    """ReLU MLP with a linear output: the plane has no natural range to squash into."""

    def __init__(self, cfg: PlaygroundConfig) -> None:
        super().__init__()
        self.net = _mlp([cfg.latent_dim, *[cfg.g_width] * cfg.g_layers, 2], nn.ReLU, spectral_norm=False)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)  # (B, 2)


class PointDiscriminator(nn.Module):
    """LeakyReLU MLP (no dead regions in its heatmap); spectral norm on every layer when asked."""

    def __init__(self, cfg: PlaygroundConfig) -> None:
        super().__init__()
        self.net = _mlp([2, *[cfg.d_width] * cfg.d_layers, 1], lambda: nn.LeakyReLU(0.2), cfg.spectral_norm)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """`labels` is unused: the signature the core's gradient penalty calls critics with."""
        return self.net(x).squeeze(1)  # (B,)
