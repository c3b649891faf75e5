"""Direction offsets in the exploration state: the rendered latent is z + sum offset_i * v_i."""

from __future__ import annotations

import numpy as np
import pytest

from ganstudio.runtime.direction_offsets import OFFSET_LIMIT, DirectionOffsets
from ganstudio.runtime.direction_set import Direction, DirectionSet
from ganstudio.runtime.exploration import Exploration
from ganstudio.runtime.latent_files import LatentState
from tests.runtime.test_exploration import info


def two_directions(dim: int = 8) -> DirectionSet:
    a = np.zeros(dim, np.float32)
    a[0] = 1.0
    b = np.full(dim, 1.0 / np.sqrt(dim), np.float32)
    return DirectionSet("", (Direction("ink", "attribute", a), Direction("PC1", "pca", b)))


def test_offsets_move_the_rendered_latent_and_notify() -> None:
    state = Exploration(seed=3)
    state.set_model(info())
    state.directions.set_directions(two_directions())
    events: list[str] = []
    state.current_changed.connect(lambda: events.append("current"))
    z = state.z
    state.directions.set_offset("ink", 1.5)
    state.directions.set_offset("PC1", -0.5)
    assert events == ["current", "current"] and state.edited
    expected = z + 1.5 * two_directions().directions[0].vector - 0.5 * two_directions().directions[1].vector
    np.testing.assert_allclose(state.sample_z(), expected, rtol=0, atol=1e-6)
    np.testing.assert_array_equal(state.z, z)  # the raw sliders keep their values
    batch = state.current_batch()
    assert batch is not None
    np.testing.assert_array_equal(batch.z[0], state.sample_z())
    latent = state.latent_state()
    assert latent is not None
    np.testing.assert_array_equal(latent.z, state.sample_z())  # a keyframe takes the sample on screen
    state.directions.set_offset("ink", 99.0)
    assert state.directions.offset("ink") == OFFSET_LIMIT
    state.directions.set_offset("unknown", 1.0)
    assert "unknown" not in state.directions.offsets()


def test_reset_a_new_sample_and_a_new_model_clear_the_offsets() -> None:
    state = Exploration(seed=3)
    state.set_model(info())
    state.directions.set_directions(two_directions())
    state.directions.set_offset("ink", 1.0)
    state.reset()
    assert state.directions.offsets() == {} and not state.edited
    state.directions.set_offset("ink", 1.0)
    state.randomize(np.random.default_rng(0))
    assert state.directions.offsets() == {}
    state.directions.set_offset("ink", 1.0)
    state.set_model(info(latent_dim=4))
    assert state.directions.directions is None and state.directions.offsets() == {}


def test_a_saved_state_comes_back_with_its_offsets() -> None:
    state = Exploration()
    state.set_model(info())
    state.directions.set_directions(two_directions())
    base = np.arange(8, dtype=np.float32) / 10
    unknown = state.set_latent_state(LatentState(base), {"ink": 2.0, "gone": 1.0})
    assert unknown == ["gone"]
    np.testing.assert_array_equal(state.z, base)
    assert state.directions.offsets() == {"ink": 2.0}


def test_preview_latents_are_what_each_slider_would_show() -> None:
    offsets = DirectionOffsets()
    directions = two_directions()
    offsets.set_directions(directions)
    offsets.set_offset("ink", 1.0)
    z = np.zeros(8, np.float32)
    steps = (-3.0, 0.0, 3.0)
    previews = offsets.preview_latents(z, steps)
    assert previews.shape == (6, 8)
    ink, pc1 = directions.directions
    np.testing.assert_allclose(previews[0], -3.0 * ink.vector, atol=1e-6)  # ink's own offset replaced by the step
    np.testing.assert_allclose(previews[4], ink.vector, atol=1e-6)  # PC1 at 0: the sample as it is
    np.testing.assert_allclose(previews[5], ink.vector + 3.0 * pc1.vector, atol=1e-6)


def test_no_offsets_keep_the_latent_bit_identical() -> None:
    offsets = DirectionOffsets()
    offsets.set_directions(two_directions())
    z = np.random.default_rng(0).standard_normal(8).astype(np.float32)
    assert offsets.apply(z).tobytes() == z.tobytes()
    with pytest.raises(AssertionError):
        np.testing.assert_array_equal(offsets.apply(z), z + 1)
