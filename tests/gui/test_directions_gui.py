"""The Directions panel, the Plane tab and PNGs that remember their sample, driven through the real window."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QMessageBox

from ganstudio.runtime.imaging import to_uint8
from ganstudio.runtime.latent import truncate
from ganstudio.runtime.model_hash import model_sha256
from ganstudio.runtime.png_state import read_png_state

LONG = 60000  # ms: finding directions shares two cores with the rest of the suite


def expected_picture(window) -> np.ndarray:
    state = window.explore.state
    z = truncate(state.sample_z()[None], state.truncation)
    labels = np.array([state.label], np.int64) if state.info.conditional else None
    return to_uint8(window.backend().generate(z, labels))[0]


def wait_picture(qtbot, window) -> None:
    qtbot.waitUntil(lambda: np.array_equal(window.explore.current_picture(), expected_picture(window)), timeout=10000)


def save_cell(window, index: int, path: Path) -> tuple[Path, np.ndarray]:
    """Make grid cell `index` current and save it as a PNG; returns the path and the latent it records."""
    window.explore.select_cell(index)
    window.explore.save_image(str(path), 1)
    return path, window.explore.state.sample_z()


def open_directions(qtbot, window):
    explore = window.explore
    panel = explore.directions_panel
    explore.latent_tabs.setCurrentWidget(panel)
    qtbot.waitUntil(lambda: panel.slider("PC1") is not None, timeout=LONG)
    return panel


@pytest.mark.slow  # waits for the direction set (seconds on a shared CPU)
def test_direction_sliders_move_the_sample_and_strips_preview_them(make_window, tiny_onnx, qtbot) -> None:
    window = make_window(tiny_onnx)
    panel = open_directions(qtbot, window)
    state = window.explore.state
    assert "directions (found)" in panel.status.text()
    before = window.explore.current_picture().copy()
    panel.slider("PC1").setValue(250)  # +2.5
    assert state.directions.offsets() == {"PC1": 2.5}
    wait_picture(qtbot, window)
    assert not np.array_equal(window.explore.current_picture(), before)
    strip = panel.strip("PC1")
    qtbot.waitUntil(lambda: strip.count() == 7, timeout=10000)
    qtbot.mouseClick(strip, Qt.MouseButton.LeftButton, pos=strip.cell_rect(0).center().toPoint())
    assert state.directions.offset("PC1") == -3.0 and panel.slider("PC1").value() == -300
    window.explore.reset()
    assert state.directions.offsets() == {} and panel.slider("PC1").value() == 0


@pytest.mark.slow  # waits for the direction set (seconds on a shared CPU)
def test_a_reopened_model_reads_its_directions_from_the_cache(make_window, tiny_onnx, qtbot) -> None:
    window = make_window(tiny_onnx)
    panel = open_directions(qtbot, window)
    window.open_path(tiny_onnx)
    qtbot.waitUntil(lambda: "from the cache" in panel.status.text(), timeout=LONG)


@pytest.mark.slow  # waits for the direction set (seconds on a shared CPU)
def test_saving_then_dropping_a_png_restores_the_sample(make_window, tiny_onnx, qtbot, tmp_path) -> None:
    window = make_window(tiny_onnx)
    panel = open_directions(qtbot, window)
    explore, state = window.explore, window.explore.state
    explore.select_cell(5)
    state.set_truncation(0.8)
    panel.slider("ink").setValue(120)
    wait_picture(qtbot, window)
    saved_z = state.sample_z()
    path = tmp_path / "sample.png"
    explore.save_image(str(path), 2)
    record = read_png_state(path)
    assert record.model_sha256 == model_sha256(tiny_onnx) and record.direction_offsets == {"ink": 1.2}
    assert record.z.tobytes() == saved_z.tobytes() and record.scale == 2

    explore.randomize()
    state.set_truncation(1.0)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    drop = QDropEvent(
        QPointF(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier
    )
    window.dropEvent(drop)
    assert state.sample_z().tobytes() == saved_z.tobytes() and state.truncation == 0.8
    assert state.directions.offsets() == {"ink": 1.2} and panel.slider("ink").value() == 120
    assert "Restored the sample saved in sample.png" in window.statusBar().currentMessage()
    wait_picture(qtbot, window)


def test_a_png_from_another_model_offers_that_model(
    make_window, tiny_onnx, cond_onnx, qtbot, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = make_window(tiny_onnx)
    path, saved_z = save_cell(window, 7, tmp_path / "tiny-sample.png")
    window.open_path(cond_onnx)
    qtbot.waitUntil(lambda: window.model_path() == str(cond_onnx), timeout=15000)
    window.explore.randomize()
    asked: list[str] = []

    def answer(parent, title, text, *args, **kwargs):
        asked.append(text)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", staticmethod(answer))
    window.open_path(path)
    assert asked and "tiny.onnx" in asked[0]
    qtbot.waitUntil(lambda: window.model_path() == str(tiny_onnx), timeout=15000)
    qtbot.waitUntil(lambda: "the model that made it" in window.statusBar().currentMessage(), timeout=5000)
    assert window.explore.state.sample_z().tobytes() == saved_z.tobytes()


def test_a_png_without_state_says_so(make_window, tiny_onnx, tmp_path, errors) -> None:
    from PIL import Image

    window = make_window(tiny_onnx)
    plain = tmp_path / "plain.png"
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(plain)
    window.open_path(plain)
    assert errors and "no GAN Studio sample state" in errors[0][1]


def test_loading_a_malformed_direction_set_shows_why(make_window, tiny_onnx, qtbot, tmp_path, errors) -> None:
    window = make_window(tiny_onnx)
    panel = window.explore.directions_panel
    bad = tmp_path / "bad.json"
    bad.write_text('{"model_sha256": "", "directions": [{"name": "a", "kind": "pca", "vector": [2, 0]}]}')
    assert not panel.load(str(bad))
    assert errors[0][0] == "Cannot load directions" and "unit length" in errors[0][1]


def test_the_plane_moves_the_sample_on_click_and_pans_on_drag(make_window, tiny_onnx, qtbot) -> None:
    window = make_window(tiny_onnx)
    plane, state = window.plane, window.explore.state
    window.tabs.setCurrentWidget(plane)
    plane.set_axes("z0", "z1")
    grid = plane.grid
    qtbot.waitUntil(lambda: grid.count() == 81, timeout=15000)
    assert "no classifier" in plane.info.text()  # the tiny model's images are no dataset's
    z = state.sample_z()
    qtbot.mouseClick(grid, Qt.MouseButton.LeftButton, pos=grid.cell_rect(0).center().toPoint())  # top-left
    moved = state.sample_z()
    assert moved[0] == pytest.approx(z[0] - 3.0) and moved[1] == pytest.approx(z[1] + 3.0)
    np.testing.assert_array_equal(moved[2:], z[2:])
    assert (plane.view.pan_u, plane.view.pan_v) == (3.0, -3.0)  # the grid stays; the ring moved to the cell
    centre = grid.cell_rect(40).center().toPoint()
    qtbot.mousePress(grid, Qt.MouseButton.LeftButton, pos=centre)
    qtbot.mouseMove(grid, centre + QPoint(60, 0))
    qtbot.mouseRelease(grid, Qt.MouseButton.LeftButton, pos=centre + QPoint(60, 0))
    assert plane.view.pan_u < 3.0 and state.sample_z().tobytes() == moved.tobytes()  # panning moves no sample
    plane.centre()
    assert (plane.view.pan_u, plane.view.pan_v) == (0.0, 0.0)


def test_a_png_opened_before_any_model_opens_the_model_that_made_it(
    make_window, tiny_onnx, qtbot, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = make_window(tiny_onnx)
    path, saved_z = save_cell(window, 3, tmp_path / "first.png")
    window.close()
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: pytest.fail("nothing to ask")))
    fresh = make_window()  # as `ganstudio first.png` starts: no model yet, tiny.onnx among the recent files
    fresh.open_path(path)
    qtbot.waitUntil(lambda: fresh.model_path() == str(tiny_onnx), timeout=15000)
    qtbot.waitUntil(lambda: "the model that made it" in fresh.statusBar().currentMessage(), timeout=5000)
    assert fresh.explore.state.sample_z().tobytes() == saved_z.tobytes()


def test_directions_are_found_only_once_a_tab_needs_them(make_window, tiny_onnx, qtbot) -> None:
    window = make_window(tiny_onnx)
    panel = window.explore.directions_panel
    qtbot.wait(200)
    assert panel.slider("PC1") is None  # opening the model started nothing
    assert "first shown" in panel.status.text()
    window.tabs.setCurrentWidget(window.plane)  # the Plane offers named directions: it asks for them
    qtbot.waitUntil(lambda: panel.slider("PC1") is not None, timeout=LONG)
