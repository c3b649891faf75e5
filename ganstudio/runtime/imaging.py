"""Turning generator output (float [0, 1], (N, C, H, W)) into grids, PNG files and GIF animations."""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # PIL is imported when a file is written, not when the module is
    from PIL import Image as PilImage


def to_uint8(images: np.ndarray) -> np.ndarray:
    """(N, C, H, W) float in [0, 1] -> (N, H, W, C) uint8."""
    clipped = np.clip(np.nan_to_num(images, nan=0.0), 0.0, 1.0)
    return (clipped * 255.0 + 0.5).astype(np.uint8).transpose(0, 2, 3, 1)


def make_grid(images: np.ndarray, columns: int | None = None, padding: int = 2, pad_value: int = 0) -> np.ndarray:
    """Tile (N, C, H, W) images in [0, 1] into one (rows*H, cols*W, C) uint8 picture."""
    tiles = to_uint8(images)
    n, h, w, c = tiles.shape
    cols = columns or max(1, math.ceil(math.sqrt(n)))
    rows = math.ceil(n / cols)
    grid = np.full((rows * (h + padding) + padding, cols * (w + padding) + padding, c), pad_value, np.uint8)
    for i in range(n):
        r, k = divmod(i, cols)
        y, x = padding + r * (h + padding), padding + k * (w + padding)
        grid[y : y + h, x : x + w] = tiles[i]
    return grid


def upscale(picture: np.ndarray, scale: int) -> np.ndarray:
    """Nearest-neighbour upscaling of an (H, W, C) picture, so pixels stay crisp."""
    return np.repeat(np.repeat(picture, scale, axis=0), scale, axis=1) if scale > 1 else picture


def _pil_image(picture: np.ndarray) -> PilImage.Image:
    from PIL import Image

    return Image.fromarray(picture[..., 0] if picture.shape[-1] == 1 else picture)


def atomic_write(path: Path | str, write: Callable[[Path], object]) -> None:
    """Write through a temp file in the same folder and rename, so a failed write never leaves a half file."""
    path = Path(path)
    # pid + thread id: the GUI and a training thread may write the same file at the same moment.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def save_png(picture: np.ndarray, path: Path | str, scale: int = 1) -> None:
    """Save an (H, W, C) uint8 picture as PNG, upscaled by an integer factor."""
    image = _pil_image(upscale(picture, scale))
    atomic_write(Path(path), lambda tmp: image.save(tmp, format="PNG"))


def save_gif(frames: list[np.ndarray], path: Path | str, fps: float = 12.0, scale: int = 1, loop: bool = True) -> None:
    """Save (H, W, C) uint8 frames as an animated GIF."""
    if not frames:
        raise ValueError("an animation needs at least one frame")
    images = [_pil_image(upscale(f, scale)) for f in frames]
    duration = max(20, round(1000.0 / fps))
    atomic_write(
        Path(path),
        lambda tmp: images[0].save(
            tmp, format="GIF", save_all=True, append_images=images[1:], duration=duration, loop=0 if loop else 1
        ),
    )
