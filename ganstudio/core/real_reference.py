"""The real images a built-in dataset's generators are measured against, and the floors measured with them.

The rule: train on the train split, measure on data the model never saw. When the data folder holds both splits,
generated images are compared with the held-out TEST split, and the real-vs-real floor is a same-sized subset of
the TRAIN split compared with that same test split (what a generator that reproduced its training data exactly
would score). When only one split is found, training used it too, so the reference is the training data: the
generated sample is compared with one seeded half of it and the floor is the other half against that one.
numpy + onnxruntime only (through the feature extractor); computing a reference takes a few seconds.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ganstudio.core.data import builtin_dataset
from ganstudio.core.feature_extractor import CLASSIFIER_SIZE, FeatureExtractor, get_extractor
from ganstudio.core.quality_math import MetricsError, class_histogram, feature_stats, frechet_distance, inception_score
from ganstudio.core.swd_metrics import SwdReference

if TYPE_CHECKING:
    from ganstudio.core.data import ImageDataset

REFERENCE_SEED = 0  # seeds the real-data draws (halves, floor subsets): fixed so floors are comparable between runs
FLOOR_SPLITS = 5  # seeded draws of the floor's real sample that FIDs and floors are averaged over


def _ignore(_: str) -> None:
    pass


@dataclass(frozen=True, eq=False)
class RealSet:
    """One set of real images with the classifier's outputs for them."""

    images: np.ndarray  # (N, C, H, W) uint8 at the generator's size (what SWD compares)
    features: np.ndarray  # (N, 256) float32
    probs: np.ndarray  # (N, K) float64
    labels: np.ndarray  # (N,) int64 true labels

    def __len__(self) -> int:
        return len(self.features)


@dataclass(eq=False)
class RealReference:
    """Classifier outputs of the real reference images, and of the floor's pool, with cached statistics.

    Held out (`pool` set): generated statistics are compared with all reference (test) images; draw k of the
    floor is m pool (train) images permuted with seed `seed + k`, compared with the same reference images.
    Otherwise (`pool` None): draw k permutes the reference with seed `seed + k`; generated images are compared
    with its first m images (half A) and the floor is the next m (half B) against A, for any m <= N/2.
    Floors and FIDs are averaged over the draws: one draw's floor varies by ~+-30% with the seed.
    """

    dataset: str
    split: str  # the reference's split: "test" when held out, else the one split found
    source: str  # the folder the reference images came from
    image_size: int  # the size the real images were resized to before the classifier (28 = untouched)
    reference: RealSet
    class_names: tuple[str, ...]
    pool: RealSet | None = None  # training images the floor draws from; None = halves of the reference
    seed: int = REFERENCE_SEED
    splits: int = FLOOR_SPLITS
    _cache: dict[tuple[Any, ...], Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._lock = threading.RLock()  # re-entrant: floor() computes stats() under the lock

    @property
    def held_out(self) -> bool:
        """The reference is the test split and the floor's sample comes from the training split."""
        return self.pool is not None

    @property
    def n(self) -> int:
        return len(self.reference)

    @property
    def features(self) -> np.ndarray:
        return self.reference.features

    @property
    def probs(self) -> np.ndarray:
        return self.reference.probs

    @property
    def labels(self) -> np.ndarray:
        return self.reference.labels

    @property
    def num_classes(self) -> int:
        return int(self.probs.shape[1])

    @property
    def class_histogram(self) -> np.ndarray:
        """Fractions of the real images per predicted class (what generated histograms are compared with)."""
        return self._cached(("hist",), lambda: class_histogram(self.probs, self.num_classes))

    def floor_size(self, n: int) -> int:
        """m, the real images each side of the floor for a generated sample of n images."""
        most = len(self.pool) if self.pool is not None else self.n // 2
        return max(2, min(int(n), most))

    def _cached(self, key: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
        with self._lock:
            if key not in self._cache:
                self._cache[key] = compute()
            return self._cache[key]

    def _order(self, k: int, of_pool: bool = False) -> np.ndarray:
        size = len(self.pool) if of_pool and self.pool is not None else self.n
        return self._cached(("order", k, of_pool), lambda: np.random.default_rng(self.seed + k).permutation(size))

    def halves(self, m: int, k: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Disjoint index sets A, B of m reference images each (m <= N/2), from draw k."""
        if not 2 <= m <= self.n // 2:
            raise MetricsError(f"halves of {m} images need 2 <= m <= {self.n // 2}")
        order = self._order(k)
        return order[:m], order[m : 2 * m]

    def floor_sample(self, m: int, k: int = 0) -> tuple[RealSet, np.ndarray]:
        """The set and indices of draw k's m real images that stand in for a perfect generator."""
        if self.pool is None:
            return self.reference, self.halves(m, k)[1]
        if not 2 <= m <= len(self.pool):
            raise MetricsError(f"a floor of {m} training images needs 2 <= m <= {len(self.pool)}")
        return self.pool, self._order(k, of_pool=True)[:m]

    def compared(self, m: int, k: int = 0) -> np.ndarray:
        """Indices of the reference images generated samples (and the floor) are compared with."""
        return np.arange(self.n) if self.pool is not None else self.halves(m, k)[0]

    def stats(self, m: int | None = None, k: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """(mu, cov) of the images draw k compares with at size m, or of all N reference images when m is None."""
        if m is None or self.pool is not None:
            return self._cached(("all",), lambda: feature_stats(self.features))
        return self._cached(("A", m, k), lambda: feature_stats(self.features[self.compared(m, k)]))

    def fid(self, mu: np.ndarray, cov: np.ndarray, m: int) -> float:
        """Mean FID of generated statistics against what every draw compares with."""
        draws = 1 if self.pool is not None else self.splits  # held out: every draw compares with all of it
        return float(np.mean([frechet_distance(mu, cov, *self.stats(m, k)) for k in range(draws)]))

    def floor_values(self, m: int) -> tuple[float, ...]:
        """FID of every draw's floor sample of m images: what a perfect generator scores at n = m."""

        def one(k: int) -> float:
            real, index = self.floor_sample(m, k)
            return frechet_distance(*feature_stats(real.features[index]), *self.stats(m, k))

        return self._cached(("floor", m), lambda: tuple(one(k) for k in range(self.splits)))

    def floor(self, m: int) -> float:
        return float(np.mean(self.floor_values(m)))

    def inception_score(self, m: int) -> float:
        """The inception score of draw 0's floor sample: real data's score at this size."""

        def compute() -> float:
            real, index = self.floor_sample(m)
            return inception_score(real.probs[index])

        return self._cached(("is", m), compute)

    def swd_reference(self, m: int, channels: int = 1) -> SwdReference:
        """SWD's real images, m each way (draw 0): held out, m test images to compare with and m training images
        for the floor; else the two halves. Grey images are repeated into RGB for a 3-channel generator, as
        training repeats them."""

        def compute() -> SwdReference:
            real, index = self.floor_sample(m)
            compared = self.compared(m)[:m] if self.pool is None else self._order(0)[:m]
            images = [self.reference.images[compared], real.images[index]]
            if channels != images[0].shape[1]:
                images = [np.repeat(x, channels, axis=1) for x in images]
            return SwdReference(images[0], images[1], self.seed)

        return self._cached(("swd", m, channels), compute)

    # per class ---------------------------------------------------------------------------------------------------

    def class_floor_size(self, c: int, count: int) -> int:
        """m for class c when `count` samples were generated for it (< 2: the class cannot be measured)."""
        if self.pool is not None:
            return min(count, int((self.pool.labels == c).sum()))
        return min(count, int((self.labels == c).sum()) // 2)

    def _class_members(self, c: int, k: int, of_pool: bool) -> np.ndarray:
        order = self._order(k, of_pool)
        labels = self.pool.labels if of_pool and self.pool is not None else self.labels
        return order[labels[order] == c]

    def class_stats(self, c: int, m: int, k: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Statistics of the class-c reference images draw k compares with: all of them when held out."""
        if self.pool is not None:
            return self._cached(("cAll", c), lambda: feature_stats(self.features[self.labels == c]))

        def half_a() -> tuple[np.ndarray, np.ndarray]:
            members = self._class_members(c, k, of_pool=False)
            if not 2 <= m <= len(members) // 2:
                raise MetricsError(f"class {c} has {len(members)} reference images; halves of {m} do not fit")
            return feature_stats(self.features[members[:m]])

        return self._cached(("cA", c, m, k), half_a)

    def class_fid(self, mu: np.ndarray, cov: np.ndarray, c: int, m: int) -> float:
        draws = 1 if self.pool is not None else self.splits
        return float(np.mean([frechet_distance(mu, cov, *self.class_stats(c, m, k)) for k in range(draws)]))

    def class_floor(self, c: int, m: int) -> float:
        def one(k: int) -> float:
            members = self._class_members(c, k, of_pool=self.pool is not None)
            start = 0 if self.pool is not None else m  # halves: B follows A
            if len(members) < start + m or m < 2:
                raise MetricsError(f"class {c} has {len(members)} real images; a floor of {m} does not fit")
            real = self.pool if self.pool is not None else self.reference
            return frechet_distance(
                *feature_stats(real.features[members[start : start + m]]), *self.class_stats(c, m, k)
            )

        return self._cached(("cfloor", c, m), lambda: float(np.mean([one(k) for k in range(self.splits)])))


@dataclass(frozen=True)
class _RealData:
    reference: ImageDataset
    source: str
    pool: ImageDataset | None  # training images for the floor; None when the reference is the training data


def _held_out_folder(name: str, train_folder: Path, data_dir: Path | None) -> Path | None:
    """The folder holding the test split next to a training folder (that one first, then the usual search)."""
    from ganstudio.core.data import named

    folders = [train_folder] + [folder for folder, _origin in named.search_locations(name, data_dir)]
    for folder in folders:
        pair = named.find_pair(name, folder, "test")
        if pair is not None and named.other_dataset_of(name, pair[1], "test") is None:
            return folder
    return None


def _load_real(name: str, data_dir: Path | None, log: Callable[[str], None]) -> _RealData:
    """The held-out test split with the training split the floor draws from, when both are found; else the one
    split training would use (found where the data layer looks), which is then the reference for both."""
    from ganstudio.core.data import named

    located = named.locate_dataset(name, data_dir)
    if located is None:
        named.load_named_dataset(name, data_dir=data_dir, log=log)  # raises DataError with the search help
        raise MetricsError(f"{name}: no real images found")
    folder, split = located
    test_folder = _held_out_folder(name, folder, data_dir) if split == "train" else None
    if test_folder is not None:
        test, train = named.read_split(name, test_folder, "test"), named.read_split(name, folder, "train")
        pool_index = np.sort(np.random.default_rng(REFERENCE_SEED).permutation(len(train))[: len(test)])
        pool = replace(train, images=train.images[pool_index], labels=train.labels[pool_index])
        log(
            f"{name}: reference = the held-out test split ({len(test):,} images) from {test_folder}; "
            f"floor = {len(pool):,} training images against it"
        )
        return _RealData(test, str(test_folder), pool)
    dataset = named.read_split(name, folder, split)
    log(
        f"{name}: reference = the training data ({split} split, {len(dataset):,} images, from {folder}; no held-out "
        "split found); floor = two halves of it"
    )
    return _RealData(dataset, str(folder), None)


def _real_set(dataset: ImageDataset, image_size: int, extractor: FeatureExtractor) -> RealSet:
    images = dataset.images
    if image_size != dataset.image_size:
        from ganstudio.core.data import resize_dataset

        images = resize_dataset(dataset, image_size).images
    probs, feats = extractor.run(images)
    return RealSet(images, feats, probs, dataset.labels.copy())


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
    classifier); computing one takes a few seconds (the reference and the floor's pool through the classifier).
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
        real = _load_real(name, data_path, log)
        ref = RealReference(
            name,
            real.reference.split,
            real.source,
            int(image_size),
            _real_set(real.reference, image_size, extractor),
            extractor.class_names,
            pool=_real_set(real.pool, image_size, extractor) if real.pool is not None else None,
        )
        log(f"{name}: real reference features in {time.perf_counter() - start:.1f} s")
        _references[key] = ref
        return ref


def clear_references() -> None:
    with _lock:
        _references.clear()
