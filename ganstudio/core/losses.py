"""GAN objectives. Each takes raw discriminator scores (B,) and returns a scalar loss."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def discriminator_loss(
    kind: str, real_scores: torch.Tensor, fake_scores: torch.Tensor, label_smoothing: float = 0.0
) -> torch.Tensor:
    if kind == "bce":  # -t log D(x) - (1-t) log(1 - D(x)) - log(1 - D(G(z))), t = 1 - smoothing, via softplus
        real_term = (1.0 - label_smoothing) * F.softplus(-real_scores) + label_smoothing * F.softplus(real_scores)
        return real_term.mean() + F.softplus(fake_scores).mean()
    if kind == "hinge":
        return F.relu(1.0 - real_scores).mean() + F.relu(1.0 + fake_scores).mean()
    if kind == "wgan-gp":  # the critic's Wasserstein estimate; the penalty is added by the caller
        return fake_scores.mean() - real_scores.mean()
    raise ValueError(f"unknown loss {kind!r}")


def generator_loss(kind: str, fake_scores: torch.Tensor) -> torch.Tensor:
    if kind == "bce":  # non-saturating: maximise log D(G(z)) rather than minimise log(1 - D(G(z)))
        return F.softplus(-fake_scores).mean()
    if kind in ("hinge", "wgan-gp"):
        return -fake_scores.mean()
    raise ValueError(f"unknown loss {kind!r}")


def gradient_penalty(
    critic: nn.Module, real: torch.Tensor, fake: torch.Tensor, labels: torch.Tensor | None
) -> torch.Tensor:
    """WGAN-GP (Gulrajani et al. 2017): (||grad D(x_hat)|| - 1)^2 on random points between real and fake.
    Any sample shape: images (B, C, H, W) or the Playground's points (B, 2)."""
    alpha = torch.rand(real.size(0), *([1] * (real.dim() - 1)), device=real.device)
    mixed = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    scores = critic(mixed, labels)
    (grad,) = torch.autograd.grad(scores.sum(), mixed, create_graph=True)
    return ((grad.flatten(1).norm(2, dim=1) - 1.0) ** 2).mean()


def real_probability(kind: str, scores: torch.Tensor) -> torch.Tensor:
    """The number shown as D(x) / D(G(z)): a probability for BCE, the mean raw score for hinge and WGAN. A 0-d
    tensor on the scores' device, so the caller decides when to wait for it."""
    if kind == "bce":
        return torch.sigmoid(scores).mean()
    return scores.mean()
