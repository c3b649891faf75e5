"""Properties of the latent-space maths the explorer relies on."""

from __future__ import annotations

import numpy as np
import pytest

from ganstudio.runtime.latent import interpolate, keyframe_path, lerp, sample_latents, slerp, truncate


def test_sampling_is_seeded_and_float32() -> None:
    a = sample_latents(4, 16, seed=7)
    assert a.shape == (4, 16) and a.dtype == np.float32
    np.testing.assert_array_equal(a, sample_latents(4, 16, seed=7))
    assert not np.array_equal(a, sample_latents(4, 16, seed=8))


def test_truncation_scales_towards_zero() -> None:
    full = sample_latents(3, 8, seed=1)
    np.testing.assert_allclose(sample_latents(3, 8, seed=1, truncation=0.5), 0.5 * full, rtol=1e-6)
    np.testing.assert_array_equal(truncate(full, 0.0), np.zeros_like(full))
    assert truncate(full.astype(np.float64), 0.7).dtype == np.float32
    with pytest.raises(ValueError):
        truncate(full, -0.1)


def _pair(dim: int = 16, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.standard_normal(dim).astype(np.float32), rng.standard_normal(dim).astype(np.float32)


@pytest.mark.parametrize("fn", [lerp, slerp])
def test_interpolation_endpoints_are_the_inputs(fn) -> None:
    a, b = _pair()
    np.testing.assert_allclose(fn(a, b, 0.0), a, atol=1e-5)
    np.testing.assert_allclose(fn(a, b, 1.0), b, atol=1e-5)
    path = fn(a, b, np.array([0.0, 0.5, 1.0]))
    assert path.shape == (3, 16) and path.dtype == np.float32
    np.testing.assert_allclose(path[0], a, atol=1e-5)
    np.testing.assert_allclose(path[-1], b, atol=1e-5)


def test_slerp_keeps_norm_where_lerp_dips() -> None:
    a, b = _pair(64)
    b = b * (np.linalg.norm(a) / np.linalg.norm(b))  # equal norms: slerp should stay on the sphere
    t = np.linspace(0.0, 1.0, 17)
    norms = np.linalg.norm(slerp(a, b, t), axis=1)
    np.testing.assert_allclose(norms, np.linalg.norm(a), rtol=1e-4)
    assert np.linalg.norm(lerp(a, b, 0.5)) < 0.9 * np.linalg.norm(a)


def test_slerp_norms_stay_between_endpoint_norms() -> None:
    # Holds whenever the angle between a and b is at most 90 degrees (typical latents are near-orthogonal).
    rng = np.random.default_rng(3)
    t = np.linspace(0.0, 1.0, 33)
    for _ in range(20):
        a, b = rng.standard_normal(8), rng.standard_normal(8) * rng.uniform(0.3, 3.0)
        if np.dot(a, b) < 0:
            b = -b
        norms = np.linalg.norm(slerp(a, b, t), axis=1)
        lo, hi = sorted((np.linalg.norm(a), np.linalg.norm(b)))
        assert norms.min() >= lo * (1 - 1e-5) and norms.max() <= hi * (1 + 1e-5)


def test_parallel_vectors_fall_back_to_lerp() -> None:
    a = np.ones(4, np.float32)
    np.testing.assert_allclose(slerp(a, 2 * a, 0.5), 1.5 * a, rtol=1e-6)
    np.testing.assert_allclose(slerp(np.zeros(4), a, 0.25), 0.25 * a, rtol=1e-6)


@pytest.mark.parametrize("spherical", [False, True])
def test_interpolate_is_inclusive(spherical: bool) -> None:
    a, b = _pair()
    path = interpolate(a, b, 5, spherical=spherical)
    assert path.shape == (5, 16) and path.dtype == np.float32
    np.testing.assert_allclose(path[0], a, atol=1e-5)
    np.testing.assert_allclose(path[-1], b, atol=1e-5)


@pytest.mark.parametrize("steps", [1, 0, -3])
def test_interpolate_rejects_fewer_than_two_steps(steps: int) -> None:
    a, b = _pair()
    with pytest.raises(ValueError, match="at least 2 steps"):
        interpolate(a, b, steps)


@pytest.mark.parametrize("spherical", [False, True])
@pytest.mark.parametrize("closed", [False, True])
def test_keyframe_path_passes_through_each_keyframe(spherical: bool, closed: bool) -> None:
    keys = sample_latents(4, 8, seed=5)
    steps = 6
    path = keyframe_path(keys, steps, spherical=spherical, closed=closed)
    segments = len(keys) if closed else len(keys) - 1
    expected_len = segments * (steps - 1) + (0 if closed else 1)
    assert path.shape == (expected_len, 8) and path.dtype == np.float32
    for i, key in enumerate(keys):
        np.testing.assert_allclose(path[i * (steps - 1)], key, atol=1e-5)
    if closed:  # the loop's last frame leads back into the first without repeating it
        assert not np.allclose(path[-1], keys[0])
    else:
        np.testing.assert_allclose(path[-1], keys[-1], atol=1e-5)


def test_keyframe_path_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        keyframe_path(sample_latents(1, 8, seed=0), 4)
    with pytest.raises(ValueError):
        keyframe_path(np.zeros(8), 4)
    with pytest.raises(ValueError):
        keyframe_path(sample_latents(3, 8, seed=0), 1)
