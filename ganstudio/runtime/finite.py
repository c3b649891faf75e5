"""Refusing images a broken generator made: NaN or infinite pixels become black when saved, which looks like a
working model that draws nothing. Torch-free, for every front end's sample, interpolate and export paths."""

from __future__ import annotations

import numpy as np

from ganstudio.errors import GanStudioError


class NonFiniteImagesError(GanStudioError):
    """A generator produced NaN or infinite pixels: its weights are damaged or its training diverged."""


def require_finite_images(images: np.ndarray, source: str) -> np.ndarray:
    """`images` (N, ...) unchanged when every value is finite; NonFiniteImagesError naming `source` otherwise."""
    finite = np.isfinite(images)
    if finite.all():
        return images
    bad = int((~finite.reshape(len(images), -1).all(axis=1)).sum())
    raise NonFiniteImagesError(
        f"{source} produced NaN or infinite pixels in {bad} of {len(images)} images (its weights are damaged or "
        "its training diverged); nothing was written. Use an earlier checkpoint or export of the run"
    )
