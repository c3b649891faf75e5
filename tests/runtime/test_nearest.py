"""Nearest training images and the copying ratio."""

from __future__ import annotations

import numpy as np
import pytest

from ganstudio.runtime.nearest import NearestIndex, other_split, training_split
from tests.runtime.fakes import fake_info


def _images(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, 1, 28, 28), dtype=np.uint8)


def test_nearest_matches_brute_force_and_finds_a_training_image_itself():
    train = _images(300, 0)
    index = NearestIndex(train, np.arange(300) % 10)
    queries = np.random.default_rng(1).random((5, 1, 28, 28)).astype(np.float32)
    found = index.nearest(queries, 4)
    flat = train.reshape(300, -1).astype(np.float64) / 255
    brute = np.sqrt(((queries.reshape(5, 1, -1) - flat[None]) ** 2).sum(-1))
    assert np.array_equal(found.indices, np.argsort(brute, axis=1)[:, :4])
    assert np.allclose(found.distances, np.sort(brute, axis=1)[:, :4], atol=1e-3)
    itself = index.nearest(train[17:18].astype(np.float32) / 255, 1)
    assert itself.indices[0, 0] == 17 and itself.distances[0, 0] == pytest.approx(0, abs=1e-2)


def test_the_ratio_is_near_zero_for_copies_and_near_one_for_new_images_of_the_same_kind():
    train = _images(400, 0)
    index = NearestIndex(train, np.zeros(400))
    held_out = _images(100, 1)
    copies = train[:100]
    assert index.ratio(copies, held_out).ratio < 0.05
    assert index.ratio(_images(100, 2), held_out).ratio == pytest.approx(1.0, abs=0.05)


def test_the_training_split_comes_from_the_model_summary():
    info = fake_info()
    assert training_split(info) == "train"
    shipped = type(info)(**{**info.__dict__, "summary": {"dataset_split": "test"}})
    assert training_split(shipped) == "test" and other_split("test") == "train"


def test_feature_space_needs_a_classifier():
    from ganstudio.runtime.nearest import NearestError

    index = NearestIndex(_images(10, 0), np.zeros(10))
    assert not index.has_features
    with pytest.raises(NearestError):
        index.nearest(_images(1, 1), 1, "feature")
