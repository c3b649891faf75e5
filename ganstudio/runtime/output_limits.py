"""Bounds on what a command produces, checked before anything is generated.

Without them `sample --n 10000000` or `--scale 1000` would run out of memory after minutes of work. A picture
(or all frames of an animation) may take at most MAX_PICTURE_BYTES uncompressed: 256 MiB is a 9,000 x 9,000 RGB
picture, far beyond any screen or print, and keeps the float32 images behind it (<= 4 bytes per value, before
upscaling) near 1 GiB, the bound on the images `evaluate` generates. The message says how large the request is and
which flag to lower.
"""

from __future__ import annotations

import math

from ganstudio.errors import GanStudioError
from ganstudio.runtime.imaging import grid_size

MAX_PICTURE_BYTES = 256 << 20
MAX_GENERATED_BYTES = 1 << 30  # float32 images held at once (evaluate keeps all n to measure them)
MIN_FPS, MAX_FPS = 0.1, 50.0  # GIF frame delays are whole hundredths of a second; below 2 (50 fps) viewers slow down


class OutputLimitError(GanStudioError):
    """A requested output is out of bounds (too large, or an impossible value); nothing has been generated yet."""


def _mib(n: int) -> str:
    return f"{n / (1 << 20):,.0f} MiB"


def check_grid(n: int, side: int, channels: int, scale: int, columns: int | None = None, padding: int = 2) -> None:
    """A grid of n side x side images, upscaled `scale` times, as `make_grid` + `save_png` would make it."""
    if columns is not None and columns < 1:
        raise OutputLimitError(f"--columns must be at least 1, got {columns}")
    height, width = grid_size(n, side, side, columns, padding)
    size = height * width * channels * scale * scale
    if size > MAX_PICTURE_BYTES:
        raise OutputLimitError(
            f"the picture would be {width * scale:,} x {height * scale:,} pixels ({_mib(size)}), more than the "
            f"{_mib(MAX_PICTURE_BYTES)} allowed; lower the number of images or --scale"
        )


def check_frames(frames: int, side: int, channels: int, scale: int) -> None:
    """An animation of `frames` side x side frames, each upscaled `scale` times."""
    size = frames * (side * scale) ** 2 * channels
    if size > MAX_PICTURE_BYTES:
        raise OutputLimitError(
            f"the animation would be {frames:,} frames of {side * scale:,} x {side * scale:,} pixels "
            f"({_mib(size)}), more than the {_mib(MAX_PICTURE_BYTES)} allowed; lower --steps or --scale"
        )


def check_generated(n: int, side: int, channels: int) -> None:
    """n float32 images held in memory at once, as `evaluate --n` does."""
    size = n * side * side * channels * 4
    if size > MAX_GENERATED_BYTES:
        most = MAX_GENERATED_BYTES // (side * side * channels * 4)
        raise OutputLimitError(
            f"{n:,} samples of {side} x {side} would take {_mib(size)} of memory, more than the "
            f"{_mib(MAX_GENERATED_BYTES)} allowed; use --n {most:,} or fewer"
        )


def check_fps(fps: float) -> None:
    if not (math.isfinite(fps) and MIN_FPS <= fps <= MAX_FPS):
        raise OutputLimitError(f"--fps must be in {MIN_FPS:g}..{MAX_FPS:g}, got {fps:g}")
