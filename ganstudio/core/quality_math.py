"""The numpy maths behind the quality metrics: Frechet distance, class histograms, KL, inception score.

No torch, no onnxruntime, no Qt: everything here works on plain arrays of classifier outputs.
"""

from __future__ import annotations

import numpy as np

from ganstudio.errors import GanStudioError

COVERAGE_THRESHOLD = 0.05  # a class is "covered" when it gets at least this fraction of the samples
KL_EPS = 1e-6


class MetricsError(GanStudioError):
    """The inputs cannot be evaluated (wrong shape, wrong range, too few samples, ...); the message says why."""


def held_out_split(n: int, n_held_out: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train indices, held-out indices), both sorted: held-out = the first n_held_out of a seeded permutation.

    `np.random.default_rng(seed).permutation(n)`; the MNIST classifier uses n=10,000, n_held_out=2,000, seed=0.
    """
    if not 0 < n_held_out < n:
        raise ValueError(f"cannot hold out {n_held_out} of {n} items")
    perm = np.random.default_rng(seed).permutation(n)
    return np.sort(perm[n_held_out:]), np.sort(perm[:n_held_out])


def feature_stats(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean (D,) and covariance (D, D) (unbiased, ddof=1) in float64 of (N, D) features, N >= 2."""
    feats = np.asarray(features, dtype=np.float64)
    if feats.ndim != 2 or feats.shape[0] < 2:
        raise MetricsError(f"feature statistics need (N, D) features with N >= 2, got shape {feats.shape}")
    if not np.isfinite(feats).all():
        raise MetricsError("features contain NaN or infinite values")
    mu = feats.mean(axis=0)
    centred = feats - mu
    cov = centred.T @ centred / (len(feats) - 1)
    return mu, cov


def _sqrt_psd(matrix: np.ndarray) -> np.ndarray:
    """Symmetric square root of a (numerically) positive semi-definite matrix; tiny negative eigenvalues -> 0."""
    sym = (matrix + matrix.T) * 0.5
    w, v = np.linalg.eigh(sym)
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T


def frechet_distance(mu1: np.ndarray, cov1: np.ndarray, mu2: np.ndarray, cov2: np.ndarray) -> float:
    """Frechet distance between N(mu1, cov1) and N(mu2, cov2):

        |mu1 - mu2|^2 + tr(C1) + tr(C2) - 2 tr(sqrt(C1 C2))

    C1 C2 is not symmetric, but it is similar to S C2 S with S = sqrt(C1) (symmetric PSD), so
    tr(sqrt(C1 C2)) = sum_i sqrt(eig_i(S C2 S)); both steps use `eigh` on symmetric matrices, which stays
    stable for singular covariances (fewer samples than dimensions), where scipy.linalg.sqrtm needs an
    epsilon-on-the-diagonal retry. Eigenvalues below zero from round-off are clipped. Result >= 0.
    """
    mu1, mu2 = np.asarray(mu1, np.float64).ravel(), np.asarray(mu2, np.float64).ravel()
    cov1, cov2 = np.atleast_2d(np.asarray(cov1, np.float64)), np.atleast_2d(np.asarray(cov2, np.float64))
    d = mu1.shape[0]
    if mu2.shape != (d,) or cov1.shape != (d, d) or cov2.shape != (d, d):
        raise MetricsError(f"mismatched statistics: mu {mu1.shape} / {mu2.shape}, cov {cov1.shape} / {cov2.shape}")
    if not all(np.isfinite(a).all() for a in (mu1, mu2, cov1, cov2)):
        raise MetricsError("statistics contain NaN or infinite values")
    s1 = _sqrt_psd(cov1)
    product = s1 @ cov2 @ s1
    eig = np.linalg.eigvalsh((product + product.T) * 0.5)
    tr_sqrt = float(np.sqrt(np.clip(eig, 0.0, None)).sum())
    diff = mu1 - mu2
    value = float(diff @ diff) + float(np.trace(cov1)) + float(np.trace(cov2)) - 2.0 * tr_sqrt
    return max(value, 0.0)


def softmax(logits: np.ndarray) -> np.ndarray:
    x = np.asarray(logits, np.float64)
    x = x - x.max(axis=1, keepdims=True)
    e = np.exp(x)
    return e / e.sum(axis=1, keepdims=True)


def class_histogram(probs: np.ndarray, num_classes: int) -> np.ndarray:
    """The fraction of samples whose most probable class is c, for every class c."""
    counts = np.bincount(np.argmax(probs, axis=1), minlength=num_classes)[:num_classes]
    return counts / max(len(probs), 1)


def kl_divergence(p: np.ndarray, q: np.ndarray, eps: float = KL_EPS) -> float:
    """KL(p || q) for histograms; eps keeps empty bins finite, then both are renormalised."""
    p = np.asarray(p, np.float64) + eps
    q = np.asarray(q, np.float64) + eps
    p, q = p / p.sum(), q / q.sum()
    return float(np.sum(p * np.log(p / q)))


def inception_score(probs: np.ndarray, eps: float = 1e-12) -> float:
    """exp(E_x[KL(p(y|x) || p(y))]) of (N, K) class probabilities."""
    p = np.asarray(probs, np.float64)
    p_y = p.mean(axis=0, keepdims=True)
    kl = np.sum(p * (np.log(p + eps) - np.log(p_y + eps)), axis=1)
    return float(np.exp(kl.mean()))
