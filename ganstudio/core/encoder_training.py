"""Train a latent encoder for one frozen generator (torch).

Each step mixes two kinds of images:
* generated: z ~ N(0, I) (and a random class), x = G(z). E regresses z (the latent loss) and G(E(x)) must redraw x
  (the pixel loss, back-propagated through the frozen G into E), plus cross-entropy on the class;
* real: images of the generator's own training set, where z is unknown: only the pixel loss G(E(x)) ~ x (and the
  true class), so E also learns to place digits G can only approximate, which is what users draw.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ganstudio.core.encoder import EncoderConfig, LatentEncoder


@dataclass(frozen=True)
class EncoderTrainConfig:
    steps: int = 3000
    batch_size: int = 64  # generated images per step; as many real ones when real_fraction is 0.5
    lr: float = 1e-3
    real_fraction: float = 0.5  # share of each batch taken from the generator's training images
    latent_weight: float = 1.0
    pixel_weight: float = 4.0  # pixel MSE is ~10x smaller than latent MSE at the start; this balances them
    class_weight: float = 0.5
    prior_weight: float = 0.01  # keeps real digits' z near the N(0, I) shell the generator was trained on
    seed: int = 0
    threads: int = 2


@dataclass(frozen=True)
class EncoderStep:
    step: int
    latent_loss: float
    pixel_loss: float
    seconds: float


def _render(generator: nn.Module, z: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
    images = generator(z) if labels is None else generator(z, labels)
    return (images + 1.0) * 0.5  # tanh -> [0, 1], as the ONNX contract


def train_encoder(
    generator: nn.Module,
    enc_cfg: EncoderConfig,
    cfg: EncoderTrainConfig,
    real_images: np.ndarray | None = None,  # (M, C, H, W) uint8 or float in [0, 1]
    real_labels: np.ndarray | None = None,  # (M,) int, needed when the generator is conditional
    progress: Callable[[EncoderStep], None] | None = None,
    cancel: Callable[[], bool] | None = None,
    every: int = 100,
) -> LatentEncoder:
    """Train E for `generator` (kept frozen, eval mode) and return it in eval mode."""
    if enc_cfg.num_classes and real_images is not None and real_labels is None:
        raise ValueError("a conditional generator's real images need their labels")
    torch.set_num_threads(max(1, cfg.threads))
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    generator = generator.eval()
    for p in generator.parameters():
        p.requires_grad_(False)
    encoder = LatentEncoder(enc_cfg).train()
    optimizer = torch.optim.Adam(encoder.parameters(), lr=cfg.lr, betas=(0.5, 0.999))
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, cfg.steps)
    conditional = enc_cfg.num_classes > 0
    real = None if real_images is None or cfg.real_fraction <= 0 else _as_unit(real_images)
    n_real = 0 if real is None else max(1, round(cfg.batch_size * cfg.real_fraction / (1 - cfg.real_fraction)))
    started = time.monotonic()
    for step in range(1, cfg.steps + 1):
        z = torch.randn(cfg.batch_size, enc_cfg.z_size)
        labels = torch.randint(0, enc_cfg.num_classes, (cfg.batch_size,)) if conditional else None
        with torch.no_grad():
            fake = _render(generator, z, labels)  # (B, C, H, W)
        z_hat, logits = encoder(fake)
        latent_loss = F.mse_loss(z_hat, z)
        pixel_loss = F.mse_loss(_render(generator, z_hat, labels), fake)
        loss = cfg.latent_weight * latent_loss + cfg.pixel_weight * pixel_loss
        if logits is not None and labels is not None:
            loss = loss + cfg.class_weight * F.cross_entropy(logits, labels)
        if real is not None:
            idx = rng.integers(0, len(real), n_real)
            x_real = real[idx]
            y_real = None
            if conditional and real_labels is not None:
                y_real = torch.from_numpy(real_labels[idx].astype(np.int64))
            z_real, logits_real = encoder(x_real)
            real_pixel = F.mse_loss(_render(generator, z_real, y_real), x_real)
            loss = loss + cfg.pixel_weight * real_pixel + cfg.prior_weight * z_real.pow(2).mean()
            if logits_real is not None and y_real is not None:
                loss = loss + cfg.class_weight * F.cross_entropy(logits_real, y_real)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
        if progress is not None and (step % every == 0 or step == cfg.steps):
            progress(EncoderStep(step, latent_loss.item(), pixel_loss.item(), time.monotonic() - started))
        if cancel is not None and cancel():
            break
    return encoder.eval()


def _as_unit(images: np.ndarray) -> torch.Tensor:
    arr = np.asarray(images)
    scale = 255.0 if arr.dtype == np.uint8 else 1.0
    return torch.from_numpy(arr.astype(np.float32) / scale)
