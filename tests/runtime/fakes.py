"""A tiny numpy generator for runtime tests: G(z) draws a bright square whose position and size z chooses."""

from __future__ import annotations

import numpy as np

from ganstudio.runtime.model_info import ModelInfo

SIZE = 28


def fake_info(latent_dim: int = 4, num_classes: int = 0, dataset: str = "mnist") -> ModelInfo:
    return ModelInfo(
        latent_dim=latent_dim,
        num_classes=num_classes,
        class_names=tuple(str(i) for i in range(num_classes)),
        image_size=SIZE,
        channels=1,
        dataset=dataset,
        arch="fake",
        loss="",
        source="",
        backend="numpy",
    )


class SquareGenerator:
    """Deterministic and smooth in z, so the best random latent of a known target is findable."""

    supports_class_blend = False
    device_name = "CPU"

    def __init__(self, latent_dim: int = 4, num_classes: int = 0) -> None:
        self.info = fake_info(latent_dim, num_classes)
        self.calls = 0

    def generate(self, z: np.ndarray, labels: np.ndarray | None = None) -> np.ndarray:
        self.calls += 1
        z = np.asarray(z, np.float32)
        ys, xs = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32)
        cy = 14 + 4 * np.tanh(z[:, 0])[:, None, None]
        cx = 14 + 4 * np.tanh(z[:, 1])[:, None, None]
        r = 5 + 2 * np.tanh(z[:, 2])[:, None, None]
        images = 1.0 / (1.0 + np.exp(np.clip(((ys - cy) ** 2 + (xs - cx) ** 2 - r**2) / 4.0, -50, 50)))
        return images[:, None].astype(np.float32)

    def generate_blend(self, z: np.ndarray, labels_a: np.ndarray, labels_b: np.ndarray, t: float) -> np.ndarray:
        raise NotImplementedError

    def close(self) -> None:
        pass
