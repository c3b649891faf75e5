"""Impossible training requests are refused before any data is loaded, with a message that says what to do."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from ganstudio.cli import train_commands
from ganstudio.cli.main import main
from ganstudio.core.config import MAX_SEED, ConfigError, TrainConfig
from ganstudio.core.data import DataError, load_dataset

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "models" / "mnist.onnx"


@pytest.fixture
def no_data_load(monkeypatch: pytest.MonkeyPatch) -> None:
    """Loading data is the expensive step every check here must come before."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the data was loaded before the request was checked")

    monkeypatch.setattr(train_commands, "_load_data", refuse)


@pytest.mark.parametrize(
    ("flag", "value"), [("--steps", "0"), ("--minutes", "0"), ("--epochs", "0"), ("--minutes", "-2")]
)
def test_a_zero_budget_is_refused_not_taken_for_the_default(flag, value, no_data_load, capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["train", "--dataset", "mnist", flag, value])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {flag}: {flag[2:]} must be more than 0, got {value}; leave it out for the default budget" in err


def test_resume_refuses_a_zero_budget_too(no_data_load, capsys, tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        main(["resume", str(tmp_path), "--steps", "0"])
    assert "steps must be more than 0" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--batch-size", "1"], "batch_size must be in 2..4096 (batch normalisation needs at least 2 images), got 1"),
        (["--seed", "-1"], f"seed must be in 0..{MAX_SEED}, got -1"),
        (["--seed", str(2**63)], f"seed must be in 0..{MAX_SEED}, got {2**63}"),
    ],
)
def test_impossible_options_fail_before_data_load(extra, message, no_data_load, capsys) -> None:
    assert main(["train", "--dataset", "mnist", "--steps", "5", *extra]) == 1
    err = capsys.readouterr().err
    assert f"error: {message}" in err and "unexpected" not in err


def test_the_largest_seed_is_accepted() -> None:
    assert TrainConfig(seed=MAX_SEED).seed == MAX_SEED


def test_a_missing_gpu_is_found_before_data_load(no_data_load, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert main(["train", "--dataset", "mnist", "--steps", "5", "--device", "cuda"]) == 1
    err = capsys.readouterr().err
    assert "error: device 'cuda' was asked for but no CUDA GPU is available" in err and "unexpected" not in err


def test_the_device_error_is_a_config_error_for_the_form(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    from ganstudio.core.device import check_device

    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    with pytest.raises(ConfigError) as info:
        check_device("mps")
    assert info.value.field == "device"


def test_a_one_image_folder_is_refused_after_listing(tmp_path: Path) -> None:
    Image.new("L", (8, 8)).save(tmp_path / "only.png")
    with pytest.raises(DataError, match="1 image file to train on; a GAN needs at least 2"):
        load_dataset(str(tmp_path), 28, 1)


def test_a_folder_left_with_one_readable_image_is_refused(tmp_path: Path) -> None:
    Image.new("L", (8, 8)).save(tmp_path / "good.png")
    (tmp_path / "broken.png").write_bytes(b"not a png")
    with pytest.raises(DataError, match="1 readable image to train on"):
        load_dataset(str(tmp_path), 28, 1)


@pytest.mark.skipif(not SHIPPED.is_file(), reason="needs the shipped generator")
@pytest.mark.skipif(sys.platform == "win32", reason="a POSIX pipe")
def test_a_closed_pipe_ends_quietly() -> None:
    """`ganstudio info mnist.onnx | head -0`: the reader is gone before the first line is written."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    code = "import sys; from ganstudio.cli.main import main; sys.exit(main(sys.argv[1:]))"
    try:
        done = subprocess.run(
            [sys.executable, "-c", code, "info", str(SHIPPED)],
            stdout=write_end,
            stderr=subprocess.PIPE,
            cwd=ROOT,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write_end)
    assert done.stderr == b""
    assert done.returncode == 141
