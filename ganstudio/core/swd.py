"""Multi-scale sliced Wasserstein distance (SWD) between two sets of images, on Laplacian-pyramid patches.

The metric of Karras et al., "Progressive Growing of GANs for Improved Quality, Stability, and Variation"
(ICLR 2018, section 5): it needs no network trained on someone else's data, so it measures any image folder.
Each image is split into a Laplacian pyramid (one band of detail per octave, down to 14 pixels); from every level
random 7x7 neighbourhoods (all channels) are cut out, each set's descriptors are normalised per channel, and the
sliced Wasserstein distance between the real and generated descriptor sets is the mean, over random unit
directions, of the 1-D Wasserstein distance between their sorted projections. Reported x 10^3 per level (finest
first), as the paper does.

This follows NVIDIA's reference implementation, tkarras/progressive_growing_of_gans, `metrics/sliced_wasserstein.py`
(same 5x5 binomial pyramid with mirrored edges, 7x7 neighbourhoods, per-set per-channel normalisation, 4 x 128
directions, x 10^3), with three changes for small images on a CPU: levels go down to 14 pixels rather than 16, so
28-pixel images get two levels (28 and 14) and not one; the number of neighbourhoods per level is capped
(MAX_PATCHES) rather than 128 per image for 16k images; and all randomness is seeded, so a measurement repeats.
numpy only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ganstudio.core.quality_math import MetricsError

PATCH_SIZE = 7  # the reference's neighbourhood size
PATCHES_PER_IMAGE = 128  # the reference's neighbourhoods per image, used while under MAX_PATCHES
MAX_PATCHES = 1 << 15  # neighbourhoods per level and set, whatever the image count (bounds time and memory)
DIRECTIONS = 4 * 128  # the reference's 4 repeats of 128 random directions (the mean over all 512 is the same)
DIRECTION_CHUNK = 128  # directions projected at a time (bounds memory)
MIN_RESOLUTION = 14  # the coarsest level (the reference stops at 16)
SCALE = 1e3  # SWD is reported x 10^3
_BINOMIAL = np.array([1.0, 4.0, 6.0, 4.0, 1.0], np.float32) / 16.0  # its outer product: the reference's 5x5 filter


def resolutions(size: int) -> tuple[int, ...]:
    """The pyramid's level sizes for size x size images, finest first: 28 -> (28, 14); 64 -> (64, 32, 16)."""
    if size < PATCH_SIZE:
        raise MetricsError(f"SWD needs images of at least {PATCH_SIZE}x{PATCH_SIZE} pixels, got {size}x{size}")
    levels = [size]
    while (levels[-1] + 1) // 2 >= MIN_RESOLUTION:
        levels.append((levels[-1] + 1) // 2)
    return tuple(levels)


def _blur(x: np.ndarray, gain: float = 1.0) -> np.ndarray:
    """Separable 5x5 binomial filter (times `gain`) over the last two axes with mirrored edges (scipy.ndimage's
    "mirror" mode, which numpy calls "reflect": d c b | a b c d)."""
    kernel = _BINOMIAL
    h, w = x.shape[-2:]
    padded = np.pad(x, ((0, 0), (0, 0), (2, 2), (0, 0)), mode="reflect")
    rows = sum(kernel[i] * padded[:, :, i : i + h, :] for i in range(5))
    padded = np.pad(rows, ((0, 0), (0, 0), (0, 0), (2, 2)), mode="reflect")
    blurred = sum(kernel[i] * padded[:, :, :, i : i + w] for i in range(5))
    return np.asarray(blurred * np.float32(gain) if gain != 1.0 else blurred, np.float32)


def pyr_down(x: np.ndarray) -> np.ndarray:
    """Blur, then keep every second row and column (cv2.pyrDown, as the reference's pyr_down)."""
    return _blur(x)[:, :, ::2, ::2]


def pyr_up(x: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Insert zeros between pixels and blur with 4x the filter (cv2.pyrUp), cropped to `size` for odd sizes."""
    n, c, h, w = x.shape
    up = np.zeros((n, c, 2 * h, 2 * w), np.float32)
    up[:, :, ::2, ::2] = x
    return _blur(up, 4.0)[:, :, : size[0], : size[1]]


def laplacian_pyramid(images: np.ndarray, levels: int) -> list[np.ndarray]:
    """(N, C, H, W) -> `levels` arrays: each the detail lost by halving the one before, the last the low-pass."""
    pyramid = [np.asarray(images, np.float32)]
    for _ in range(1, levels):
        pyramid.append(pyr_down(pyramid[-1]))
        pyramid[-2] = pyramid[-2] - pyr_up(pyramid[-1], pyramid[-2].shape[2:])
    return pyramid


def patch_count(images: int) -> int:
    """Neighbourhoods per level for a set of `images` images: 128 each, at most MAX_PATCHES in all."""
    return min(PATCHES_PER_IMAGE * images, MAX_PATCHES)


def _cut_patches(level: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """`count` random 7x7 neighbourhoods (all channels), spread evenly over the images: (count, C, 7, 7)."""
    n, _c, h, w = level.shape
    half = PATCH_SIZE // 2
    image = rng.permutation(np.arange(count) % n)
    y = rng.integers(half, h - half, size=count)
    x = rng.integers(half, w - half, size=count)
    offsets = np.arange(-half, half + 1)
    rows = (y[:, None] + offsets)[:, None, :, None]  # (count, 1, 7, 1)
    cols = (x[:, None] + offsets)[:, None, None, :]  # (count, 1, 1, 7)
    return level[image[:, None, None, None], np.arange(level.shape[1])[None, :, None, None], rows, cols]


def _normalise(patches: np.ndarray) -> np.ndarray:
    """Zero mean and unit deviation per channel over the whole set, then flattened: (count, C * 49)."""
    mean = patches.mean(axis=(0, 2, 3), keepdims=True)
    std = patches.std(axis=(0, 2, 3), keepdims=True)
    return ((patches - mean) / np.maximum(std, 1e-8)).reshape(len(patches), -1).astype(np.float32)


@dataclass(frozen=True)
class PatchDescriptors:
    """The normalised neighbourhoods of one set of images, per pyramid level (finest first)."""

    resolutions: tuple[int, ...]
    levels: tuple[np.ndarray, ...]  # (count, C * 49) float32 each
    images: int  # how many images they were cut from


def descriptors(images: np.ndarray, count: int, seed: int) -> PatchDescriptors:
    """`count` normalised neighbourhoods per level of (N, C, H, W) images (uint8 or float; only relative values
    matter after normalisation), at seeded positions."""
    arr = np.asarray(images)
    if arr.ndim != 4 or len(arr) < 1 or arr.shape[2] != arr.shape[3]:
        raise MetricsError(f"SWD needs a batch of square (N, C, H, W) images, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise MetricsError("images contain NaN or infinite values (did training diverge?)")
    sizes = resolutions(int(arr.shape[2]))
    rng = np.random.default_rng(seed)
    levels = tuple(_normalise(_cut_patches(level, count, rng)) for level in laplacian_pyramid(arr, len(sizes)))
    return PatchDescriptors(sizes, levels, len(arr))


def directions(dim: int, level: int, seed: int) -> np.ndarray:
    """DIRECTIONS random unit vectors in descriptor space, (dim, DIRECTIONS), the same for every set compared."""
    d = np.random.default_rng([seed, level]).standard_normal((dim, DIRECTIONS))
    return (d / np.sqrt((d**2).sum(axis=0, keepdims=True))).astype(np.float32)


def sliced_wasserstein(a: np.ndarray, b: np.ndarray, dirs: np.ndarray) -> float:
    """Mean over the directions of the 1-D Wasserstein-1 distance between the projections of two equally large
    descriptor sets: sort each projection; the distance is the mean gap between equal ranks."""
    if a.shape != b.shape:
        raise MetricsError(f"sliced Wasserstein needs equally large descriptor sets, got {a.shape} and {b.shape}")
    total = 0.0
    a_t, b_t = np.ascontiguousarray(a.T), np.ascontiguousarray(b.T)
    for start in range(0, dirs.shape[1], DIRECTION_CHUNK):
        chunk = np.ascontiguousarray(dirs[:, start : start + DIRECTION_CHUNK].T)
        proj_a, proj_b = chunk @ a_t, chunk @ b_t  # (directions, count): rows sort faster than columns
        proj_a.sort(axis=1)
        proj_b.sort(axis=1)
        total += float(np.abs(proj_a - proj_b).sum(dtype=np.float64))
    return total / (a.shape[0] * dirs.shape[1])


def distance(a: PatchDescriptors, b: PatchDescriptors, seed: int = 0) -> tuple[float, ...]:
    """SWD x 10^3 per level between two descriptor sets of the same image size and count."""
    if a.resolutions != b.resolutions:
        raise MetricsError(f"SWD compares images of one size, got levels {a.resolutions} and {b.resolutions}")
    return tuple(
        SCALE * sliced_wasserstein(x, y, directions(x.shape[1], k, seed))
        for k, (x, y) in enumerate(zip(a.levels, b.levels, strict=True))
    )
