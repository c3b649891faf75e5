"""Straight PyTorch ports of the two recipes a user would otherwise copy, as peers for the benchmarks.

- Keras MNIST GAN (eriklindernoren/Keras-GAN gan.py): G 256-512-1024 with BatchNorm(momentum=0.8) and
  LeakyReLU(0.2), D 512-256 with LeakyReLU(0.2), BCE, Adam(3e-4, beta1=0.5), batch 32.
- TensorFlow DCGAN tutorial (tensorflow.org/tutorials/generative/dcgan): G dense 7x7x256 -> transposed convs
  128 (5x5, stride 1) / 64 (5x5, stride 2) / 1 (5x5, stride 2, tanh), BN + LeakyReLU; D conv 64 / 128 (5x5,
  stride 2) + LeakyReLU + Dropout(0.3), dense 1; BCE from logits; Adam(1e-4) for both; batch 256.

Each port is written the way its original is, not tuned: only the framework changes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


class KerasMLPGenerator(nn.Module):
    def __init__(self, latent_dim: int = 100) -> None:
        super().__init__()
        # Keras BatchNormalization(momentum=0.8) keeps 80% of the old running stats: torch momentum 0.2.
        self.net = nn.Sequential(
            nn.Linear(latent_dim, 256),
            nn.LeakyReLU(0.2),
            nn.BatchNorm1d(256, momentum=0.2),
            nn.Linear(256, 512),
            nn.LeakyReLU(0.2),
            nn.BatchNorm1d(512, momentum=0.2),
            nn.Linear(512, 1024),
            nn.LeakyReLU(0.2),
            nn.BatchNorm1d(1024, momentum=0.2),
            nn.Linear(1024, 784),
            nn.Tanh(),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z).view(-1, 1, 28, 28)


class KerasMLPDiscriminator(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Flatten(),
            nn.Linear(784, 512),
            nn.LeakyReLU(0.2),
            nn.Linear(512, 256),
            nn.LeakyReLU(0.2),
            nn.Linear(256, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(1)  # logits; the sigmoid lives in the BCE


class TFDCGANGenerator(nn.Module):
    def __init__(self, latent_dim: int = 100) -> None:
        super().__init__()
        self.dense = nn.Sequential(
            nn.Linear(latent_dim, 7 * 7 * 256, bias=False), nn.BatchNorm1d(7 * 7 * 256), nn.LeakyReLU(0.3)
        )
        self.convs = nn.Sequential(
            nn.ConvTranspose2d(256, 128, 5, stride=1, padding=2, bias=False),
            nn.BatchNorm2d(128),
            nn.LeakyReLU(0.3),
            nn.ConvTranspose2d(128, 64, 5, stride=2, padding=2, output_padding=1, bias=False),
            nn.BatchNorm2d(64),
            nn.LeakyReLU(0.3),
            nn.ConvTranspose2d(64, 1, 5, stride=2, padding=2, output_padding=1, bias=False),
            nn.Tanh(),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.convs(self.dense(z).view(-1, 256, 7, 7))


class TFDCGANDiscriminator(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, 64, 5, stride=2, padding=2),
            nn.LeakyReLU(0.3),
            nn.Dropout(0.3),
            nn.Conv2d(64, 128, 5, stride=2, padding=2),
            nn.LeakyReLU(0.3),
            nn.Dropout(0.3),
            nn.Flatten(),
            nn.Linear(128 * 7 * 7, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(1)


@dataclass(frozen=True)
class PortRecipe:
    name: str
    batch_size: int
    lr: float
    betas: tuple[float, float]
    latent_dim: int = 100


KERAS_MLP = PortRecipe("keras-mlp-gan", 32, 3e-4, (0.5, 0.999))
TF_DCGAN = PortRecipe("tf-dcgan-tutorial", 256, 1e-4, (0.9, 0.999))


class PortTrainer:
    """The plain alternating BCE loop of the originals: D on real and fake, then one G step."""

    def __init__(self, recipe: PortRecipe, images: np.ndarray, seed: int = 0) -> None:
        torch.manual_seed(seed)
        self.recipe = recipe
        if recipe is KERAS_MLP:
            self.generator, self.discriminator = KerasMLPGenerator(recipe.latent_dim), KerasMLPDiscriminator()
        else:
            self.generator, self.discriminator = TFDCGANGenerator(recipe.latent_dim), TFDCGANDiscriminator()
        self.opt_g = torch.optim.Adam(self.generator.parameters(), lr=recipe.lr, betas=recipe.betas)
        self.opt_d = torch.optim.Adam(self.discriminator.parameters(), lr=recipe.lr, betas=recipe.betas)
        self.data = torch.from_numpy(images)  # (N, 1, 28, 28) uint8
        self.rng = torch.Generator().manual_seed(seed + 1)
        self.step = 0

    def train_step(self) -> None:
        n = self.recipe.batch_size
        idx = torch.randint(len(self.data), (n,), generator=self.rng)
        real = self.data[idx].float() / 127.5 - 1.0
        z = torch.randn(n, self.recipe.latent_dim)
        fake = self.generator(z)
        if self.recipe is KERAS_MLP:
            # Keras-GAN calls train_on_batch twice: one Adam step on the real batch, one on the fake batch.
            for batch, target in ((real, 1.0), (fake.detach(), 0.0)):
                logits = self.discriminator(batch)
                loss = F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, target))
                self.opt_d.zero_grad(set_to_none=True)
                loss.backward()
                self.opt_d.step()
        else:
            real_logits, fake_logits = self.discriminator(real), self.discriminator(fake.detach())
            d_loss = F.binary_cross_entropy_with_logits(
                real_logits, torch.ones_like(real_logits)
            ) + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
            self.opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            self.opt_d.step()
        g_logits = self.discriminator(fake)
        g_loss = F.binary_cross_entropy_with_logits(g_logits, torch.ones_like(g_logits))
        self.opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        self.opt_g.step()
        self.step += 1

    @torch.no_grad()
    def sample(self, n: int, seed: int = 0) -> np.ndarray:
        """(n, 1, 28, 28) float32 in [0, 1]; G in eval mode as the originals' predict() calls do."""
        self.generator.eval()
        z = torch.randn(n, self.recipe.latent_dim, generator=torch.Generator().manual_seed(seed))
        images = self.generator(z)
        self.generator.train()
        return ((images.numpy() + 1.0) / 2.0).clip(0.0, 1.0)
