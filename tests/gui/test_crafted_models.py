"""Opening crafted ONNX files in the app: a dialog says why, and the previous model stays loaded and rendering."""

from __future__ import annotations

from pathlib import Path

from tests.gui.test_models import still_renders, wait_error
from tests.runtime.crafted_onnx import constant_image_model


def test_a_huge_output_and_undecodable_metadata_show_dialogs(make_window, tiny_onnx, tmp_path: Path, qtbot, errors):
    huge = constant_image_model(tmp_path / "huge.onnx", side=30000)
    garbled = constant_image_model(tmp_path / "garbled.onnx", side=8, channels=1, invalid_utf8_in="class_names")
    window = make_window(tiny_onnx)
    window.open_path(huge)
    wait_error(qtbot, errors, 1)
    assert errors[0][0] == "Cannot open model" and "30000 pixels" in errors[0][1]
    window.open_path(garbled)
    wait_error(qtbot, errors, 2)
    assert "not valid UTF-8" in errors[1][1]
    assert window.model_path() == str(tiny_onnx)
    still_renders(window, qtbot)
