"""The latent plane: two directions span a plane through the current sample, shown as a grid of samples.

Axis u runs left to right, axis v bottom to top. The view is centred `pan` away from the current sample (in
units along u and v) and spans `extent` units either side, so cell (row, col) sits at
    z + (pan_u + offset(col)) * u + (pan_v - offset(row)) * v,   offset(i) = extent * (2 i / (cells - 1) - 1).
A direction is any unit vector: a raw latent dimension (a basis vector), a discovered or a named direction.
numpy only.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

PLANE_CELLS = 9  # 9 x 9 = 81 samples: one batched generator call
DEFAULT_EXTENT = 3.0
MIN_EXTENT, MAX_EXTENT = 0.25, 12.0


@dataclass(frozen=True)
class PlaneView:
    pan_u: float = 0.0
    pan_v: float = 0.0
    extent: float = DEFAULT_EXTENT
    cells: int = PLANE_CELLS

    @property
    def step(self) -> float:
        """Units between neighbouring cells."""
        return 2.0 * self.extent / (self.cells - 1)

    def offset(self, index: int) -> float:
        return self.extent * (2.0 * index / (self.cells - 1) - 1.0)

    def cell_coordinates(self, row: int, col: int) -> tuple[float, float]:
        """(du, dv) of a cell relative to the current sample."""
        return self.pan_u + self.offset(col), self.pan_v - self.offset(row)

    def panned(self, du: float, dv: float) -> PlaneView:
        return replace(self, pan_u=self.pan_u + du, pan_v=self.pan_v + dv)

    def zoomed(self, factor: float) -> PlaneView:
        return replace(self, extent=float(min(max(self.extent * factor, MIN_EXTENT), MAX_EXTENT)))

    def current_cell(self) -> tuple[float, float]:
        """Where the current sample lies, in (fractional) (row, col) cells; may be outside the grid."""
        half = (self.cells - 1) / 2.0
        return half + self.pan_v / self.step, half - self.pan_u / self.step


def plane_latents(z: np.ndarray, u: np.ndarray, v: np.ndarray, view: PlaneView) -> np.ndarray:
    """(cells * cells, latent_dim) float32 latents, row-major from the top-left cell."""
    offsets = np.array([view.offset(i) for i in range(view.cells)], np.float32)
    du = (view.pan_u + offsets)[None, :, None]  # (1, cells, 1): columns move along u
    dv = (view.pan_v - offsets)[:, None, None]  # (cells, 1, 1): rows move along -v (up is +v)
    grid = np.asarray(z, np.float32)[None, None, :] + du * np.asarray(u, np.float32) + dv * np.asarray(v, np.float32)
    return grid.reshape(view.cells * view.cells, -1).astype(np.float32)


def axis_vector(latent_dim: int, dim: int) -> np.ndarray:
    """The raw latent dimension `dim` as a direction."""
    vector = np.zeros(latent_dim, np.float32)
    vector[dim] = 1.0
    return vector
