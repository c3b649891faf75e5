"""Is it copying? A sample's nearest training images, and the memorisation ratio of a batch (torch-free).

Two spaces: pixels (Euclidean distance of [0, 1] images) and the shipped classifier's penultimate features
(what the digit looks like to a network, blind to a one-pixel shift). The ratio is

    mean over samples of the distance to their nearest training image
    ------------------------------------------------------------------
    mean over held-out real images of the distance to their nearest training image

About 1: samples are as far from the training set as new real digits are (it generalises); well below 1: samples
sit on training images (it copies). "Training" is the split the generator was trained on, read from the model
(the shipped MNIST generators were trained on MNIST's 60,000-image train split; "held-out" is then the test split).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from ganstudio.errors import GanStudioError
from ganstudio.runtime.digit_classifier import DigitClassifier, dataset_classifier
from ganstudio.runtime.model_info import ModelInfo

if TYPE_CHECKING:
    from ganstudio.runtime.backends import GeneratorBackend

Space = Literal["pixel", "feature"]
SPLITS = ("train", "test")
RATIO_SAMPLES = 500
_CHUNK = 1000


class NearestError(GanStudioError):
    """The training images or the classifier needed to compare against are not available."""


@dataclass(frozen=True)
class Neighbours:
    space: Space
    indices: np.ndarray  # (M, k) rows into the training images, nearest first
    distances: np.ndarray  # (M, k) float32


@dataclass(frozen=True)
class CopyingRatio:
    space: Space
    ratio: float
    sample_mean: float  # mean distance of the samples to their nearest training image
    held_out_mean: float  # the same for held-out real images
    samples: int
    held_out: int

    def to_dict(self) -> dict[str, float | int | str]:
        return dict(self.__dict__)


def training_split(info: ModelInfo) -> str:
    """The split the generator was trained on: the model's own record ("dataset_split"), else "train"."""
    split = info.summary.get("dataset_split", "train")
    return split if split in SPLITS else "train"


def other_split(split: str) -> str:
    return "test" if split == "train" else "train"


def load_split(dataset: str, split: str, data_dir: Path | str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(images (N, 1, 28, 28) uint8, labels (N,)) of one split of MNIST / Fashion-MNIST, read with numpy."""
    from ganstudio.core.data import DataError, builtin_dataset, named

    name = builtin_dataset(dataset) if dataset else None
    if name is None:
        raise NearestError(
            f"nearest training images need MNIST or Fashion-MNIST; this model was trained on {dataset!r}"
        )
    folder = next(
        (
            f
            for f, _ in named.search_locations(name, Path(data_dir) if data_dir else None)
            if named.find_pair(name, f, split)
        ),
        None,
    )
    if folder is None:
        raise NearestError(f"the {split} split of {name} was not found (give its folder with --data-dir)")
    try:
        ds = named.read_split(name, folder, split)
    except DataError as exc:
        raise NearestError(str(exc)) from exc
    return ds.images, ds.labels


def _flat(images: np.ndarray) -> np.ndarray:
    arr = np.asarray(images)
    flat = arr.reshape(len(arr), -1).astype(np.float32)
    return flat / 255.0 if arr.dtype == np.uint8 else flat


def _knn(queries: np.ndarray, base: np.ndarray, base_sq: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact k nearest rows of `base` for each query row (Euclidean), chunked to bound memory."""
    k = min(k, len(base))
    all_idx, all_dist = [], []
    for start in range(0, len(queries), _CHUNK):
        q = queries[start : start + _CHUNK]
        d2 = (q * q).sum(axis=1, keepdims=True) - 2.0 * (q @ base.T) + base_sq[None]  # (m, N)
        idx = np.argpartition(d2, k - 1, axis=1)[:, :k]
        part = np.take_along_axis(d2, idx, axis=1)
        order = np.argsort(part, axis=1)
        all_idx.append(np.take_along_axis(idx, order, axis=1))
        all_dist.append(np.sqrt(np.maximum(np.take_along_axis(part, order, axis=1), 0.0)))
    return np.concatenate(all_idx), np.concatenate(all_dist).astype(np.float32)


class NearestIndex:
    """The training images of one model, searchable by pixels and (when a classifier is given) by features."""

    def __init__(self, images: np.ndarray, labels: np.ndarray, extractor: DigitClassifier | None = None) -> None:
        self.images = np.asarray(images)  # (N, C, H, W) as stored (uint8 for the built-in datasets)
        self.labels = np.asarray(labels)
        self._pixels = _flat(self.images)
        self._pixels_sq = (self._pixels * self._pixels).sum(axis=1)
        self._extractor = extractor
        self._features: np.ndarray | None = None
        self._features_sq: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.images)

    @property
    def has_features(self) -> bool:
        return self._extractor is not None

    def _feature_base(self) -> tuple[np.ndarray, np.ndarray]:
        if self._extractor is None:
            raise NearestError("feature-space neighbours need the dataset's classifier")
        if self._features is None:  # computed once: ~10,000 images a second with the shipped classifier
            self._features = self._extractor.run(self.images)[1]
            self._features_sq = (self._features * self._features).sum(axis=1)
        assert self._features_sq is not None
        return self._features, self._features_sq

    def features_of(self, images: np.ndarray) -> np.ndarray:
        if self._extractor is None:
            raise NearestError("feature-space neighbours need the dataset's classifier")
        return self._extractor.run(images)[1]

    def nearest(self, images: np.ndarray, k: int, space: Space = "pixel") -> Neighbours:
        """The k nearest training images of each of `images` (M, C, H, W) in [0, 1] (or uint8)."""
        if k < 1:
            raise ValueError(f"k must be >= 1, got {k}")
        if space == "pixel":
            idx, dist = _knn(_flat(images), self._pixels, self._pixels_sq, k)
        else:
            base, base_sq = self._feature_base()
            idx, dist = _knn(self.features_of(images), base, base_sq, k)
        return Neighbours(space, idx, dist)

    def ratio(self, samples: np.ndarray, held_out: np.ndarray, space: Space = "pixel") -> CopyingRatio:
        """Mean nearest-training distance of samples over that of held-out real images (see the module doc)."""
        sample_mean = float(self.nearest(samples, 1, space).distances.mean())
        held_mean = float(self.nearest(held_out, 1, space).distances.mean())
        ratio = sample_mean / held_mean if held_mean > 0 else float("nan")
        return CopyingRatio(space, ratio, sample_mean, held_mean, len(samples), len(held_out))


def spaces_of(index: NearestIndex) -> tuple[Space, ...]:
    return ("pixel", "feature") if index.has_features else ("pixel",)


def nearest_index_for(info: ModelInfo, data_dir: Path | str | None = None, features: bool = True) -> NearestIndex:
    """The training images of this model's dataset split, with the dataset's classifier when it is shipped."""
    images, labels = load_split(info.dataset, training_split(info), data_dir)
    return NearestIndex(images, labels, dataset_classifier(info.dataset) if features else None)


def held_out_images(info: ModelInfo, n: int, seed: int = 0, data_dir: Path | str | None = None) -> np.ndarray:
    """n real images from the split the generator was not trained on (a fixed random subset)."""
    images, _ = load_split(info.dataset, other_split(training_split(info)), data_dir)
    pick = np.random.default_rng(seed).choice(len(images), size=min(n, len(images)), replace=False)
    return images[np.sort(pick)]


def copying_ratios(
    backend: GeneratorBackend, index: NearestIndex, n: int, seed: int, data_dir: Path | str | None = None
) -> list[CopyingRatio]:
    """The copying ratio of n samples (seeded; classes in turn for a conditional model) against n held-out real
    images, in every space the index offers."""
    from ganstudio.runtime.latent import sample_latents

    info = backend.info
    labels = np.arange(n) % info.num_classes if info.conditional else None
    batch = backend.generate(sample_latents(n, info.latent_dim, seed, 1.0), labels)
    held = held_out_images(info, n, seed, data_dir)
    return [index.ratio(batch, held, space) for space in spaces_of(index)]


def describe_ratio(ratio: CopyingRatio) -> str:
    return (
        f"copying ratio ({ratio.space}): {ratio.ratio:.3f} = {ratio.sample_mean:.3f} / {ratio.held_out_mean:.3f} "
        f"(about 1 generalises, well below 1 copies)"
    )
