"""The latent plane's maths: which latent each cell shows, panning and the current sample's cell."""

from __future__ import annotations

import numpy as np
import pytest

from ganstudio.runtime.plane import MAX_EXTENT, PlaneView, axis_vector, plane_latents


def test_cells_move_along_u_to_the_right_and_v_upwards() -> None:
    z = np.arange(4, dtype=np.float32)
    u, v = axis_vector(4, 0), axis_vector(4, 1)
    view = PlaneView(extent=2.0, cells=5)
    grid = plane_latents(z, u, v, view).reshape(5, 5, 4)
    np.testing.assert_array_equal(grid[2, 2], z)  # the centre is the current sample
    np.testing.assert_allclose(grid[2, :, 0] - z[0], [-2, -1, 0, 1, 2])
    np.testing.assert_allclose(grid[:, 2, 1] - z[1], [2, 1, 0, -1, -2])  # the top row is +v
    np.testing.assert_array_equal(grid[..., 2:], np.broadcast_to(z[2:], (5, 5, 2)))
    assert view.cell_coordinates(0, 4) == (2.0, 2.0)


def test_panning_moves_the_view_and_the_current_cell() -> None:
    view = PlaneView(extent=2.0, cells=5).panned(1.0, -1.0)
    z = np.zeros(3, np.float32)
    grid = plane_latents(z, axis_vector(3, 0), axis_vector(3, 1), view).reshape(5, 5, 3)
    np.testing.assert_allclose(grid[2, 2], [1.0, -1.0, 0.0])
    assert view.current_cell() == pytest.approx((1.0, 1.0))  # up-left of the centre cell (row 2, col 2)
    assert PlaneView().zoomed(100).extent == MAX_EXTENT


def test_the_default_plane_is_nine_by_nine() -> None:
    z = np.zeros(6, np.float32)
    assert plane_latents(z, axis_vector(6, 2), axis_vector(6, 3), PlaneView()).shape == (81, 6)
