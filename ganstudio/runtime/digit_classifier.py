"""The shipped class reader (`models/<dataset>-classifier.onnx`) run by onnxruntime: the one place it is opened.

Exploring uses it for class overlays and class directions (logits of the generator's own 28x28 grey images),
the latent map and nearest training images use its penultimate features, and core.feature_extractor wraps it
for the quality metrics (adding resizing to 28x28 and the metrics' own errors). numpy + onnxruntime only.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np

from ganstudio.errors import GanStudioError
from ganstudio.paths import models_dir
from ganstudio.runtime.model_info import ModelInfo
from ganstudio.runtime.onnx_session import open_session

CLASSIFIER_SIZE = 28  # the shipped classifiers take float32 [N, 1, 28, 28] in [0, 1]
BATCH = 500


class ClassifierError(GanStudioError, ValueError):
    """A classifier file that cannot be loaded or is not a GAN Studio classifier; the message says which."""


def softmax(logits: np.ndarray) -> np.ndarray:
    x = np.asarray(logits, np.float64)
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


class DigitClassifier:
    """images (N, 1, 28, 28) in [0, 1] (or uint8) -> logits, or class probabilities and features.
    Thread-safe (onnxruntime sessions may run concurrently)."""

    def __init__(self, path: Path | str, threads: int = 1, batch_size: int = BATCH) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.path = Path(path)
        self.batch_size = batch_size
        try:
            self._session: Any = open_session(self.path, threads)
        except Exception as exc:  # onnxruntime's own exception types
            first = (str(exc).splitlines() or [type(exc).__name__])[0]
            raise ClassifierError(f"cannot load the classifier {self.path}: {first}") from exc
        outputs = [o.name for o in self._session.get_outputs()]
        if [i.name for i in self._session.get_inputs()] != ["image"] or set(outputs) != {"logits", "features"}:
            raise ClassifierError(f"{self.path} is not a GAN Studio classifier (inputs image -> logits, features)")
        self.metadata: dict[str, str] = dict(self._session.get_modelmeta().custom_metadata_map)
        self.num_classes = int(self._session.get_outputs()[outputs.index("logits")].shape[1] or 10)

    @staticmethod
    def _unit(images: np.ndarray) -> np.ndarray:
        arr = np.asarray(images)
        x = arr.astype(np.float32) / np.float32(255.0) if arr.dtype == np.uint8 else arr
        return np.ascontiguousarray(np.clip(x, 0.0, 1.0), np.float32)

    def logits(self, images: np.ndarray) -> np.ndarray:
        return np.asarray(self._session.run(["logits"], {"image": self._unit(images)})[0], np.float64)

    def classes(self, images: np.ndarray) -> np.ndarray:
        return self.logits(images).argmax(axis=1)

    def run(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """-> class probabilities (N, classes) float64 and penultimate features (N, F) float32, in batches."""
        x = self._unit(images)
        probs, feats = [], []
        for i in range(0, len(x), self.batch_size):
            logits, features = self._session.run(["logits", "features"], {"image": x[i : i + self.batch_size]})
            probs.append(softmax(logits))
            feats.append(features)
        return np.concatenate(probs), np.concatenate(feats).astype(np.float32, copy=False)


_lock = threading.Lock()
_cache: dict[str, DigitClassifier] = {}


def dataset_classifier(dataset: str, directory: Path | None = None) -> DigitClassifier | None:
    """The shipped classifier of a dataset (cached per file), or None: none shipped, or it does not load (a
    damaged classifier costs the class overlays and feature spaces, never the model)."""
    from ganstudio.core.data.download import builtin_dataset  # numpy-only: the accepted dataset spellings

    name = builtin_dataset(dataset) if dataset else None
    if name is None:
        return None
    path = Path(directory if directory is not None else models_dir()) / f"{name}-classifier.onnx"
    if not path.is_file():
        return None
    key = str(path.resolve())
    with _lock:
        if key not in _cache:
            try:
                _cache[key] = DigitClassifier(path)
            except ClassifierError:
                return None
        return _cache[key]


def classifier_for(info: ModelInfo) -> DigitClassifier | None:
    """The shipped classifier that reads this model's images, or None (another dataset, size or colour)."""
    if info.image_size != CLASSIFIER_SIZE or info.channels != 1:
        return None
    return dataset_classifier(info.dataset)
