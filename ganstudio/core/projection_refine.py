"""Gradient refinement of a projection through the torch generator (imported only when a checkpoint is at hand).

Adam on z minimising the pixel MSE between G(z) and the target, plus a small pull towards the N(0, I) shell
(|z|^2 / d near 1) so the latent stays where the generator was trained and morphs from it still look like digits.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ganstudio.core.checkpoint import CheckpointError, load_generator
from ganstudio.runtime.projection import ProjectionCancelled, ProjectionError

LEARNING_RATE = 0.05
PRIOR_WEIGHT = 1e-3
REPORT_EVERY = 10
# A batch-1 step through an MLP is too small to split: on 2 cores one thread took 1.5 s for 150 steps where two
# took 11 s while other work ran (docs/decisions/projection.md).
THREADS = 1


class GradientRefiner:
    """Holds the frozen generator of one checkpoint; refine() runs on the calling thread."""

    def __init__(self, checkpoint: Path | str) -> None:
        try:
            generator, model_cfg, _, _ = load_generator(Path(checkpoint))
        except CheckpointError as exc:
            raise ProjectionError(f"cannot refine with {checkpoint}: {exc}") from exc
        for p in generator.parameters():
            p.requires_grad_(False)
        self._generator = generator.eval()
        self.latent_dim = model_cfg.latent_dim
        self.conditional = model_cfg.num_classes > 0

    def refine(
        self,
        z: np.ndarray,
        label: int | None,
        target: np.ndarray,
        steps: int,
        progress: Callable[[int, float], None] | None = None,
        cancel: Callable[[], bool] | None = None,
    ) -> np.ndarray:
        if self.conditional and label is None:
            raise ProjectionError("this generator is class-conditional: refinement needs a class")
        threads = torch.get_num_threads()
        torch.set_num_threads(THREADS)
        try:
            return self._refine(z, label, target, steps, progress, cancel)
        finally:
            torch.set_num_threads(threads)

    def _refine(
        self,
        z: np.ndarray,
        label: int | None,
        target: np.ndarray,
        steps: int,
        progress: Callable[[int, float], None] | None,
        cancel: Callable[[], bool] | None,
    ) -> np.ndarray:
        with torch.enable_grad():
            z_t = torch.tensor(np.asarray(z, np.float32).reshape(1, self.latent_dim), requires_grad=True)
            goal = torch.from_numpy(np.asarray(target, np.float32)[None])  # (1, C, H, W)
            labels = torch.tensor([label], dtype=torch.int64) if self.conditional else None
            optimizer = torch.optim.Adam([z_t], lr=LEARNING_RATE)
            best_z, best_error = z_t.detach().clone(), float("inf")
            for step in range(1, steps + 1):
                if cancel is not None and cancel():
                    raise ProjectionCancelled("projection cancelled")
                out = self._generator(z_t) if labels is None else self._generator(z_t, labels)
                error = F.mse_loss((out + 1.0) * 0.5, goal)
                loss = error + PRIOR_WEIGHT * (z_t.pow(2).mean() - 1.0).pow(2)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                value = error.item()
                if value < best_error:  # the error of z_t before this step's update
                    best_z, best_error = z_t.detach().clone(), value
                optimizer.step()
                if progress is not None and (step % REPORT_EVERY == 0 or step == steps):
                    progress(step, best_error)
        return best_z[0].numpy().astype(np.float32)
