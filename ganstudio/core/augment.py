"""Differentiable augmentation of the discriminator's inputs (DiffAugment, Zhao et al. 2020).

The same kind of random transform is applied to real and generated images, in D's update and in G's, so D
cannot memorise a small training set pixel for pixel while G still learns the un-augmented distribution.
Images are in [-1, 1]; uncovered pixels take the background value -1.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

BACKGROUND = -1.0


def diff_augment(images: torch.Tensor, policy: str) -> torch.Tensor:
    """images (B, C, H, W) -> same shape; gradients flow through to the generator."""
    if policy == "none":
        return images
    if policy in ("translate", "translate-cutout"):
        images = random_translate(images)
    if policy == "translate-cutout":
        images = random_cutout(images)
    return images


def random_translate(images: torch.Tensor, ratio: float = 0.125) -> torch.Tensor:
    """Shift each image by up to ratio * size pixels in x and y (4 px at 28x28)."""
    b, c, h, w = images.shape
    pad_h, pad_w = int(h * ratio + 0.5), int(w * ratio + 0.5)
    padded = F.pad(images, (pad_w, pad_w, pad_h, pad_h), value=BACKGROUND)  # (B, C, H + 2p, W + 2p)
    dy = torch.randint(0, 2 * pad_h + 1, (b, 1, 1), device=images.device)
    dx = torch.randint(0, 2 * pad_w + 1, (b, 1, 1), device=images.device)
    rows = (torch.arange(h, device=images.device).view(1, h, 1) + dy).expand(b, h, w)
    cols = (torch.arange(w, device=images.device).view(1, 1, w) + dx).expand(b, h, w)
    flat_index = (rows * padded.size(3) + cols).view(b, 1, h * w).expand(b, c, h * w)
    return padded.flatten(2).gather(2, flat_index).view(b, c, h, w)


def random_cutout(images: torch.Tensor, ratio: float = 0.25) -> torch.Tensor:
    """Blank one random square of ratio * size per image (7 px at 28x28)."""
    b, _, h, w = images.shape
    size_h, size_w = int(h * ratio + 0.5), int(w * ratio + 0.5)
    top = torch.randint(0, h - size_h + 1, (b, 1, 1), device=images.device)
    left = torch.randint(0, w - size_w + 1, (b, 1, 1), device=images.device)
    rows = torch.arange(h, device=images.device).view(1, h, 1)
    cols = torch.arange(w, device=images.device).view(1, 1, w)
    hole = (rows >= top) & (rows < top + size_h) & (cols >= left) & (cols < left + size_w)  # (B, H, W)
    return torch.where(hole.unsqueeze(1), torch.full_like(images, BACKGROUND), images)
