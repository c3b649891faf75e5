"""Generator and discriminator networks: the classic MLP GAN and DCGAN, optionally class-conditional.

Generators output tanh values in [-1, 1] with shape (B, C, H, W). Discriminators output raw scores (B,).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch
from torch import nn

from ganstudio.core.config import ModelConfig


def _maybe_sn(layer: nn.Module, use: bool) -> nn.Module:
    return nn.utils.parametrizations.spectral_norm(layer) if use else layer


def _dcgan_plan(image_size: int) -> tuple[int, int]:
    """(base resolution, number of 2x upsamplings) so that base * 2**n == image_size."""
    base = 7 if image_size == 28 else 4
    return base, round(math.log2(image_size // base))


class LabelInput(nn.Module):
    """Concatenates a learned label embedding to z so G can be asked for a class."""

    def __init__(self, num_classes: int, dim: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(num_classes, dim)

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return torch.cat([z, self.embed(labels)], dim=1)  # (B, latent + dim)


class MLPGenerator(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        in_dim = cfg.latent_dim
        self.label_input = LabelInput(cfg.num_classes, cfg.latent_dim) if cfg.conditional else None
        if self.label_input is not None:
            in_dim += cfg.latent_dim
        out_dim = cfg.channels * cfg.image_size * cfg.image_size
        layers: list[nn.Module] = []
        width = in_dim
        for i in range(cfg.g_layers):  # 256, 512(, 1024) at the default width, as in the Keras example
            hidden = 4 * cfg.g_width * 2**i
            layers += [nn.Linear(width, hidden), nn.BatchNorm1d(hidden), nn.LeakyReLU(0.2)]
            width = hidden
        layers += [nn.Linear(width, out_dim), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        x = self.label_input(z, labels) if self.label_input is not None else z
        c, s = self.cfg.channels, self.cfg.image_size
        return self.net(x).view(-1, c, s, s)  # (B, C, H, W)


class DCGANGenerator(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.base, n_up = _dcgan_plan(cfg.image_size)
        self.base_channels = cfg.g_width * 2 ** (n_up - 1)
        in_dim = cfg.latent_dim
        self.label_input = LabelInput(cfg.num_classes, cfg.latent_dim) if cfg.conditional else None
        if self.label_input is not None:
            in_dim += cfg.latent_dim
        self.project = nn.Sequential(
            nn.Linear(in_dim, self.base_channels * self.base * self.base, bias=False),
            nn.BatchNorm1d(self.base_channels * self.base * self.base),
            nn.ReLU(),
        )
        layers: list[nn.Module] = []
        ch = self.base_channels
        for i in range(n_up):
            last = i == n_up - 1
            out = cfg.channels if last else ch // 2
            layers.append(nn.ConvTranspose2d(ch, out, 4, stride=2, padding=1, bias=last))
            layers += [nn.Tanh()] if last else [nn.BatchNorm2d(out), nn.ReLU()]
            ch = out
        self.upsample = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        x = self.label_input(z, labels) if self.label_input is not None else z
        x = self.project(x).view(-1, self.base_channels, self.base, self.base)  # (B, C0, base, base)
        return self.upsample(x)  # (B, C, H, W)


class ProjectionHead(nn.Module):
    """Score = w.h (+ embed(y).h when conditional): the projection discriminator of Miyato & Koyama 2018."""

    def __init__(self, features: int, num_classes: int, sn: bool) -> None:
        super().__init__()
        self.linear = _maybe_sn(nn.Linear(features, 1), sn)
        self.embed = _maybe_sn(nn.Embedding(num_classes, features), sn) if num_classes else None

    def forward(self, h: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        score = self.linear(h).squeeze(1)  # (B,)
        if self.embed is not None:
            score = score + (self.embed(labels) * h).sum(dim=1)
        return score


class MLPDiscriminator(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        sn = cfg.spectral_norm
        in_dim = cfg.channels * cfg.image_size * cfg.image_size
        h1, h2 = 8 * cfg.d_width, 4 * cfg.d_width  # 512, 256 at the default width
        self.features = nn.Sequential(
            nn.Flatten(),
            _maybe_sn(nn.Linear(in_dim, h1), sn),
            nn.LeakyReLU(0.2),
            _maybe_sn(nn.Linear(h1, h2), sn),
            nn.LeakyReLU(0.2),
        )
        self.head = ProjectionHead(h2, cfg.num_classes, sn)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.head(self.features(x), labels)


class DCGANDiscriminator(nn.Module):
    """Strided convs without batch norm, so the same network is valid for WGAN-GP's per-sample penalty."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        sn = cfg.spectral_norm
        base, n_down = _dcgan_plan(cfg.image_size)
        layers: list[nn.Module] = []
        ch_in, ch = cfg.channels, cfg.d_width
        for _ in range(n_down):
            layers += [_maybe_sn(nn.Conv2d(ch_in, ch, 4, stride=2, padding=1), sn), nn.LeakyReLU(0.2)]
            ch_in, ch = ch, ch * 2
        layers.append(nn.Flatten())
        self.features = nn.Sequential(*layers)
        self.head = ProjectionHead(ch_in * base * base, cfg.num_classes, sn)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.head(self.features(x), labels)  # (B,)


def build_generator(cfg: ModelConfig) -> nn.Module:
    return MLPGenerator(cfg) if cfg.arch == "mlp" else DCGANGenerator(cfg)


def build_discriminator(cfg: ModelConfig) -> nn.Module:
    return MLPDiscriminator(cfg) if cfg.arch == "mlp" else DCGANDiscriminator(cfg)


def init_weights(module: nn.Module) -> None:
    """DCGAN's N(0, 0.02) init for conv and linear layers; BN scale around 1."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            # Under spectral norm, `weight` is computed from the parametrization's `original`: initialise that.
            parametrizations = getattr(m, "parametrizations", None)
            target = m.weight
            if parametrizations is not None and hasattr(parametrizations, "weight"):
                target = parametrizations.weight.original
            nn.init.normal_(target, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


EMA_WARMUP = 4


@torch.no_grad()
def update_ema(ema: nn.Module, source: nn.Module, decay: float, step: int) -> None:
    """One EMA step of `source`'s weights into `ema` (buffers copied), at generator step `step` (0-based).

    Warm-up: the decay is capped at (1 + step) / (EMA_WARMUP + step). Every past step then weighs about in
    proportion to step ** (EMA_WARMUP - 2), so the average is centred at (EMA_WARMUP - 1) / EMA_WARMUP (3/4)
    of the steps so far and the first previews are not an average of random weights; `decay` takes over once it
    is the smaller (step 30,000 for 0.9999). Why 4: docs/decisions/ema-decay-and-warmup.md.
    """
    effective = min(decay, (1 + step) / (EMA_WARMUP + step))
    torch._foreach_lerp_(list(ema.parameters()), list(source.parameters()), 1.0 - effective)
    for ema_buffer, buffer in zip(ema.buffers(), source.buffers(), strict=True):
        ema_buffer.copy_(buffer)


@torch.no_grad()
def recalibrate_batch_norm(generator: nn.Module, inputs: Iterable[tuple[torch.Tensor, torch.Tensor | None]]) -> int:
    """Re-estimate every batch-norm layer's running statistics as the exact average over `inputs` (z, labels).

    Returns the number of samples seen; a generator without batch norm is left untouched. Leaves it in eval mode.
    """
    norms = [m for m in generator.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not norms:
        return 0
    momenta = [m.momentum for m in norms]
    for norm in norms:
        norm.reset_running_stats()
        norm.momentum = None  # None = cumulative average over all batches, not an exponential one
    generator.train()
    seen = 0
    try:
        for z, labels in inputs:
            generator(z, labels)
            seen += z.size(0)
    finally:
        for norm, momentum in zip(norms, momenta, strict=True):
            norm.momentum = momentum
        generator.eval()
    return seen


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
