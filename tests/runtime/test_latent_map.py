"""The latent map: embedding, out-of-sample placement, the per-model cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ganstudio.runtime import latent_map as lm
from tests.runtime.fakes import SquareGenerator


def pca_2d(features: np.ndarray, _seed: int) -> np.ndarray:
    """A fast stand-in for t-SNE where the test is about the rest of the map."""
    centred = features - features.mean(axis=0)
    return (centred @ np.linalg.svd(centred, full_matrices=False)[2][:2].T).astype(np.float32)


@pytest.mark.slow
def test_a_tsne_map_embeds_every_sample_and_places_its_own_samples_where_they_are():
    result = lm.compute_latent_map(SquareGenerator(), lm.pixel_features, n=120)
    assert result.points.shape == (120, 2) and result.thumbnails.shape == (120, 1, 28, 28)
    assert (result.classes == -1).all() and result.labels is None and "pixels" in result.method
    placed = result.place_features(result.features[:10])
    spread = np.ptp(result.points, axis=0).max()
    assert np.median(np.abs(placed - result.points[:10])) < 1e-3 * spread  # (the fake draws a few duplicates)


def test_maps_are_cached_per_model_file(tmp_path: Path, monkeypatch):
    model = tmp_path / "m.onnx"
    model.write_bytes(b"model bytes")
    monkeypatch.setattr(lm, "MAP_SAMPLES", 60)
    monkeypatch.setattr(lm, "embed_2d", pca_2d)
    first = lm.latent_map_for(SquareGenerator(), model, lm.pixel_features, cache_root=tmp_path)
    assert lm.cache_path(lm.file_sha256(model), tmp_path).is_file()

    def no_compute(*_args, **_kwargs):
        raise AssertionError("the cached map should have been used")

    monkeypatch.setattr(lm, "compute_latent_map", no_compute)
    again = lm.latent_map_for(SquareGenerator(), model, lm.pixel_features, cache_root=tmp_path)
    assert np.array_equal(again.points, first.points) and again.method == first.method


def test_a_cancelled_map_raises():
    with pytest.raises(lm.LatentMapCancelled):
        lm.compute_latent_map(SquareGenerator(), lm.pixel_features, n=60, cancel=lambda: True)
