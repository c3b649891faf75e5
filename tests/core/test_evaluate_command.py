"""`ganstudio evaluate`: the table on stdout and `--json` with the report's keys (typed report -> JSON)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ganstudio.cli.main import main
from ganstudio.core import metrics
from tests.core.test_quality_report import EVALUATE_KEYS
from tests.data_paths import shared_mnist

MODEL = Path(__file__).resolve().parents[2] / "models" / "mnist.onnx"
MNIST = shared_mnist()
needs_model = pytest.mark.skipif(not MODEL.is_file(), reason=f"needs the shipped generator {MODEL}")


@needs_model
def test_evaluate_against_a_folder_says_why_in_text_and_json(tmp_path: Path, capsys) -> None:
    out = tmp_path / "report.json"
    assert main(["evaluate", str(MODEL), "--dataset", str(tmp_path / "faces"), "--json", str(out)]) == 0
    assert capsys.readouterr().out.startswith("Quality metrics unavailable")
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["available"] is False and "faces" in data["reason"] and set(data) == {"available", "reason", "dataset"}


@pytest.mark.slow  # the held-out reference: 20,000 real digits through the classifier
@needs_model
@pytest.mark.skipif(
    not (MNIST / "t10k-images-idx3-ubyte.gz").is_file() or not metrics.classifier_path("mnist").is_file(),
    reason="needs the shared MNIST test split and the shipped classifier",
)
def test_evaluate_writes_the_report_as_json(tmp_path: Path, capsys) -> None:
    out = tmp_path / "report.json"
    argv = ["evaluate", str(MODEL), "--n", "200", "--data-dir", str(MNIST), "--json", str(out)]
    argv += ["--copying-samples", "200"]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "real-vs-real FID" in text and "copying ratio (pixel)" in text
    data = json.loads(out.read_text(encoding="utf-8"))
    copying = data.pop("copying_ratio")
    # the shipped generator does not copy: its samples sit about as far from the training digits as unseen digits
    assert copying["available"] is True and 0.7 < copying["pixel"]["ratio"] < 1.3
    assert copying["pixel"]["samples"] == copying["pixel"]["held_out"] == 200
    assert set(data) - {"reference_note"} == EVALUATE_KEYS and data["available"] is True and data["n"] == 200
    assert data["model"] and data["seed"] == 0 and data["reference"]["split"] == "test"
    both_splits = (MNIST / "train-images-idx3-ubyte.gz").is_file()
    assert data["reference"]["held_out"] is both_splits  # with both splits, the test split is the reference
    assert data["swd"]["resolutions"] == [28, 14] and data["swd"]["floor_mean"] > 0


@needs_model
def test_evaluate_against_an_image_folder_reports_swd(tmp_path: Path, capsys) -> None:
    from PIL import Image

    rng = np.random.default_rng(0)
    for i in range(12):
        Image.fromarray(rng.integers(0, 256, (28, 28), dtype=np.uint8)).save(tmp_path / f"{i}.png")
    out = tmp_path / "report.json"
    argv = ["evaluate", str(MODEL), "--dataset", str(tmp_path), "--n", "40", "--json", str(out)]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "copying ratio" not in text  # measured against the model's own training data only
    assert "40 samples vs 12 real images" in text and "SWD / floor" in text and "FID" not in text
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["available"] is True and data["metric"] == "swd" and data["swd"]["real_images"] == 6
    assert data["swd"]["ratio"] > 1  # digits against a folder of noise


def test_evaluate_bounds_the_copying_batch_before_opening_the_model(tmp_path: Path, capsys) -> None:
    assert main(["evaluate", str(tmp_path / "absent.onnx"), "--copying-samples", "20000"]) == 1
    assert "--copying-samples must be in 0..10,000" in capsys.readouterr().err
