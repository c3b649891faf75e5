"""The command line end to end on a tiny run (in-process, so it is fast and needs no installed script)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ganstudio.cli.main import main
from tests.data_paths import shared_mnist

MNIST = shared_mnist()
pytestmark = pytest.mark.skipif(not MNIST.exists(), reason=f"shared MNIST files not found at {MNIST}")

TINY = [
    "--arch",
    "mlp",
    "--latent-dim",
    "8",
    "--g-width",
    "8",
    "--d-width",
    "8",
    "--batch-size",
    "16",
    "--threads",
    "1",
    "--data-dir",
    str(MNIST),
    "--no-download",
]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "run"
    assert main(["train", "--dataset", "mnist", "--steps", "6", "--sample-every", "3", "--out", str(out), *TINY]) == 0
    return out


def test_train_writes_a_complete_run_folder(run_dir):
    assert (run_dir / "checkpoint.safetensors").exists()
    assert (run_dir / "generator.onnx").exists()
    assert json.loads((run_dir / "run.json").read_text())["state"]["step"] == 6
    assert sorted(p.name for p in (run_dir / "samples").iterdir())[:2] == ["step_0000003.png", "step_0000006.png"]


def test_train_refuses_to_overwrite_an_existing_run(run_dir, capsys):
    assert main(["train", "--dataset", "mnist", "--steps", "2", "--out", str(run_dir), *TINY]) == 1
    err = capsys.readouterr().err
    assert "already holds a run" in err and "Traceback" not in err


def test_resume_continues_the_step_count_for_the_extra_budget(run_dir, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy)
    assert main(["resume", str(copy), "--steps", "3", "--data-dir", str(MNIST), "--no-export"]) == 0
    saved = json.loads((copy / "run.json").read_text())
    assert saved["state"]["step"] == 9  # 6 done + 3 more, as the app's "Resume a run..." counts it
    assert saved["train_config"]["steps"] == 9 and saved["train_config"]["minutes"] == 0


def test_every_spelling_of_fashion_mnist_trains_in_grayscale(tmp_path, monkeypatch):
    """The CLI asks the one builtin_dataset() rule, so "fashionmnist" is the built-in grayscale set too."""
    import ganstudio.core.data as data
    from tests.core.helpers import tiny_dataset

    def fake_fashion(name, **kwargs):
        assert data.canonical_name(name) == "fashion-mnist"
        return tiny_dataset(32)

    monkeypatch.setattr(data, "load_named_dataset", fake_fashion)
    for spelling in ("fashionmnist", "Fashion_MNIST"):
        out = tmp_path / spelling
        argv = ["train", "--dataset", spelling, "--steps", "1", "--out", str(out), "--no-export", *TINY]
        assert main(argv) == 0
        assert json.loads((out / "run.json").read_text())["model_config"]["channels"] == 1


def test_runs_without_out_get_a_named_folder_of_their_own(tmp_path, monkeypatch):
    import ganstudio.core.data as data
    from tests.core.helpers import tiny_dataset

    monkeypatch.setattr("ganstudio.paths.runs_root", lambda: tmp_path / "runs")
    monkeypatch.setattr(data, "load_named_dataset", lambda name, **kwargs: tiny_dataset(32))
    for _ in range(2):
        assert main(["train", "--dataset", "fashion", "--steps", "1", "--no-export", *TINY]) == 0
    folders = sorted(p.name for p in (tmp_path / "runs").iterdir())
    assert len(folders) == 2 and all(name.endswith("-fashion-mlp") or "-fashion-mlp-" in name for name in folders)


@pytest.mark.slow
def test_export_sample_interpolate_and_info(run_dir, tmp_path, capsys):
    onnx_path = tmp_path / "g.onnx"
    assert main(["export", str(run_dir), "--out", str(onnx_path)]) == 0
    grid = tmp_path / "grid.png"
    assert main(["sample", str(onnx_path), "--n", "16", "--seed", "1", "--scale", "2", "--out", str(grid)]) == 0
    with Image.open(grid) as image:
        assert image.size == ((4 * 30 + 2) * 2, (4 * 30 + 2) * 2)
    same = tmp_path / "same.png"
    main(["sample", str(run_dir), "--n", "16", "--seed", "1", "--scale", "2", "--out", str(same)])
    assert np.abs(np.asarray(Image.open(grid), np.int16) - np.asarray(Image.open(same), np.int16)).max() <= 2
    gif = tmp_path / "walk.gif"
    assert main(["interpolate", str(onnx_path), "--seeds", "1", "2", "3", "--steps", "4", "--out", str(gif)]) == 0
    with Image.open(gif) as image:
        assert image.n_frames == 7
    strip = tmp_path / "strip.png"
    assert (
        main(["interpolate", str(onnx_path), "--seeds", "1", "2", "--steps", "5", "--slerp", "--out", str(strip)]) == 0
    )
    capsys.readouterr()
    assert main(["info", str(onnx_path)]) == 0
    out = capsys.readouterr().out
    assert "mlp" in out and "8" in out


@pytest.mark.parametrize(
    "argv,message",
    [
        (["info", "does-not-exist.onnx"], "not found"),
        (["sample", "nope.onnx", "--out", "x.png"], "not found"),
        (["train", "--dataset", "/definitely/not/a/folder", "--steps", "1"], "folder"),
        (["train", "--dataset", "mnist", "--g-lr", "-1", "--steps", "1"], "g_lr"),
        (["interpolate", "x.onnx", "--seeds", "1", "--out", "a.png"], "two seeds"),
    ],
)
def test_errors_are_one_line_and_non_zero(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error:") and message in err[-1], err
    assert not any("Traceback" in line for line in err)


def test_damaged_model_file_is_reported(tmp_path, capsys):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x08\x07garbage" * 10)
    assert main(["info", str(bad)]) == 1
    assert "error:" in capsys.readouterr().err
