"""How well generated points cover a distribution: modes covered, the share of high-quality samples, and the
Jensen-Shannon divergence between 2-D histograms.

- A sample is *high quality* when it lies within 3 std of the ideal shape (of an anchor; distributions.py), as in
  the mode-collapse benchmarks of Metz et al. (Unrolled GAN) and Srivastava et al. (VEEGAN).
- A mode is *covered* when at least `COVERED_FRACTION` of a fair share of the samples (n / n_modes) land on it
  with high quality: 20% of a fair share is far above chance for a collapsed G and far below what a covering G
  gives, so the count does not flicker on noise.
- JS: the divergence (base 2, so in [0, 1]) between histograms of the generated points and of an equal number of
  real points on a `JS_BINS` x `JS_BINS` grid over the view box [-3, 3]^2; points outside it fall in the edge
  bins. It is a histogram estimate: two independent real samples of 10,000 points score about 0.004-0.014 on it, not 0
  (`js_floor` reports that number for the same sample size).
Plain numpy, no torch.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ganstudio.core.playground.distributions import VIEW_HALF_WIDTH, Distribution

QUALITY_STDS = 3.0
COVERED_FRACTION = 0.2
JS_BINS = 48
EVAL_SAMPLES = 10_000  # generated points the CLI writes and coverage is measured on
_CHUNK = 2048  # samples per distance block: keeps the (chunk, anchors) matrix near a few MB


@dataclass(frozen=True)
class Coverage:
    modes_covered: int
    modes_total: int
    high_quality: float  # share of all samples within 3 std of the shape, 0..1
    js: float  # Jensen-Shannon divergence of the histograms, bits, 0..1
    js_floor: float  # the same estimate between two real samples of this size

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)

    def summary(self) -> str:
        return (
            f"modes {self.modes_covered}/{self.modes_total}, {100 * self.high_quality:.1f}% high quality, "
            f"JS {self.js:.3f} (real vs real {self.js_floor:.3f})"
        )


def nearest_anchor(points: np.ndarray, anchors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(index of the nearest anchor, distance to it) for each point."""
    index = np.empty(len(points), np.int64)
    distance = np.empty(len(points), np.float64)
    a = anchors.astype(np.float64)
    a_sq = (a * a).sum(1)
    for start in range(0, len(points), _CHUNK):
        p = points[start : start + _CHUNK].astype(np.float64)
        d2 = (p * p).sum(1)[:, None] - 2 * p @ a.T + a_sq[None]
        best = d2.argmin(1)
        index[start : start + len(p)] = best
        distance[start : start + len(p)] = np.sqrt(np.maximum(d2[np.arange(len(p)), best], 0.0))
    return index, distance


def mode_counts(points: np.ndarray, dist: Distribution) -> tuple[np.ndarray, np.ndarray]:
    """(high-quality samples per mode (n_modes,), high-quality mask (n,))."""
    index, distance = nearest_anchor(points, dist.anchors)
    good = distance <= QUALITY_STDS * dist.std
    counts = np.bincount(dist.anchor_mode[index[good]], minlength=dist.n_modes)
    return counts, good


def histogram(points: np.ndarray, bins: int = JS_BINS) -> np.ndarray:
    """Normalised 2-D histogram over the view box; points outside are clipped into the edge bins."""
    edge = VIEW_HALF_WIDTH * (1 - 1e-9)
    clipped = np.clip(points.astype(np.float64), -edge, edge)
    hist, _, _ = np.histogram2d(
        clipped[:, 0], clipped[:, 1], bins=bins, range=[[-VIEW_HALF_WIDTH, VIEW_HALF_WIDTH]] * 2
    )
    return hist / max(1.0, hist.sum())


def js_divergence(p: np.ndarray, q: np.ndarray) -> float:
    """Jensen-Shannon divergence in bits between two normalised histograms of the same shape."""
    m = 0.5 * (p + q)

    def kl(a: np.ndarray) -> float:
        nz = a > 0
        return float((a[nz] * np.log2(a[nz] / m[nz])).sum())

    return max(0.0, 0.5 * kl(p) + 0.5 * kl(q))


class CoverageMeter:
    """Measures point sets of one size against one distribution; the real histograms are drawn once."""

    def __init__(self, dist: Distribution, n: int = EVAL_SAMPLES, seed: int = 0) -> None:
        self.dist = dist
        self.n = n
        rng = np.random.default_rng(seed)
        self._real = histogram(dist.sample(n, rng))
        self.js_floor = js_divergence(histogram(dist.sample(n, rng)), self._real)

    def measure(self, points: np.ndarray) -> Coverage:
        points = np.asarray(points).reshape(-1, 2)
        if len(points) == 0 or not np.isfinite(points).all():  # a diverged G: nothing is covered
            return Coverage(0, self.dist.n_modes, 0.0, 1.0, self.js_floor)
        counts, good = mode_counts(points, self.dist)
        fair_share = len(points) / self.dist.n_modes
        return Coverage(
            modes_covered=int((counts >= max(1.0, COVERED_FRACTION * fair_share)).sum()),
            modes_total=self.dist.n_modes,
            high_quality=float(good.mean()),
            js=js_divergence(histogram(points), self._real),
            js_floor=self.js_floor,
        )


def coverage(points: np.ndarray, dist: Distribution, seed: int = 0) -> Coverage:
    """Coverage of `points` (n, 2) against `dist`; `seed` draws the real samples the JS estimate compares with."""
    return CoverageMeter(dist, len(points), seed).measure(points)
