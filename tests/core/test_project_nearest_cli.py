"""`ganstudio project` and `ganstudio nearest` end to end on the shipped MNIST model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ganstudio.cli.main import main
from ganstudio.cli.sample_state import render_state
from ganstudio.core.data import named
from ganstudio.runtime.backends import open_generator
from ganstudio.runtime.model_hash import model_sha256
from ganstudio.runtime.png_state import read_png_state
from tests.data_paths import shared_mnist

MODELS = Path(__file__).resolve().parents[2] / "models"


def test_project_writes_a_png_that_records_the_sample_and_prints_the_error(tmp_path: Path, capsys):
    digit = named.read_split("mnist", shared_mnist(), "train").images[1, 0]
    picture = tmp_path / "zero.jpg"
    Image.fromarray(255 - digit).resize((90, 90)).convert("RGB").save(picture)
    out = tmp_path / "out"
    model = MODELS / "mnist.onnx"
    assert main(["project", str(model), str(picture), "--out-dir", str(out), "--no-refine", "--scale", "2"]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith(str(picture)) and "pixel MSE" in line
    sample = np.asarray(Image.open(out / "zero.png"))
    assert sample.shape == (56, 56)
    assert not (out / "zero.json").exists()  # the PNG carries the state: no sidecar
    state = read_png_state(out / "zero.png")
    assert state.model_sha256 == model_sha256(model) and state.z.shape == (64,) and state.label is None
    assert state.scale == 2 and state.truncation == 1.0
    backend = open_generator(model)
    try:  # the recorded state makes the written picture again, exactly
        np.testing.assert_array_equal(render_state(backend, state)[..., 0], sample[::2, ::2])
    finally:
        backend.close()
    assert main(["info", str(out / "zero.png")]) == 0
    assert "model SHA-256: " + state.model_sha256 in capsys.readouterr().out


def test_project_refuses_a_picture_that_is_not_an_image(tmp_path: Path, capsys):
    bad = tmp_path / "bad.png"
    bad.write_text("hello")
    assert main(["project", str(MODELS / "mnist.onnx"), str(bad), "--out-dir", str(tmp_path), "--no-refine"]) == 1
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith("error:") and "not an image" in error


@pytest.mark.slow
def test_nearest_writes_neighbours_and_the_copying_ratio(tmp_path: Path, monkeypatch, capsys):
    monkeypatch.setenv("GANSTUDIO_DATA", str(shared_mnist()))
    monkeypatch.setenv("GANSTUDIO_MODELS", str(MODELS))
    out, report = tmp_path / "nn.png", tmp_path / "nn.json"
    args = ["nearest", "mnist", "--seed", "3", "--k", "4", "--ratio-samples", "100"]
    assert main([*args, "--out", str(out), "--json", str(report)]) == 0
    data = json.loads(report.read_text())
    assert data["training"] == "mnist train split"  # the shipped mnist was trained on the 60,000 training digits
    assert len(data["pixel"]) == 4 and len(data["feature"]) == 4
    assert data["pixel"][0]["distance"] <= data["pixel"][-1]["distance"]
    assert 0.5 < data["ratio"]["pixel"]["ratio"] < 1.5
    assert Image.open(out).size[0] > 5 * 28
    assert "copying ratio (pixel)" in capsys.readouterr().out
