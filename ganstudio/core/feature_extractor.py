"""The shipped classifier of a built-in dataset, run by onnxruntime: images -> (class probabilities, features).

Its 256 penultimate activations are the FID feature space; its softmax gives the class statistics. Classifiers
live in the models folder (`ganstudio.paths.models_dir()`) as `<dataset>-classifier.onnx`, made by
`python -m ganstudio.recipes.train_classifier`. numpy + onnxruntime (through runtime.digit_classifier) only.
"""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path

import numpy as np

from ganstudio.core.data import builtin_dataset
from ganstudio.core.quality_math import MetricsError
from ganstudio.paths import MODELS_ENV_VAR, models_dir
from ganstudio.runtime.digit_classifier import CLASSIFIER_SIZE, ClassifierError, DigitClassifier

FEATURE_DIM = 256  # width of the classifier's penultimate layer (the FID feature space)
_BATCH = 500


def _area_matrix(src: int, dst: int) -> np.ndarray:
    """(dst, src) weights of area (box) resampling: output pixel i averages input [i*src/dst, (i+1)*src/dst)."""
    scale = src / dst
    lo = np.arange(dst)[:, None] * scale
    hi = lo + scale
    j = np.arange(src)[None, :]
    overlap = np.clip(np.minimum(hi, j + 1) - np.maximum(lo, j), 0.0, None)
    return (overlap / overlap.sum(axis=1, keepdims=True)).astype(np.float32)


def _check_shape(arr: np.ndarray) -> None:
    if arr.ndim != 4 or arr.shape[0] < 1:
        raise MetricsError(f"images must be an (N, C, H, W) array with N >= 1, got shape {arr.shape}")
    if arr.shape[1] not in (1, 3):
        raise MetricsError(f"images must have 1 or 3 channels, got {arr.shape[1]} (shape {arr.shape})")
    if arr.shape[2] < 4 or arr.shape[3] < 4:
        raise MetricsError(f"images of {arr.shape[2]}x{arr.shape[3]} pixels are too small to evaluate")


def _to_unit_float(arr: np.ndarray) -> np.ndarray:
    """uint8 as 0..255, floats checked to lie in [0, 1] (with a hint for tanh output) -> float32 in [0, 1]."""
    if arr.dtype == np.uint8:
        return arr.astype(np.float32) / np.float32(255.0)
    if arr.dtype.kind not in "fiu":
        raise MetricsError(f"images must be uint8 or float, got {arr.dtype}")
    x = arr.astype(np.float32, copy=False)
    if not np.isfinite(x).all():
        raise MetricsError("images contain NaN or infinite values (did training diverge?)")
    lo, hi = float(x.min()), float(x.max())
    if lo < -0.01 or hi > 1.01:
        raise MetricsError(
            f"float images must be in [0, 1], these span [{lo:.3g}, {hi:.3g}]"
            + ("; convert tanh output with (x + 1) / 2" if lo < -0.01 and hi <= 1.01 else "")
        )
    return np.clip(x, 0.0, 1.0)


def prepare_images(images: np.ndarray) -> np.ndarray:
    """Any (N, C, H, W) batch -> float32 (N, 1, 28, 28) in [0, 1], what the classifier takes.

    uint8 is read as 0..255; floats must be in [0, 1] (a generator's tanh output in [-1, 1] is refused with a
    hint). 3 channels become luminance (ITU-R 601 weights, as the data layer uses); other sizes are resized to
    28x28 by area averaging (exact box filter: 56 -> 28 averages 2x2 blocks; 32/64 -> 28 blends neighbours).
    """
    arr = np.asarray(images)
    if arr.ndim == 3:  # (N, H, W): grey without a channel axis
        arr = arr[:, None]
    _check_shape(arr)
    x = _to_unit_float(arr)
    if x.shape[1] == 3:
        weights = np.array([0.299, 0.587, 0.114], np.float32).reshape(1, 3, 1, 1)
        x = (x * weights).sum(axis=1, keepdims=True)
    h, w = x.shape[2:]
    if (h, w) != (CLASSIFIER_SIZE, CLASSIFIER_SIZE):
        rows, cols = _area_matrix(h, CLASSIFIER_SIZE), _area_matrix(w, CLASSIFIER_SIZE)
        x = np.einsum("ih,nchw,jw->ncij", rows, x, cols, optimize=True)
    return np.ascontiguousarray(x, dtype=np.float32)


def classifier_path(dataset: str, directory: Path | None = None) -> Path:
    """`<models folder>/<dataset>-classifier.onnx` (any accepted spelling of a built-in dataset's name)."""
    name = builtin_dataset(dataset) or dataset
    return Path(directory if directory is not None else models_dir()) / f"{name}-classifier.onnx"


def missing_classifier_reason(dataset: str, path: Path) -> str:
    return (
        f"the {dataset} classifier {path} is missing; create it with "
        f"`python -m ganstudio.recipes.train_classifier {dataset}` or point "
        f"{MODELS_ENV_VAR} at the folder holding it"
    )


class FeatureExtractor:
    """The shipped classifier of a dataset (runtime.digit_classifier runs it): any images -> (class
    probabilities, features), with the metrics' errors. Thread-safe."""

    def __init__(
        self, dataset_name: str, models_path: Path | None = None, threads: int = 2, batch_size: int = _BATCH
    ) -> None:
        name = builtin_dataset(dataset_name)
        if name is None:
            raise MetricsError(
                f"no classifier for {dataset_name!r}: GAN Studio ships classifiers for MNIST and Fashion-MNIST only"
            )
        self.dataset = name
        self.path = classifier_path(name, models_path)
        if not self.path.is_file():
            raise MetricsError(missing_classifier_reason(name, self.path))
        try:
            self._classifier = DigitClassifier(self.path, threads, batch_size)
        except ClassifierError as exc:
            raise MetricsError(str(exc)) from exc
        self.batch_size = batch_size
        self.metadata = self._classifier.metadata
        self.num_classes = self._classifier.num_classes
        self.class_names = self._class_names()
        self.held_out_accuracy = self._held_out_accuracy()
        self.sha256 = hashlib.sha256(self.path.read_bytes()).hexdigest()

    def _class_names(self) -> tuple[str, ...]:
        try:
            names = tuple(str(n) for n in json.loads(self.metadata.get("class_names", "[]")))
        except json.JSONDecodeError:
            names = ()
        return names if len(names) == self.num_classes else tuple(str(i) for i in range(self.num_classes))

    def _held_out_accuracy(self) -> float | None:
        try:
            return float(self.metadata["held_out_accuracy"])
        except (KeyError, ValueError):
            return None

    def run(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(N, C, H, W) images (see prepare_images) -> probs (N, 10) float64, features (N, 256) float32."""
        return self._classifier.run(prepare_images(images))

    def __repr__(self) -> str:
        return f"FeatureExtractor({self.dataset!r}, path={str(self.path)!r})"


_lock = threading.Lock()  # the GUI evaluates from a worker thread while the CLI may not
_extractors: dict[tuple[str, str], FeatureExtractor] = {}


def get_extractor(dataset: str, models_path: Path | None = None) -> FeatureExtractor:
    """A cached FeatureExtractor per (dataset, classifier file). Raises MetricsError when there is none."""
    name = builtin_dataset(dataset) or dataset
    key = (name, str(classifier_path(name, models_path).resolve()))
    with _lock:
        if key not in _extractors:
            _extractors[key] = FeatureExtractor(name, models_path)
        return _extractors[key]


def clear_extractors() -> None:
    with _lock:
        _extractors.clear()
