"""The Playground's stepper: one D update, one G update, or a full step (d_steps D updates, then one G update).

Determinism: every trainer owns its torch RNG state (swapped in around each update) and its real-data numpy RNG,
and the points it displays and evaluates come from generators of their own (snapshot.py), so two trainers stepped
in turn (Compare) train exactly as each would alone, and drawing never changes training: the app and
`ganstudio playground` reach the same weights for the same config, seed and step count.
"""

from __future__ import annotations

import contextlib
import copy
import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

from ganstudio.core.losses import discriminator_loss, generator_loss, gradient_penalty, real_probability
from ganstudio.core.networks import update_ema
from ganstudio.core.playground.config import PlaygroundConfig
from ganstudio.core.playground.coverage import EVAL_SAMPLES, Coverage
from ganstudio.core.playground.distributions import Distribution, make_distribution
from ganstudio.core.playground.nets import PointDiscriminator, PointGenerator
from ganstudio.core.playground.snapshot import Snapshot, SnapshotMaker, Weights, state_of


@dataclass(frozen=True)
class StepRecord:
    """One G step's row for the loss plots: the step and the history columns (core/history.LOSS_KEYS order)."""

    g_step: int
    d_loss: float
    g_loss: float
    d_real: float
    d_fake: float
    gradient_penalty: float

    def row(self) -> tuple[float, ...]:
        return (self.g_step, self.d_loss, self.g_loss, self.d_real, self.d_fake, self.gradient_penalty)


class PlaygroundTrainer:
    """A 2-D GAN that moves one update at a time."""

    def __init__(self, config: PlaygroundConfig, points: np.ndarray | None = None) -> None:
        self.config = config
        self.distribution: Distribution = make_distribution(config.dist, points)
        self._data_rng = np.random.default_rng(config.seed)
        self._rng_state = torch.Generator().manual_seed(config.seed).get_state()
        with self._own_rng():
            self.generator = PointGenerator(config)
            self.discriminator = PointDiscriminator(config)
        # With an EMA, the average is what is shown and measured (as image training samples from its EMA).
        self.shown_generator = copy.deepcopy(self.generator) if config.ema_decay > 0 else self.generator
        self.shown_generator.requires_grad_(config.ema_decay == 0)
        betas = (config.beta1, config.beta2)
        self.g_opt = torch.optim.Adam(self.generator.parameters(), lr=config.g_lr, betas=betas)
        self.d_opt = torch.optim.Adam(self.discriminator.parameters(), lr=config.d_lr, betas=betas)
        self.g_steps = 0
        self.d_updates = 0
        self.last_moved = ""
        self._d_stats = (math.nan, math.nan, math.nan, math.nan)  # d_loss, d_real, d_fake, penalty
        self._records: list[StepRecord] = []
        self._reader = SnapshotMaker(config, self.distribution, self.shown_generator, self.discriminator)

    @contextlib.contextmanager
    def _own_rng(self) -> Iterator[None]:
        outer = torch.get_rng_state()
        torch.set_rng_state(self._rng_state)
        try:
            yield
        finally:
            self._rng_state = torch.get_rng_state()
            torch.set_rng_state(outer)

    def _real_batch(self) -> torch.Tensor:
        return torch.from_numpy(self.distribution.sample(self.config.batch_size, self._data_rng))

    def _latents(self) -> torch.Tensor:
        return torch.randn(self.config.batch_size, self.config.latent_dim)

    # ------------------------------------------------------------------ updates
    def step_d(self) -> None:
        """One discriminator update (G unchanged)."""
        cfg = self.config
        with self._own_rng():
            real = self._real_batch()
            with torch.no_grad():
                fake = self.generator(self._latents())
            real_scores, fake_scores = self.discriminator(real), self.discriminator(fake)
            loss = discriminator_loss(cfg.loss, real_scores, fake_scores)
            penalty = torch.zeros(())
            if cfg.loss == "wgan-gp" and cfg.gp_weight > 0:
                penalty = gradient_penalty(self.discriminator, real, fake, None)
                loss = loss + cfg.gp_weight * penalty
            self.d_opt.zero_grad(set_to_none=True)
            loss.backward()
            self.d_opt.step()
        self.d_updates += 1
        self.last_moved = "D"
        self._d_stats = (
            float(loss.detach()),
            float(real_probability(cfg.loss, real_scores.detach())),
            float(real_probability(cfg.loss, fake_scores.detach())),
            float(penalty.detach()) if cfg.loss == "wgan-gp" else math.nan,
        )

    def step_g(self) -> StepRecord:
        """One generator update (D unchanged); returns its row for the loss plots."""
        with self._own_rng():
            loss = generator_loss(self.config.loss, self.discriminator(self.generator(self._latents())))
            self.g_opt.zero_grad(set_to_none=True)
            loss.backward()
            self.g_opt.step()
            if self.shown_generator is not self.generator:
                with torch.no_grad():
                    update_ema(self.shown_generator, self.generator, self.config.ema_decay, self.g_steps)
        self.g_steps += 1
        self.last_moved = "G"
        self._decay_learning_rates()
        d_loss, d_real, d_fake, penalty = self._d_stats
        record = StepRecord(self.g_steps, d_loss, float(loss.detach()), d_real, d_fake, penalty)
        self._records.append(record)
        return record

    def _decay_learning_rates(self) -> None:
        """Both rates halve every `lr_half_life` G steps, smoothly, so that Step G and Play follow one schedule."""
        half_life = self.config.lr_half_life
        if half_life <= 0:
            return
        factor = 0.5 ** (self.g_steps / half_life)
        for optimiser, base in ((self.g_opt, self.config.g_lr), (self.d_opt, self.config.d_lr)):
            for group in optimiser.param_groups:
                group["lr"] = base * factor

    def step(self) -> StepRecord:
        """`d_steps` D updates, then one G update."""
        for _ in range(self.config.d_steps):
            self.step_d()
        return self.step_g()

    def take_records(self) -> list[StepRecord]:
        """The G-step rows since the last call."""
        records, self._records = self._records, []
        return records

    # ------------------------------------------------------------------ reading
    def weights(self) -> Weights:
        """A copy of both networks (plain numpy) for another thread to draw from."""
        return Weights(
            self.g_steps, self.d_updates, self.last_moved, state_of(self.shown_generator), state_of(self.discriminator)
        )

    def generate(self, n: int = EVAL_SAMPLES) -> np.ndarray:
        return self._reader.generate(n)

    def coverage(self, n: int = EVAL_SAMPLES) -> Coverage:
        return self._reader.coverage(n)

    def snapshot(self) -> Snapshot:
        return self._reader.snapshot(self.g_steps, self.d_updates, self.last_moved)
