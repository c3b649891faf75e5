"""The real distributions of the Playground, each with the "modes" coverage is measured against.

Every distribution is described the same way, so one coverage function serves all of them: a sampler, a noise
scale `std`, and `anchors` (points on the ideal, noise-free shape) each labelled with the mode it belongs to.
For the Gaussian mixtures (ring8, grid25, custom points) the anchors are the centres and each is its own mode; for
the curves (moons, spiral, line) the anchors are dense points along the curve, cut into equal-length arcs that
count as modes, so "mode collapse" on a curve means squeezing onto a few stretches of it. A sample is near the
shape when it lies within 3 std of an anchor. Plain numpy, no torch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ganstudio.errors import GanStudioError

DISTRIBUTIONS = ("ring8", "grid25", "moons", "spiral", "line", "custom")
DISTRIBUTION_LABELS = (
    "Ring of 8 Gaussians",
    "Grid of 25 Gaussians",
    "Two moons",
    "Spiral",
    "Line",
    "Draw your own",
)
VIEW_HALF_WIDTH = 3.0  # every shape lies inside [-3, 3]^2: the view box, the heatmap and the histogram grid
MIXTURE_STD = 0.05  # ring8 and grid25 (the grid's modes are 1.0 apart: 20 std)
CURVE_STD = 0.05  # noise across the curves
CURVE_MODES = 8  # arcs a curve is cut into for coverage
CUSTOM_STD = 0.08  # noise around each drawn point
CUSTOM_LINK = 0.4  # drawn points closer than this belong to one mode (single linkage)


class DistributionError(GanStudioError, ValueError):
    """A distribution that cannot be built (an unknown name, no drawn points)."""


@dataclass(frozen=True, eq=False)
class Distribution:
    name: str
    std: float
    anchors: np.ndarray = field(repr=False)  # (M, 2) float64 points of the noise-free shape
    anchor_mode: np.ndarray = field(repr=False)  # (M,) int64: the mode of each anchor, 0..n_modes-1
    n_modes: int
    # For mixtures: sample an anchor uniformly and add isotropic noise. For curves: the same, over dense anchors,
    # which approximates a uniform density along the curve (anchors are equally spaced by arc length).

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """`n` points, float32 (n, 2)."""
        index = rng.integers(0, len(self.anchors), size=n)
        noise = rng.standard_normal((n, 2)) * self.std
        return (self.anchors[index] + noise).astype(np.float32)


def _mixture(name: str, centres: np.ndarray, std: float) -> Distribution:
    centres = np.asarray(centres, np.float64).reshape(-1, 2)
    return Distribution(name, std, centres, np.arange(len(centres)), len(centres))


def _resample_by_arc_length(points: np.ndarray, spacing: float) -> np.ndarray:
    """Points equally spaced along the polyline `points` (so sampling anchors uniformly is uniform in length)."""
    seg = np.linalg.norm(np.diff(points, axis=0), axis=1)
    arc = np.concatenate([[0.0], np.cumsum(seg)])
    count = max(2, math.ceil(arc[-1] / spacing) + 1)
    at = np.linspace(0.0, arc[-1], count)
    return np.stack([np.interp(at, arc, points[:, 0]), np.interp(at, arc, points[:, 1])], axis=1)


def _curve(name: str, pieces: list[np.ndarray], std: float) -> Distribution:
    """A shape of one or more polylines; each piece's anchors are split into arcs of equal length (modes)."""
    anchors = [_resample_by_arc_length(p, std / 2) for p in pieces]
    per_piece = max(1, CURVE_MODES // len(pieces))
    modes = [
        np.minimum(np.arange(len(a)) * per_piece // len(a), per_piece - 1) + i * per_piece
        for i, a in enumerate(anchors)
    ]
    return Distribution(
        name, std, np.concatenate(anchors), np.concatenate(modes).astype(np.int64), per_piece * len(pieces)
    )


def ring8() -> Distribution:
    angle = np.arange(8) * (2 * math.pi / 8)
    return _mixture("ring8", 2.0 * np.stack([np.cos(angle), np.sin(angle)], axis=1), MIXTURE_STD)


def grid25() -> Distribution:
    ticks = np.arange(-2.0, 2.01, 1.0)
    xx, yy = np.meshgrid(ticks, ticks)
    return _mixture("grid25", np.stack([xx.ravel(), yy.ravel()], axis=1), MIXTURE_STD)


def moons() -> Distribution:
    t = np.linspace(0.0, math.pi, 400)
    upper = np.stack([np.cos(t), np.sin(t)], axis=1) * 1.6 + [-0.8, -0.3]
    lower = np.stack([1 - np.cos(t), 0.5 - np.sin(t)], axis=1) * 1.6 + [-0.8, -0.3]
    return _curve("moons", [upper, lower], CURVE_STD)


def spiral() -> Distribution:
    t = np.linspace(0.25, 1.0, 1000)  # radius grows with the angle: 1.75 turns from the centre outwards
    angle = t * 3.5 * math.pi
    return _curve("spiral", [np.stack([np.cos(angle), np.sin(angle)], axis=1) * (2.6 * t)[:, None]], CURVE_STD)


def line() -> Distribution:
    return _curve("line", [np.array([[-2.0, -1.5], [2.0, 1.5]])], CURVE_STD)


def custom(points: np.ndarray) -> Distribution:
    """Drawn points: each is a Gaussian centre; points within CUSTOM_LINK of each other form one mode."""
    centres = np.asarray(points, np.float64).reshape(-1, 2)
    if len(centres) == 0:
        raise DistributionError("draw at least one point on the plane for a custom distribution")
    modes = _single_linkage(centres, CUSTOM_LINK)
    return Distribution("custom", CUSTOM_STD, centres, modes, int(modes.max()) + 1)


def _single_linkage(points: np.ndarray, radius: float) -> np.ndarray:
    """Cluster labels 0..k-1 of the connected components of the graph "closer than radius" (union-find)."""
    parent = np.arange(len(points))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = int(parent[i])
        return i

    close = np.linalg.norm(points[:, None] - points[None], axis=2) < radius
    for i, j in zip(*np.nonzero(np.triu(close, 1)), strict=True):
        parent[root(int(i))] = root(int(j))
    roots = np.array([root(i) for i in range(len(points))])
    return np.unique(roots, return_inverse=True)[1].astype(np.int64)


_BUILDERS = {"ring8": ring8, "grid25": grid25, "moons": moons, "spiral": spiral, "line": line}


def make_distribution(name: str, points: np.ndarray | None = None) -> Distribution:
    """The named distribution; "custom" needs the drawn `points` (N, 2)."""
    if name == "custom":
        return custom(np.zeros((0, 2)) if points is None else points)
    if name not in _BUILDERS:
        raise DistributionError(f"unknown distribution {name!r}; choose one of {', '.join(DISTRIBUTIONS)}")
    return _BUILDERS[name]()
