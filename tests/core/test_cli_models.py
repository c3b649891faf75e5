"""The CLI's model commands through the runtime layer: shipped models by name, and unknown commands."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from ganstudio.cli import main as cli_main
from ganstudio.cli.main import main


@pytest.fixture(scope="module")
def shipped_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A models folder holding a tiny generator named `tinygen.onnx`."""
    import torch

    from ganstudio.core.config import ModelConfig
    from ganstudio.core.export import export_onnx
    from ganstudio.core.networks import build_generator

    folder = tmp_path_factory.mktemp("shipped")
    torch.manual_seed(0)
    cfg = ModelConfig(arch="mlp", latent_dim=8, g_width=8, d_width=8)
    export_onnx(build_generator(cfg), cfg, None, folder / "tinygen.onnx")
    return folder


@pytest.fixture
def shipped(shipped_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GANSTUDIO_MODELS", str(shipped_dir))
    return shipped_dir


def test_info_finds_a_shipped_model_by_name(shipped, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no file called "tinygen" here
    assert main(["info", "tinygen"]) == 0
    out = capsys.readouterr().out
    assert str(shipped / "tinygen.onnx") in out and "latent size:  8" in out


def test_sample_uses_a_shipped_model_by_name(shipped, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "grid.png"
    assert main(["sample", "tinygen", "--n", "4", "--scale", "1", "--out", str(out)]) == 0
    assert Image.open(out).size == (2 * 28 + 3 * 2, 2 * 28 + 3 * 2)


def test_an_existing_path_wins_over_a_shipped_name(shipped, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tinygen").write_text("not a model")
    assert main(["info", "tinygen"]) == 1
    assert "not a GAN Studio model" in capsys.readouterr().err


def test_an_unknown_name_is_still_file_not_found(shipped, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert main(["info", "nosuchmodel"]) == 1
    assert "file not found: nosuchmodel" in capsys.readouterr().err


def test_an_unknown_command_does_not_open_the_app(monkeypatch, capsys):
    opened: list[str | None] = []
    monkeypatch.setattr(cli_main, "_launch_gui", lambda model: opened.append(model) or 0)
    assert main(["trian"]) == 2
    err = capsys.readouterr().err
    assert "unknown command 'trian'" in err and "did you mean 'train'" in err
    assert opened == []


def test_a_model_path_still_opens_the_app(monkeypatch, tmp_path):
    opened: list[str | None] = []
    monkeypatch.setattr(cli_main, "_launch_gui", lambda model: opened.append(model) or 0)
    existing = tmp_path / "run-folder"
    existing.mkdir()
    assert main([str(existing)]) == 0
    assert main(["missing/model.onnx"]) == 0  # a model suffix: the app opens it and says what is wrong
    assert opened == [str(existing), "missing/model.onnx"]
