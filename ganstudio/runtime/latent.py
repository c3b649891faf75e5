"""Latent-space maths in numpy: seeded sampling, truncation, interpolation and keyframe paths."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def sample_latents(n: int, dim: int, seed: int | None = None, truncation: float = 1.0) -> np.ndarray:
    """(n, dim) float32 standard normal latents; the same seed always gives the same vectors."""
    z = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return truncate(z, truncation)


def truncate(z: np.ndarray, psi: float) -> np.ndarray:
    """Scale latents towards the mean (0): psi < 1 trades diversity for typical, cleaner samples."""
    if psi < 0:
        raise ValueError(f"truncation must be >= 0, got {psi}")
    return (np.asarray(z, np.float32) * np.float32(psi)).astype(np.float32)


def lerp(a: np.ndarray, b: np.ndarray, t: float | np.ndarray) -> np.ndarray:
    weight = np.asarray(t, np.float32)[..., None] if np.ndim(t) else np.float32(t)
    return ((1 - weight) * a + weight * b).astype(np.float32)


def slerp(a: np.ndarray, b: np.ndarray, t: float | np.ndarray) -> np.ndarray:
    """Spherical interpolation: keeps the norm typical of Gaussian latents, unlike lerp's dip at t=0.5."""
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    t = np.asarray(t, np.float64)
    t_col = t[..., None] if t.ndim else t
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na < 1e-12 or nb < 1e-12:
        return lerp(a, b, t).astype(np.float32)
    cos = np.clip(np.dot(a / na, b / nb), -1.0, 1.0)
    omega = np.arccos(cos)
    if omega < 1e-6 or np.pi - omega < 1e-3:
        # Parallel or opposite vectors: the great circle is undefined (sin(omega) ~ 0), so fall back to lerp.
        return lerp(a, b, t).astype(np.float32)
    so = np.sin(omega)
    out = (np.sin((1 - t_col) * omega) / so) * a + (np.sin(t_col * omega) / so) * b
    return out.astype(np.float32)


def interpolate(a: np.ndarray, b: np.ndarray, steps: int, spherical: bool = False) -> np.ndarray:
    """(steps, dim) latents from a to b inclusive."""
    if steps < 2:
        raise ValueError(f"an interpolation needs at least 2 steps, got {steps}")
    t = np.linspace(0.0, 1.0, steps)
    return slerp(a, b, t) if spherical else lerp(a, b, t.astype(np.float32))


def keyframe_path(
    keyframes: np.ndarray, steps_per_segment: int, spherical: bool = False, closed: bool = False
) -> np.ndarray:
    """Latents through keyframes (K, dim) in order; each keyframe appears once. closed=True returns to the start."""
    keys = np.asarray(keyframes, np.float32)
    if keys.ndim != 2 or len(keys) < 2:
        raise ValueError("a path needs at least 2 keyframes of shape (K, dim)")
    if closed:
        keys = np.concatenate([keys, keys[:1]])
    segments = [interpolate(keys[i], keys[i + 1], steps_per_segment, spherical)[:-1] for i in range(len(keys) - 1)]
    if not closed:
        segments.append(keys[-1:])
    return np.concatenate(segments).astype(np.float32)


@dataclass(frozen=True)
class Batch:
    """Latents ready for a generator: z truncated (N, latent_dim), labels (N,) or None, plus the class blend."""

    z: np.ndarray
    labels: np.ndarray | None
    blend: tuple[int, float] | None = None  # (label_b, t): morph every label towards label_b by t
