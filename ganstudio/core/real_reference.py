"""Classifier outputs of a built-in dataset's real images, and the FIDs and floors measured against them.

The reference data is split into two disjoint seeded halves A and B; a generated sample of n images is compared
with m = min(n, N/2) images of A, and the floor is FID(B, A) with m images each, so both sizes always match.
numpy + onnxruntime only (through the feature extractor); computing a reference takes a few seconds.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ganstudio.core.data import builtin_dataset
from ganstudio.core.feature_extractor import CLASSIFIER_SIZE, FeatureExtractor, get_extractor
from ganstudio.core.quality_math import MetricsError, class_histogram, feature_stats, frechet_distance, inception_score

if TYPE_CHECKING:
    from ganstudio.core.data import ImageDataset

REFERENCE_SEED = 0  # seeds the A/B splits of the real data: fixed so floors are comparable between runs
FLOOR_SPLITS = 5  # real-data A/B splits that FIDs and floors are averaged over


def _ignore(_: str) -> None:
    pass


@dataclass(eq=False)
class RealReference:
    """Classifier outputs of the real reference images, with cached statistics of seeded disjoint halves.

    Split k (k = 0 .. FLOOR_SPLITS-1) permutes the data with seed `seed + k`; its half A is the first m images
    and its half B the next m, for any m <= N/2, so sizes always match the generated sample being judged.
    Floors and FIDs are averaged over the splits: one split's floor varies by ~+-30% with the seed.
    """

    dataset: str
    split: str  # "test" normally; "train" when only that split was found
    source: str  # the folder the images came from
    image_size: int  # the size the real images were resized to before the classifier (28 = untouched)
    features: np.ndarray  # (N, 256) float32
    probs: np.ndarray  # (N, 10) float64
    labels: np.ndarray  # (N,) int64 true labels
    class_names: tuple[str, ...]
    seed: int = REFERENCE_SEED
    splits: int = FLOOR_SPLITS
    _cache: dict[tuple[Any, ...], Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._lock = threading.RLock()  # re-entrant: floor() computes stats() under the lock

    @property
    def n(self) -> int:
        return len(self.features)

    @property
    def num_classes(self) -> int:
        return int(self.probs.shape[1])

    @property
    def class_histogram(self) -> np.ndarray:
        """Fractions of the real images per predicted class (what generated histograms are compared with)."""
        return self._cached(("hist",), lambda: class_histogram(self.probs, self.num_classes))

    def half_size(self, n: int) -> int:
        return max(2, min(int(n), self.n // 2))

    def _cached(self, key: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
        with self._lock:
            if key not in self._cache:
                self._cache[key] = compute()
            return self._cache[key]

    def _order(self, k: int) -> np.ndarray:
        return self._cached(("order", k), lambda: np.random.default_rng(self.seed + k).permutation(self.n))

    def halves(self, m: int, k: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Disjoint index sets A, B of m real images each (m <= N/2), from split k."""
        if not 2 <= m <= self.n // 2:
            raise MetricsError(f"halves of {m} images need 2 <= m <= {self.n // 2}")
        order = self._order(k)
        return order[:m], order[m : 2 * m]

    def stats(self, m: int | None = None, k: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """(mu, cov) of half A of split k with m images, or of all N images when m is None."""
        if m is None:
            return self._cached(("all",), lambda: feature_stats(self.features))
        return self._cached(("A", m, k), lambda: feature_stats(self.features[self.halves(m, k)[0]]))

    def fid(self, mu: np.ndarray, cov: np.ndarray, m: int) -> float:
        """Mean FID of generated statistics against half A (m images) of every split."""
        return float(np.mean([frechet_distance(mu, cov, *self.stats(m, k)) for k in range(self.splits)]))

    def floor_values(self, m: int) -> tuple[float, ...]:
        """FID(B, A) of every split with m images per half: what a perfect generator scores at n = m."""

        def compute() -> tuple[float, ...]:
            return tuple(
                frechet_distance(*feature_stats(self.features[self.halves(m, k)[1]]), *self.stats(m, k))
                for k in range(self.splits)
            )

        return self._cached(("floor", m), compute)

    def floor(self, m: int) -> float:
        return float(np.mean(self.floor_values(m)))

    def inception_score(self, m: int) -> float:
        return self._cached(("is", m), lambda: inception_score(self.probs[self.halves(m)[1]]))

    def class_count(self, c: int) -> int:
        return int((self.labels == c).sum())

    def class_halves(self, c: int, m: int, k: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Disjoint index sets of m real images of true class c each (m <= count(c) / 2), from split k."""
        order = self._order(k)
        members = order[self.labels[order] == c]
        if not 2 <= m <= len(members) // 2:
            raise MetricsError(f"class {c} has {len(members)} reference images; halves of {m} do not fit")
        return members[:m], members[m : 2 * m]

    def class_stats(self, c: int, m: int, k: int = 0) -> tuple[np.ndarray, np.ndarray]:
        return self._cached(("cA", c, m, k), lambda: feature_stats(self.features[self.class_halves(c, m, k)[0]]))

    def class_fid(self, mu: np.ndarray, cov: np.ndarray, c: int, m: int) -> float:
        return float(np.mean([frechet_distance(mu, cov, *self.class_stats(c, m, k)) for k in range(self.splits)]))

    def class_floor(self, c: int, m: int) -> float:
        def one_split(k: int) -> float:
            b_stats = feature_stats(self.features[self.class_halves(c, m, k)[1]])
            return frechet_distance(*b_stats, *self.class_stats(c, m, k))

        return self._cached(("cfloor", c, m), lambda: float(np.mean([one_split(k) for k in range(self.splits)])))


def _load_real(name: str, data_dir: Path | None, log: Callable[[str], None]) -> tuple[ImageDataset, str]:
    """The test split wherever the data layer would look (the shared MNIST folder may hold only that split, and
    one split for every measurement keeps numbers comparable), else the train split."""
    from ganstudio.core.data import named

    for folder, _origin in named.search_locations(name, data_dir):
        if named.find_pair(name, folder, "test") is not None:
            dataset = named.read_split(name, folder, "test")
            log(f"{name}: reference = the test split ({len(dataset):,} images) from {folder}")
            return dataset, str(folder)
    dataset = named.load_named_dataset(name, data_dir=data_dir, log=log)  # raises DataError with search help
    located = named.locate_dataset(name, data_dir)
    return dataset, str(located[0]) if located else ""


_lock = threading.Lock()  # one reference computed at a time: the GUI's worker and the CLI may both ask
_references: dict[tuple[Any, ...], RealReference] = {}


def get_reference(
    dataset: str,
    image_size: int = CLASSIFIER_SIZE,
    data_dir: Path | str | None = None,
    extractor: FeatureExtractor | None = None,
    log: Callable[[str], None] = _ignore,
) -> RealReference:
    """The cached RealReference of a built-in dataset, as seen by a model producing `image_size` images.

    For image_size != 28 the real images first take the path the training data took (bicubic resize to
    image_size, as `load_dataset` does) and then the same area resize back to 28 the generated images take, so
    resampling blur does not count as a generator error. Cached in memory per (dataset, size, data folder,
    classifier); computing one takes a few seconds (10,000 images through the classifier).
    """
    name = builtin_dataset(dataset)
    if name is None:
        raise MetricsError(f"no real reference for {dataset!r}: only MNIST and Fashion-MNIST have one")
    extractor = extractor or get_extractor(name)
    data_path = Path(data_dir) if data_dir is not None else None
    key = (name, int(image_size), str(data_path), os.environ.get("GANSTUDIO_DATA", ""), extractor.sha256)
    with _lock:
        cached = _references.get(key)
        if cached is not None:
            return cached
        start = time.perf_counter()
        real, source = _load_real(name, data_path, log)
        images = real.images
        if image_size != real.image_size:
            from ganstudio.core.data import resize_dataset

            images = resize_dataset(real, image_size).images
        probs, feats = extractor.run(images)
        ref = RealReference(
            name, real.split, source, int(image_size), feats, probs, real.labels.copy(), extractor.class_names
        )
        log(f"{name}: real reference features of {ref.n:,} images in {time.perf_counter() - start:.1f} s")
        _references[key] = ref
        return ref


def clear_references() -> None:
    with _lock:
        _references.clear()
