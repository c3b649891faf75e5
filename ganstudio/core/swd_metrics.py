"""SWD as a quality metric: generated images against real ones, next to the real-vs-real floor.

`SwdReference` holds two equally large sets of real images: the ones generated samples are compared with, and
the ones that stand in for a perfect generator (the floor). For MNIST and Fashion-MNIST the real reference
chooses them (held-out test images, and training images for the floor); for an image folder they are two
seeded disjoint halves of it (`folder_reference`). numpy only; the folder is read through core.data.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ganstudio.core import swd
from ganstudio.core.quality_math import MetricsError
from ganstudio.core.reference_info import ReferenceInfo
from ganstudio.core.swd_report import SwdReport, SwdScores

SWD_SEED = 0  # patch positions and projection directions: fixed, so measurements along a run are comparable
MIN_FOLDER_IMAGES = 4  # two halves of at least two images


def _ignore(_: str) -> None:
    pass


@dataclass(eq=False)
class SwdReference:
    """m real images to compare with and m others for the floor; their descriptors and the floor are cached."""

    compared: np.ndarray  # (m, C, H, W)
    floor_images: np.ndarray  # (m, C, H, W)
    seed: int = SWD_SEED
    _cache: dict[str, object] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.compared.shape != self.floor_images.shape:
            raise MetricsError(f"SWD's real sets differ: {self.compared.shape} and {self.floor_images.shape}")
        self._lock = threading.Lock()

    @property
    def m(self) -> int:
        return len(self.compared)

    @property
    def patches(self) -> int:
        return swd.patch_count(self.m)

    def prepare(self) -> None:
        """Compute the real descriptors and the floor now (what a first score() would otherwise pay for)."""
        self._real()

    def _real(self) -> tuple[swd.PatchDescriptors, tuple[float, ...]]:
        with self._lock:
            if "real" not in self._cache:
                compared = swd.descriptors(self.compared, self.patches, self.seed)
                floor = swd.distance(
                    swd.descriptors(self.floor_images, self.patches, self.seed + 1), compared, self.seed
                )
                self._cache["real"] = (compared, floor)
            return self._cache["real"]  # type: ignore[return-value]

    def score(self, generated: np.ndarray) -> SwdScores:
        """SWD of generated images (any count >= 1, in the real images' size and channels) next to the floor.
        Any value range will do (uint8 or [0, 1]): each set's patches are normalised on their own."""
        arr = np.asarray(generated)
        if arr.ndim != 4 or arr.shape[1:] != self.compared.shape[1:]:
            raise MetricsError(
                f"SWD compares images shaped like the real ones {self.compared.shape[1:]}, got {arr.shape}"
            )
        compared, floor = self._real()
        fake = swd.descriptors(arr, self.patches, self.seed + 2)
        return SwdScores.from_levels(
            compared.resolutions, swd.distance(fake, compared, self.seed), floor, self.m, self.patches
        )


@dataclass(frozen=True)
class _Folder:
    images: np.ndarray  # (N, C, H, W) uint8
    source: str


_lock = threading.Lock()
_folders: dict[tuple[str, int, int], _Folder] = {}
_references: dict[tuple[str, int, int, int], SwdReference] = {}


def _load_folder(folder: str, image_size: int, channels: int, log: Callable[[str], None]) -> _Folder:
    from ganstudio.core.data import load_image_folder

    key = (str(Path(folder).resolve()), image_size, channels)
    if key not in _folders:
        dataset = load_image_folder(Path(folder), image_size=image_size, channels=channels, log=log)
        _folders[key] = _Folder(dataset.images, str(folder))
    return _folders[key]


def folder_reference(
    folder: str, n: int, image_size: int, channels: int, log: Callable[[str], None] = _ignore
) -> tuple[SwdReference, _Folder]:
    """The SWD reference of an image folder for n generated images: two seeded disjoint halves of
    m = min(n, N/2) images each, the images loaded as training loads them (cached per folder, size, channels)."""
    with _lock:
        real = _load_folder(folder, image_size, channels, log)
        if len(real.images) < MIN_FOLDER_IMAGES:
            raise MetricsError(f"{folder}: SWD needs at least {MIN_FOLDER_IMAGES} images, found {len(real.images)}")
        m = max(2, min(n, len(real.images) // 2))
        key = (str(Path(folder).resolve()), image_size, channels, m)
        if key not in _references:
            order = np.random.default_rng(SWD_SEED).permutation(len(real.images))
            _references[key] = SwdReference(real.images[order[:m]], real.images[order[m : 2 * m]])
        return _references[key], real


def evaluate_folder_images(images: np.ndarray, folder: str, log: Callable[[str], None] = _ignore) -> SwdReport:
    """SWD of generated images (N, C, H, W) against the image folder they were trained on, next to its floor.
    Raises DataError for an unreadable folder and MetricsError for unusable images."""
    start = time.perf_counter()
    arr = np.asarray(images)
    if arr.ndim != 4 or len(arr) < 1 or arr.shape[2] != arr.shape[3]:
        raise MetricsError(f"images must be a batch of square (N, C, H, W) images, got shape {arr.shape}")
    reference, real = folder_reference(folder, len(arr), int(arr.shape[2]), int(arr.shape[1]), log)
    scores = reference.score(arr)
    info = ReferenceInfo("", len(real.images), real.source, int(arr.shape[2]), SWD_SEED)
    return SwdReport(folder, len(arr), scores, info, seconds=round(time.perf_counter() - start, 3))


def clear_folder_references() -> None:
    with _lock:
        _folders.clear()
        _references.clear()
