"""PNGs that remember their sample: the state chunk, its checks, and restoring it into the exploration state."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from ganstudio.runtime.exploration import Exploration
from ganstudio.runtime.latent import sample_latents
from ganstudio.runtime.png_state import (
    GridRecipe,
    PngStateError,
    SampleState,
    read_png_state,
    save_png_with_state,
    state_to_json,
)
from ganstudio.runtime.saved_samples import restore_sample, state_of
from tests.runtime.test_direction_offsets import two_directions
from tests.runtime.test_exploration import info

PICTURE = (np.arange(28 * 28, dtype=np.uint8).reshape(28, 28, 1) * 3) % 255


def test_the_state_round_trips_exactly(tmp_path: Path) -> None:
    z = sample_latents(1, 8, 5)[0] * np.float32(1.1)
    state = SampleState("ab" * 32, z, 0.7, 2, (1, 0.25), z - 1, {"ink": 1.5}, scale=3)
    path = tmp_path / "s.png"
    save_png_with_state(PICTURE, path, state)
    with Image.open(path) as image:
        assert image.size == (84, 84)  # upscaled 3x
    back = read_png_state(path)
    assert back.z.tobytes() == z.tobytes()  # float32 values survive JSON bit for bit
    assert back.base_z is not None and back.base_z.tobytes() == (z - 1).tobytes()
    assert (back.model_sha256, back.truncation, back.label, back.blend) == ("ab" * 32, 0.7, 2, (1, 0.25))
    assert back.direction_offsets == {"ink": 1.5} and back.scale == 3 and back.grid is None
    assert "ink +1.50" in back.describe() and "class:         2" in back.describe()


def test_a_grid_records_its_recipe(tmp_path: Path) -> None:
    state = SampleState("", np.zeros(0, np.float32), 1.0, scale=2, grid=GridRecipe(7, 16, 4, None))
    save_png_with_state(PICTURE, tmp_path / "g.png", state)
    back = read_png_state(tmp_path / "g.png")
    assert back.grid == GridRecipe(7, 16, 4, None)
    assert "16 samples of seed 7" in back.describe()


def _png_with_text(path: Path, text: str) -> Path:
    info = PngInfo()
    info.add_itxt("ganstudio", text)
    Image.fromarray(PICTURE[..., 0]).save(path, pnginfo=info)
    return path


def test_reading_refuses_what_is_not_a_valid_state(tmp_path: Path) -> None:
    plain = tmp_path / "plain.png"
    Image.fromarray(PICTURE[..., 0]).save(plain)
    with pytest.raises(PngStateError, match="no GAN Studio sample state"):
        read_png_state(plain)
    with pytest.raises(PngStateError, match="not valid JSON"):
        read_png_state(_png_with_text(tmp_path / "a.png", "{oops"))
    good = state_to_json(SampleState("", np.ones(4, np.float32)))
    with pytest.raises(PngStateError, match="newer GAN Studio"):
        read_png_state(_png_with_text(tmp_path / "b.png", json.dumps({**good, "version": 99})))
    with pytest.raises(PngStateError, match="truncation"):
        read_png_state(_png_with_text(tmp_path / "c.png", json.dumps({**good, "truncation": "high"})))
    with pytest.raises(PngStateError, match="z must be a list"):
        read_png_state(_png_with_text(tmp_path / "d.png", json.dumps({**good, "z": []})))
    with pytest.raises(PngStateError, match="not a PNG"):
        Image.fromarray(PICTURE[..., 0]).save(tmp_path / "e.gif")
        (tmp_path / "e.png").write_bytes((tmp_path / "e.gif").read_bytes())
        read_png_state(tmp_path / "e.png")
    (tmp_path / "f.png").write_bytes(b"not an image")
    with pytest.raises(PngStateError, match="cannot read"):
        read_png_state(tmp_path / "f.png")


def test_an_oversized_text_chunk_is_refused_by_pillows_limit(tmp_path: Path) -> None:
    path = _png_with_text(tmp_path / "big.png", "x" * (2 * 1024 * 1024))  # over PIL's MAX_TEXT_CHUNK (1 MB)
    with pytest.raises(PngStateError):
        read_png_state(path)


def test_restoring_a_saved_sample_gives_back_the_same_rendered_latent() -> None:
    source = Exploration(seed=4)
    source.set_model(info(num_classes=3))
    source.directions.set_directions(two_directions())
    source.set_label(2)
    source.set_truncation(0.6)
    source.directions.set_offset("ink", 1.25)
    saved = state_of(source, "ef" * 32, scale=4)
    assert saved is not None and saved.base_z is not None and saved.direction_offsets == {"ink": 1.25}

    target = Exploration(seed=9)
    target.set_model(info(num_classes=3))
    target.directions.set_directions(two_directions())
    assert restore_sample(target, saved) == ""
    assert target.sample_z().tobytes() == source.sample_z().tobytes()
    assert target.directions.offsets() == {"ink": 1.25} and target.label == 2 and target.truncation == 0.6

    without = Exploration()
    without.set_model(info(num_classes=3))  # no direction set yet: the offsets fold into z
    assert "folded" in restore_sample(without, saved)
    assert without.sample_z().tobytes() == source.sample_z().tobytes()


def test_restoring_refuses_another_latent_size_and_grids() -> None:
    state = Exploration()
    state.set_model(info(latent_dim=8))
    with pytest.raises(ValueError, match="latent size is 8"):
        restore_sample(state, SampleState("", np.ones(4, np.float32)))
    with pytest.raises(ValueError, match="grid"):
        restore_sample(state, SampleState("", np.zeros(0, np.float32), grid=GridRecipe(0, 4)))
