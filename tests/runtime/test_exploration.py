"""The exploration state models without Qt: values, change callbacks and the batches they ask to render."""

from __future__ import annotations

import numpy as np
import pytest

from ganstudio.runtime.exploration import (
    GRID_SIZE,
    DimensionChoice,
    Exploration,
    Interpolation,
    format_dims,
    parse_dims,
)
from ganstudio.runtime.latent import keyframe_path, sample_latents, truncate
from ganstudio.runtime.latent_files import LatentState
from ganstudio.runtime.model_info import ModelInfo


def info(latent_dim: int = 8, num_classes: int = 0) -> ModelInfo:
    names = tuple(f"c{i}" for i in range(num_classes))
    return ModelInfo(latent_dim, num_classes, names, 28, 1, "", "mlp", "", "", "onnxruntime")


def record(state: Exploration) -> list[str]:
    events: list[str] = []
    for name in ("model_changed", "current_changed", "grid_changed", "selection_changed"):
        getattr(state, name).connect(lambda name=name: events.append(name))
    return events


def test_a_new_model_starts_at_the_first_grid_sample() -> None:
    state = Exploration(seed=5)
    events = record(state)
    assert state.latent_state() is None and state.current_batch() is None
    state.set_model(info())
    assert events == ["model_changed"]
    np.testing.assert_array_equal(state.z, sample_latents(GRID_SIZE, 8, 5)[0])
    assert state.selected == 0 and state.caption().startswith("Grid sample 1 ·")
    assert state.dims.dims == list(range(8))
    edited = state.z
    edited[0] = 2.0
    state.set_latent_state(LatentState(edited))
    state.set_model(info())  # same latent size: the latent stays
    np.testing.assert_array_equal(state.z, edited)
    state.set_model(None)
    assert state.z.shape == (0,) and state.grid_z is None


def test_edits_notify_and_change_the_render_batches() -> None:
    state = Exploration(seed=1)
    state.set_model(info())
    events = record(state)
    state.set_dim(3, 1.5)
    assert events == ["current_changed"] and state.edited and "(edited)" in state.caption()
    batch = state.current_batch()
    assert batch is not None and batch.labels is None and batch.blend is None
    np.testing.assert_allclose(batch.z[0], state.z)
    events.clear()
    state.set_truncation(0.5)
    assert events == ["current_changed", "grid_changed"]
    grid = state.grid_batch()
    assert grid is not None
    np.testing.assert_allclose(grid.z, truncate(sample_latents(GRID_SIZE, 8, 1), 0.5))
    events.clear()
    state.set_truncation(0.5)  # unchanged: no notification
    state.set_seed(1)
    assert events == []
    state.reset()
    assert not state.edited


def test_selecting_a_grid_cell_takes_its_latent_and_class() -> None:
    state = Exploration(seed=3)
    state.set_model(info(num_classes=3))
    state.select_cell(4)  # nothing on screen yet
    assert state.selected == 0
    raw = sample_latents(GRID_SIZE, 8, 3)
    state.show_grid(raw, np.full(GRID_SIZE, 2, np.int64))
    events = record(state)
    state.select_cell(9)
    assert events == ["selection_changed", "current_changed"]
    np.testing.assert_array_equal(state.z, raw[9])
    assert state.label == 2 and state.selected == 9
    keyframe = state.grid_state(9)
    assert keyframe is not None and keyframe.label == 2
    state.set_seed(4)
    assert state.selected is None


def test_class_blend_only_for_conditional_models() -> None:
    state = Exploration()
    state.set_model(info(num_classes=3), supports_class_blend=True)
    assert state.supports_class_blend and state.blend_label == 1
    state.set_label(2)
    state.set_blend(0.25)
    batch = state.current_batch()
    assert batch is not None and batch.blend == (1, 0.25) and batch.labels is not None
    assert batch.labels.tolist() == [2]
    state.set_blend(3.0)
    assert state.blend == 1.0
    state.reset()
    assert state.blend == 0.0
    state.set_model(info(num_classes=2))  # a smaller model: the class is clamped
    assert state.label == 1 and not state.supports_class_blend


def test_dimension_choice() -> None:
    choice = DimensionChoice()
    changes: list[int] = []
    choice.changed.connect(lambda: changes.append(1))
    choice.set_latent_dim(64)
    assert choice.dims == list(range(16))
    choice.apply_text("0-3, 10")
    assert choice.dims == [0, 1, 2, 3, 10]
    with pytest.raises(ValueError, match=r"outside 0\.\.63"):
        choice.apply_text("70")
    choice.set_show_all(True)
    assert len(choice.dims) == 64
    choice.set_latent_dim(8)  # the custom list no longer fits
    choice.set_show_all(False)
    assert choice.dims == list(range(8)) and len(changes) == 5
    assert parse_dims("3-1; 2", 8) == [1, 2, 3] and format_dims([0, 1, 2, 5, 7, 8]) == "0-2, 5, 7-8"


def test_interpolation_keyframes_and_path() -> None:
    interp = Interpolation(steps=4, spherical=False)
    events: list[str] = []
    interp.keys_changed.connect(lambda: events.append("keys"))
    interp.path_changed.connect(lambda: events.append("path"))
    rng = np.random.default_rng(0)
    a, b, c = (LatentState(rng.standard_normal(8).astype(np.float32)) for _ in range(3))
    interp.set_model(info())
    assert interp.path_batch() is None
    interp.set_keyframe("A", a)  # no keyframes yet: appended
    interp.set_keyframe("B", b)  # only one keyframe: appended
    interp.set_keyframe("B", c)  # two keyframes: replaces the last
    interp.set_keyframe("add", b)
    assert [k.z.tolist() for k in interp.keyframes()] == [a.z.tolist(), c.z.tolist(), b.z.tolist()]
    path = interp.path_batch()
    assert path is not None and path.marked == [0, 3, 6] and path.labels is None
    keys = np.stack([k.z for k in interp.keyframes()])
    np.testing.assert_allclose(path.z, keyframe_path(keys, 4, spherical=False))
    assert interp.move(0, 1) == 1 and interp.move(0, -1) is None
    events.clear()
    interp.set_steps(100)
    assert interp.steps == 64 and events == ["path"]
    interp.set_model(info(latent_dim=4))  # other latent size: keyframes dropped
    assert len(interp) == 0


def test_interpolation_labels_follow_the_nearest_keyframe() -> None:
    interp = Interpolation(steps=3)
    interp.set_model(info(num_classes=3))
    interp.set_keyframes([LatentState(np.zeros(8, np.float32), 0), LatentState(np.ones(8, np.float32), 5)])
    interp.set_model(info(num_classes=3))  # an out-of-range label becomes class 0
    assert [k.label for k in interp.keyframes()] == [0, 0]
    assert "class c0" in interp.describe_key(0) and interp.describe_key(1).startswith("B")
