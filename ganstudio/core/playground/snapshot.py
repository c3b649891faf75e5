"""What the Playground view draws, computed from a copy of the two networks' weights: D's surface over the plane,
generated points, G's gradient arrows and the image of a latent grid under G. Also the evaluation samples and
their coverage.

It works on copies so the app can draw on another thread than the one training: the trainer hands over `Weights`
(plain numpy arrays, cheap to copy) and a `SnapshotMaker` there rebuilds the networks and reads them. The fixed
latents of the displayed and evaluated points come from the config's seed, so every maker of one config shows and
measures the same points, and the trainer's own maker gives the CLI's numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from ganstudio.core.losses import generator_loss
from ganstudio.core.playground.config import PlaygroundConfig
from ganstudio.core.playground.coverage import EVAL_SAMPLES, Coverage, CoverageMeter
from ganstudio.core.playground.distributions import VIEW_HALF_WIDTH, Distribution
from ganstudio.core.playground.nets import PointDiscriminator, PointGenerator

HEATMAP_SIZE = 64  # D is evaluated on this many x this many points over the view box
SHOWN_POINTS = 512  # real and generated points drawn (fixed latents, so each dot moves smoothly)
ARROW_POINTS = 128  # of the generated points, those that carry a gradient arrow
ARROW_LENGTH = 0.35  # the longest arrow, in plane units (arrows show direction and relative size)
MANIFOLD_LINES = 9  # latent grid lines in each direction
MANIFOLD_POINTS = 48  # points per line
LATENT_EXTENT = 2.5  # the latent grid spans +-2.5 std of z ~ N(0, I)
_DISPLAY_SEED = 7919  # offsets of the display and evaluation generators from the training seed
_EVAL_SEED = 104729


@dataclass(frozen=True)
class Weights:
    """A copy of both networks at one moment, and where training stood."""

    g_steps: int
    d_updates: int
    last_moved: str  # "D", "G" or "" (none yet)
    generator: dict[str, np.ndarray] = field(repr=False)
    discriminator: dict[str, np.ndarray] = field(repr=False)


@dataclass(frozen=True)
class Snapshot:
    """Everything the view draws, as numpy arrays (safe to send across threads)."""

    g_steps: int
    d_updates: int
    last_moved: str
    real: np.ndarray = field(repr=False)  # (SHOWN_POINTS, 2) float32
    fake: np.ndarray = field(repr=False)  # (SHOWN_POINTS, 2) float32
    heatmap: np.ndarray = field(repr=False)  # (HEATMAP_SIZE, HEATMAP_SIZE) float32, row = y (bottom first), col = x
    heat_is_probability: bool  # BCE: sigmoid(D) in [0, 1]; hinge / WGAN: raw scores
    arrows: np.ndarray = field(repr=False)  # (2 * ARROW_POINTS, 2) float32: start, end, start, end, ...
    gradient_norm: float  # mean |d loss_G / d x| over the arrow points (tiny = vanishing gradients)
    manifold: np.ndarray = field(repr=False)  # (lines, MANIFOLD_POINTS, 2) float32: the latent grid under G


def state_of(module: torch.nn.Module) -> dict[str, np.ndarray]:
    return {k: v.detach().numpy().copy() for k, v in module.state_dict().items()}


def view_grid(size: int = HEATMAP_SIZE) -> np.ndarray:
    """Pixel centres of the heatmap over the view box, (size * size, 2), row-major with y increasing by row."""
    ticks = (np.arange(size) + 0.5) / size * 2 * VIEW_HALF_WIDTH - VIEW_HALF_WIDTH
    xx, yy = np.meshgrid(ticks, ticks)
    return np.stack([xx.ravel(), yy.ravel()], axis=1).astype(np.float32)


def latent_grid(latent_dim: int) -> np.ndarray:
    """Lines of a grid in the first two latent dimensions (the others 0): (lines, MANIFOLD_POINTS, latent_dim)."""
    along = np.linspace(-LATENT_EXTENT, LATENT_EXTENT, MANIFOLD_POINTS)
    across = np.linspace(-LATENT_EXTENT, LATENT_EXTENT, MANIFOLD_LINES)
    lines = np.zeros((2 * MANIFOLD_LINES, MANIFOLD_POINTS, latent_dim), np.float32)
    for i, c in enumerate(across):
        lines[i, :, 0] = along
        if latent_dim > 1:
            lines[i, :, 1] = c
            lines[MANIFOLD_LINES + i, :, 0] = c
            lines[MANIFOLD_LINES + i, :, 1] = along
    return lines if latent_dim > 1 else lines[:1]


class SnapshotMaker:
    """Reads a generator and discriminator (its own copies, or the trainer's live ones) for the view and metrics."""

    def __init__(
        self,
        config: PlaygroundConfig,
        distribution: Distribution,
        generator: PointGenerator | None = None,
        discriminator: PointDiscriminator | None = None,
    ) -> None:
        self.config = config
        self.distribution = distribution
        self.generator = generator or PointGenerator(config)
        self.discriminator = discriminator or PointDiscriminator(config)
        display = torch.Generator().manual_seed(config.seed + _DISPLAY_SEED)
        self._shown_z = torch.randn(SHOWN_POINTS, config.latent_dim, generator=display)
        self.shown_real = distribution.sample(SHOWN_POINTS, np.random.default_rng(config.seed + _DISPLAY_SEED))
        self._grid = torch.from_numpy(view_grid())
        self._manifold_z = torch.from_numpy(latent_grid(config.latent_dim))
        # The shown points and the manifold in one forward pass: one call's overhead instead of two, each frame.
        self._view_z = torch.cat([self._shown_z, self._manifold_z.reshape(-1, config.latent_dim)])
        self._meter: CoverageMeter | None = None  # built on first use: it samples 20,000 real points

    def load(self, weights: Weights) -> None:
        self.generator.load_state_dict({k: torch.from_numpy(v) for k, v in weights.generator.items()})
        self.discriminator.load_state_dict({k: torch.from_numpy(v) for k, v in weights.discriminator.items()})

    def generate(self, n: int = EVAL_SAMPLES) -> np.ndarray:
        """`n` generated points (float32 (n, 2)) from latents fixed by the seed: the same n give the same z."""
        fixed = torch.Generator().manual_seed(self.config.seed + _EVAL_SEED)
        z = torch.randn(n, self.config.latent_dim, generator=fixed)
        with torch.no_grad():
            return self.generator(z).numpy().astype(np.float32)

    def coverage(self, n: int = EVAL_SAMPLES) -> Coverage:
        if self._meter is None or self._meter.n != n:
            self._meter = CoverageMeter(self.distribution, n, seed=self.config.seed)
        return self._meter.measure(self.generate(n))

    def snapshot(self, g_steps: int, d_updates: int, last_moved: str) -> Snapshot:
        """What the view draws now. D is read in eval mode (spectral norm's power iteration does not advance)."""
        self.discriminator.eval()
        try:
            with torch.inference_mode():
                view_points = self.generator(self._view_z)
                heat = self.discriminator(self._grid)
                if self.config.loss == "bce":
                    heat = torch.sigmoid_(heat)
            fake, manifold = view_points[:SHOWN_POINTS], view_points[SHOWN_POINTS:]
            arrows, norm = self._arrows(fake[:ARROW_POINTS])  # _arrows copies it out of inference mode
        finally:
            self.discriminator.train()
        return Snapshot(
            g_steps=g_steps,
            d_updates=d_updates,
            last_moved=last_moved,
            real=self.shown_real,
            fake=fake.numpy().astype(np.float32),
            heatmap=heat.numpy().reshape(HEATMAP_SIZE, HEATMAP_SIZE).astype(np.float32),
            heat_is_probability=self.config.loss == "bce",
            arrows=arrows,
            gradient_norm=norm,
            manifold=manifold.numpy().reshape(*self._manifold_z.shape[:2], 2).astype(np.float32),
        )

    def _arrows(self, points: torch.Tensor) -> tuple[np.ndarray, float]:
        """Arrows along -d loss_G / d x at each point (where G's update pushes it), the longest ARROW_LENGTH."""
        x = points.detach().clone().requires_grad_(True)
        with torch.enable_grad():
            per_point = generator_loss(self.config.loss, self.discriminator(x)) * len(x)  # undo the batch mean
            (grad,) = torch.autograd.grad(per_point, x)
        step = -grad.numpy()
        lengths = np.linalg.norm(step, axis=1)
        scale = ARROW_LENGTH / max(float(lengths.max()), 1e-12)
        start = points.numpy()
        pairs = np.empty((2 * len(start), 2), np.float32)
        pairs[0::2], pairs[1::2] = start, start + step * scale
        return pairs, float(lengths.mean())
