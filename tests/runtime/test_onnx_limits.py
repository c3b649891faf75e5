"""Crafted ONNX files are refused with one clear line when opened, before anything runs or is allocated."""

from __future__ import annotations

from pathlib import Path

import pytest

from ganstudio.cli.main import main
from ganstudio.runtime.backends import OnnxGenerator
from ganstudio.runtime.model_info import ModelLoadError
from tests.runtime.crafted_onnx import constant_image_model


def test_a_30000_pixel_output_is_refused_when_opened(tmp_path: Path) -> None:
    path = constant_image_model(tmp_path / "huge.onnx", side=30000)
    with pytest.raises(ModelLoadError, match=r"images are 30000 pixels wide or high; .* at most 1024 x 1024"):
        OnnxGenerator(path)


def test_info_says_why_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = constant_image_model(tmp_path / "huge.onnx", side=30000)
    assert main(["info", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "30000 pixels" in err and "Traceback" not in err


def test_channels_other_than_grey_or_rgb_are_refused(tmp_path: Path) -> None:
    path = constant_image_model(tmp_path / "c5.onnx", side=8, channels=5)
    with pytest.raises(ModelLoadError, match="images have 5 channels"):
        OnnxGenerator(path)


def test_a_small_crafted_model_still_opens(tmp_path: Path) -> None:
    info = OnnxGenerator(constant_image_model(tmp_path / "ok.onnx", side=8, channels=1)).info
    assert (info.image_size, info.channels, info.latent_dim) == (8, 1, 8)


def test_metadata_that_is_not_utf8_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = constant_image_model(tmp_path / "utf.onnx", side=8, channels=1, invalid_utf8_in="dataset")
    with pytest.raises(ModelLoadError, match="metadata is not valid UTF-8 text"):
        OnnxGenerator(path)
    assert main(["info", str(path)]) == 1
    assert "unexpected" not in capsys.readouterr().err


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        ({"image_size": "30000"}, r"metadata image_size=30000 is out of range \(1..1024\)"),
        ({"latent_dim": "-3"}, r"metadata latent_dim=-3 is out of range"),
        ({"num_classes": "999999999"}, r"metadata num_classes=999999999 is out of range"),
        ({"channels": "many"}, r"metadata channels='many' is not a whole number"),
    ],
)
def test_metadata_values_out_of_range(tmp_path: Path, metadata: dict[str, str], message: str) -> None:
    with pytest.raises(ModelLoadError, match=message):
        OnnxGenerator(constant_image_model(tmp_path / "m.onnx", side=8, channels=1, metadata=metadata))
