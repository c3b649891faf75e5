"""Small shared builders for core tests: tiny datasets and configs that train in milliseconds."""

from __future__ import annotations

import numpy as np

from ganstudio.core.config import ModelConfig, TrainConfig
from ganstudio.core.data.dataset import ImageDataset


def tiny_dataset(n: int = 128, size: int = 28, channels: int = 1, classes: int = 10, seed: int = 0) -> ImageDataset:
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, channels, size, size), dtype=np.uint8)
    labels = rng.integers(0, classes, n).astype(np.int64) if classes else np.zeros(n, np.int64)
    return ImageDataset(images, labels, tuple(str(i) for i in range(classes)), "tiny", "test")


def tiny_model(**changes) -> ModelConfig:
    base = dict(arch="mlp", latent_dim=8, g_width=8, d_width=8)
    base.update(changes)
    return ModelConfig(**base)


def tiny_train(**changes) -> TrainConfig:
    # On the CPU whatever the machine: the tests pin down logic and exact repeatability, which CUDA's atomics
    # do not give; tests/core/test_cuda.py covers the GPU.
    base = dict(dataset="tiny", batch_size=16, steps=6, sample_every=3, checkpoint_every=4, threads=1, device="cpu")
    base.update(changes)
    return TrainConfig(**base)
