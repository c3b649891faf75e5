"""Turning generator output (float [0, 1], (N, C, H, W)) into grids, PNG files and GIF animations."""

from __future__ import annotations

import contextlib
import errno
import math
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ganstudio.errors import GanStudioError

if TYPE_CHECKING:  # PIL is imported when a file is written, not when the module is
    from PIL import Image as PilImage


def to_uint8(images: np.ndarray) -> np.ndarray:
    """(N, C, H, W) float in [0, 1] -> (N, H, W, C) uint8."""
    clipped = np.clip(np.nan_to_num(images, nan=0.0), 0.0, 1.0)
    return (clipped * 255.0 + 0.5).astype(np.uint8).transpose(0, 2, 3, 1)


def grid_layout(n: int, columns: int | None = None) -> tuple[int, int]:
    """(columns, rows) of a grid of n tiles: `columns` as given, else as square as possible."""
    cols = columns or max(1, math.ceil(math.sqrt(n)))
    return cols, math.ceil(n / cols)


def grid_size(n: int, h: int, w: int, columns: int | None = None, padding: int = 2) -> tuple[int, int]:
    """(height, width) in pixels of `make_grid`'s picture, known before any image is made."""
    cols, rows = grid_layout(n, columns)
    return rows * (h + padding) + padding, cols * (w + padding) + padding


def make_grid(images: np.ndarray, columns: int | None = None, padding: int = 2, pad_value: int = 0) -> np.ndarray:
    """Tile (N, C, H, W) images in [0, 1] into one (rows*H, cols*W, C) uint8 picture."""
    tiles = to_uint8(images)
    n, h, w, c = tiles.shape
    cols, _ = grid_layout(n, columns)
    grid = np.full((*grid_size(n, h, w, columns, padding), c), pad_value, np.uint8)
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


class FileWriteError(GanStudioError, OSError):
    """A file could not be written; the message names the file and the cause in words ("disk full")."""

    def __init__(self, path: Path, cause: OSError) -> None:
        words = describe_os_error(cause)
        self.message = f"cannot write {path}: {words}"
        super().__init__(cause.errno, words)  # strerror: the cause alone, for callers that name the file themselves
        self.filename = str(path)

    def __str__(self) -> str:
        return self.message


_ERRNO_WORDS = {
    errno.ENOSPC: "disk full",
    errno.EROFS: "read-only file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EDQUOT: "disk quota exceeded",
    errno.EFBIG: "file too large for this file system",
}


def describe_os_error(exc: OSError) -> str:
    return _ERRNO_WORDS.get(exc.errno or 0) or exc.strerror or str(exc) or type(exc).__name__


def _discard(tmp: Path) -> None:
    # A read-only folder or a full disk can make the cleanup fail too; the write's own error is the one to report.
    with contextlib.suppress(OSError):
        tmp.unlink(missing_ok=True)


def atomic_write(path: Path | str, write: Callable[[Path], object]) -> None:
    """Write through a temp file in the same folder and rename, so a failed write never leaves a half file.

    An OSError (disk full, read-only folder) becomes FileWriteError naming `path` and the cause; the temp file is
    removed when possible, and a failing removal never hides the original error.
    """
    path = Path(path)
    # pid + thread id: the GUI and a training thread may write the same file at the same moment.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        _discard(tmp)
        if isinstance(exc, FileWriteError):
            raise
        raise FileWriteError(path, exc) from exc
    except BaseException:
        _discard(tmp)
        raise


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
