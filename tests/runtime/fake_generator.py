"""A numpy generator whose pictures depend on z in known ways, for testing direction finding without onnx.

A bar is drawn on a 28x28 canvas: its brightness follows z[0] (the ink), its horizontal position follows
z[1], its length z[2]; other dimensions do nothing. So the "ink" direction is e0, and PCA sees e1 and e2.
"""

from __future__ import annotations

import numpy as np

from ganstudio.runtime.model_info import ModelInfo


class BarGenerator:
    supports_class_blend = False

    def __init__(self, latent_dim: int = 6) -> None:
        self.info = ModelInfo(latent_dim, 0, (), 28, 1, "bars", "test", "", "", "onnxruntime")
        self.calls = 0

    @property
    def device_name(self) -> str:
        return "CPU"

    def generate(self, z: np.ndarray, labels: np.ndarray | None = None) -> np.ndarray:
        self.calls += 1
        z = np.asarray(z, np.float64)
        n = len(z)
        cols = np.arange(28)[None, None, :]
        rows = np.arange(28)[None, :, None]
        centre = 14 + 3 * np.tanh(z[:, 1])[:, None, None]
        half_length = 6 + 3 * np.tanh(z[:, 2])[:, None, None]
        brightness = 0.5 + 0.4 * np.tanh(z[:, 0])[:, None, None]
        bar = (np.abs(cols - centre) < 2) & (np.abs(rows - 14) < half_length)
        return (bar * brightness).reshape(n, 1, 28, 28).astype(np.float32)

    def generate_blend(self, z: np.ndarray, labels_a: np.ndarray, labels_b: np.ndarray, t: float) -> np.ndarray:
        raise NotImplementedError

    def close(self) -> None:
        pass


class ConditionalBars(BarGenerator):
    """The same bars with 3 classes: the class moves the bar down by 3 rows per class."""

    def __init__(self, latent_dim: int = 6) -> None:
        super().__init__(latent_dim)
        self.info = ModelInfo(latent_dim, 3, ("a", "b", "c"), 28, 1, "bars", "test", "", "", "onnxruntime")
        self.labels_seen: list[np.ndarray] = []

    def generate(self, z: np.ndarray, labels: np.ndarray | None = None) -> np.ndarray:
        assert labels is not None and labels.shape == (len(z),)
        self.labels_seen.append(labels)
        images = super().generate(z)
        return np.stack([np.roll(image, 3 * int(label), axis=1) for image, label in zip(images, labels, strict=True)])
