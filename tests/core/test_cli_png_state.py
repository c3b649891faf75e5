"""The CLI and saved PNG state: `sample` records the state, `sample --from` makes the same pixels again,
`info IMAGE.png` prints it; and `directions MODEL --out` writes a set that loads."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ganstudio.cli.main import main
from ganstudio.runtime.direction_set import load_directions
from ganstudio.runtime.model_hash import model_sha256
from ganstudio.runtime.png_state import SampleState, read_png_state, save_png_with_state


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch

    from ganstudio.core.config import ModelConfig
    from ganstudio.core.export import export_onnx
    from ganstudio.core.networks import build_generator

    folder = tmp_path_factory.mktemp("models")
    torch.manual_seed(0)
    cfg = ModelConfig(arch="mlp", latent_dim=8, g_width=8, d_width=8)
    generator = build_generator(cfg)
    with torch.no_grad():
        for p in generator.parameters():
            if p.dim() == 2:
                p.mul_(10.0)  # make z visibly matter
    return export_onnx(generator, cfg, None, folder / "tiny.onnx")


def pixels(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image)


def test_one_sample_is_made_again_from_its_png(tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    first, again = tmp_path / "first.png", tmp_path / "again.png"
    assert (
        main(
            ["sample", str(tiny), "--n", "1", "--seed", "3", "--truncation", "0.8", "--scale", "2", "--out", str(first)]
        )
        == 0
    )
    state = read_png_state(first)
    assert state.model_sha256 == model_sha256(tiny) and state.z.shape == (8,) and state.truncation == 0.8
    assert pixels(first).shape == (56, 56)  # one sample, unpadded, at the scale asked
    assert main(["sample", str(tiny), "--from", str(first), "--out", str(again)]) == 0
    np.testing.assert_array_equal(pixels(again), pixels(first))
    capsys.readouterr()
    assert main(["info", str(first)]) == 0
    out = capsys.readouterr().out
    assert model_sha256(tiny) in out and "truncation:    0.800" in out and "|z| =" in out


def test_a_sample_saved_with_direction_offsets_is_made_again(tiny: Path, tmp_path: Path) -> None:
    """What Explore saves: z includes the offsets, so the CLI needs no direction set to reproduce it."""
    from ganstudio.cli.sample_state import render_state
    from ganstudio.runtime.backends import open_generator

    z = np.linspace(-1, 1, 8).astype(np.float32)
    state = SampleState(model_sha256(tiny), z + 0.5, 0.9, None, None, z, {"ink": 0.5}, scale=3)
    backend = open_generator(tiny)
    saved, again = tmp_path / "saved.png", tmp_path / "again.png"
    save_png_with_state(render_state(backend, state), saved, state)
    assert main(["sample", str(tiny), "--from", str(saved), "--out", str(again)]) == 0
    np.testing.assert_array_equal(pixels(again), pixels(saved))
    assert read_png_state(again).direction_offsets == {"ink": 0.5}


def test_a_grid_is_made_again_from_its_recipe(tiny: Path, tmp_path: Path) -> None:
    grid, again = tmp_path / "grid.png", tmp_path / "again.png"
    assert main(["sample", str(tiny), "--n", "6", "--seed", "2", "--columns", "3", "--out", str(grid)]) == 0
    assert main(["sample", str(tiny), "--n", "1", "--from", str(grid), "--out", str(again)]) == 0
    np.testing.assert_array_equal(pixels(again), pixels(grid))


def test_png_errors_are_one_line(tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    plain = tmp_path / "plain.png"
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(plain)
    assert main(["info", str(plain)]) == 1
    assert main(["sample", str(tiny), "--from", str(plain), "--out", str(tmp_path / "x.png")]) == 1
    err = capsys.readouterr().err
    assert err.count("holds no GAN Studio sample state") == 2 and "Traceback" not in err


def test_another_models_png_warns(tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    saved = tmp_path / "other.png"
    state = SampleState("0" * 64, np.zeros(8, np.float32))
    save_png_with_state(np.zeros((28, 28, 1), np.uint8), saved, state)
    assert main(["sample", str(tiny), "--from", str(saved), "--out", str(tmp_path / "x.png")]) == 0
    assert "made by another model" in capsys.readouterr().err


@pytest.mark.slow
def test_directions_command_writes_a_set_that_loads(
    tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    out = tmp_path / "dirs.json"
    assert main(["directions", str(tiny), "--out", str(out)]) == 0
    printed = capsys.readouterr()
    assert "PC1" in printed.out and "ink" in printed.out and "held-out seeds" in printed.out
    assert "computed" in printed.err
    directions = load_directions(out, latent_dim=8)
    assert directions.model_sha256 == model_sha256(tiny)
    assert json.loads(out.read_text())["directions"][0]["kind"] == "pca"
    assert main(["directions", str(tiny), "--out", str(out)]) == 0
    assert "read from the cache" in capsys.readouterr().err
