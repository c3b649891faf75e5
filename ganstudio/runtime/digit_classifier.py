"""The shipped class reader (`models/<dataset>-classifier.onnx`) run by onnxruntime, for exploring.

core.feature_extractor runs the same file for the quality metrics (probabilities and FID features, any image
size); exploring needs only the logits of the generator's own 28x28 grey images, and must not pull core into
the runtime layer. numpy + onnxruntime only.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np

from ganstudio.paths import models_dir
from ganstudio.runtime.model_info import ModelInfo

CLASSIFIER_SIZE = 28  # the shipped classifiers take float32 [N, 1, 28, 28] in [0, 1]


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


class DigitClassifier:
    """images (N, 1, 28, 28) in [0, 1] -> logits (N, classes). Thread-safe (onnxruntime sessions are)."""

    def __init__(self, path: Path, threads: int = 1) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = max(0, threads)
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        self.path = Path(path)
        self._session: Any = ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])
        self.num_classes = int(self._session.get_outputs()[0].shape[1] or 10)

    def logits(self, images: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(np.clip(images, 0.0, 1.0), np.float32)
        return np.asarray(self._session.run(["logits"], {"image": x})[0], np.float64)

    def classes(self, images: np.ndarray) -> np.ndarray:
        return self.logits(images).argmax(axis=1)


_lock = threading.Lock()
_cache: dict[str, DigitClassifier] = {}


def classifier_for(info: ModelInfo) -> DigitClassifier | None:
    """The shipped classifier that reads this model's images, or None (another dataset, size or colour)."""
    if info.image_size != CLASSIFIER_SIZE or info.channels != 1 or not info.dataset:
        return None
    path = models_dir() / f"{info.dataset.lower()}-classifier.onnx"
    if not path.is_file():
        return None
    key = str(path.resolve())
    with _lock:
        if key not in _cache:
            try:
                _cache[key] = DigitClassifier(path)
            except Exception:  # a damaged classifier only costs the class overlay, never the model
                return None
        return _cache[key]
