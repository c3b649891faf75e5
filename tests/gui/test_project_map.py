"""Project tab (drawing canvas, projection into Explore), Map tab (map, hover, click, markers) and the nearest
training images panel."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from ganstudio.core.data import named
from ganstudio.gui.digit_canvas import DigitCanvas
from ganstudio.runtime import latent_map as lm
from ganstudio.runtime.exploration import Exploration, Interpolation
from ganstudio.runtime.latent_files import LatentState
from ganstudio.runtime.nearest import NearestIndex
from ganstudio.runtime.png_state import read_png_state
from tests.data_paths import shared_mnist
from tests.runtime.fakes import SquareGenerator
from tests.runtime.test_latent_map import pca_2d

REPO_MODELS = Path(__file__).resolve().parents[2] / "models"


def _mouse(widget, kind: QEvent.Type, x: float, y: float, buttons=Qt.MouseButton.LeftButton) -> None:
    button = Qt.MouseButton.LeftButton if kind != QEvent.Type.MouseMove else Qt.MouseButton.NoButton
    event = QMouseEvent(kind, QPointF(x, y), QPointF(x, y), button, buttons, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)


def draw_stroke(canvas: DigitCanvas, points: list[tuple[float, float]]) -> None:
    _mouse(canvas, QEvent.Type.MouseButtonPress, *points[0])
    for x, y in points[1:]:
        _mouse(canvas, QEvent.Type.MouseMove, x, y)
    _mouse(canvas, QEvent.Type.MouseButtonRelease, *points[-1], buttons=Qt.MouseButton.NoButton)


def test_the_canvas_draws_strokes_and_undo_and_clear_take_them_back(qtbot):
    canvas = DigitCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(200, 200)
    canvas.show()
    assert canvas.is_empty() and not canvas.can_undo()
    with qtbot.waitSignal(canvas.stroke_finished):
        draw_stroke(canvas, [(100, 30), (100, 100), (100, 170)])
    ink = canvas.picture() < 128
    assert ink.any() and ink[:, 135:145].any() and not ink[:, :100].any()  # a vertical line in the middle
    canvas.brush = 50
    draw_stroke(canvas, [(40, 100), (160, 100)])
    assert (canvas.picture() < 128).sum() > ink.sum() * 2
    canvas.undo()
    assert np.array_equal(canvas.picture() < 128, ink)
    canvas.clear()
    assert canvas.is_empty()
    canvas.undo()
    assert np.array_equal(canvas.picture() < 128, ink)


@pytest.mark.slow
def test_a_projected_digit_becomes_explores_current_sample(make_window, qtbot, tmp_path):
    from PIL import Image

    window = make_window(REPO_MODELS / "mnist.onnx")
    project = window.project
    window.tabs.setCurrentWidget(project)
    project.refine_check.setChecked(False)  # the encoder (or random start) alone: no torch in this test
    digit = named.read_split("mnist", shared_mnist(), "train").images[0, 0]
    path = tmp_path / "mine.png"
    Image.fromarray(255 - digit).resize((112, 112)).save(path)
    with qtbot.waitSignal(project.projected, timeout=30000) as signal:
        assert project.open_picture(path)
    state = signal.args[0]
    assert isinstance(state, LatentState) and state.z.shape == (64,)
    assert project.input_view.picture() is not None and project.result_view.picture() is not None
    assert "Pixel error" in project.summary.text()
    assert np.allclose(window.explore.latent_state().z, state.z)
    project.explore_button.click()
    assert window.tabs.currentWidget() is window.explore

    saved = tmp_path / "projection.png"
    assert project.save_button.isEnabled()
    project.save_png(saved)
    recorded = read_png_state(saved)
    assert recorded.model_sha256 == window.explore.model_sha256() and np.array_equal(recorded.z, state.z)
    window.explore.randomize()
    window.tabs.setCurrentWidget(project)
    window.open_path(saved)  # opening (or dropping) the PNG restores the projection in Explore
    assert window.tabs.currentWidget() is window.explore
    assert np.array_equal(window.explore.latent_state().z, state.z)


def test_a_picture_that_is_not_an_image_shows_an_error(make_window, errors, tmp_path):
    window = make_window()
    bad = tmp_path / "bad.png"
    bad.write_text("no")
    assert not window.project.open_picture(bad)
    assert errors and "not an image" in errors[-1][1]


@pytest.fixture
def map_tab(qtbot, tmp_path, monkeypatch):
    from ganstudio.gui import nearest_panel
    from ganstudio.gui.map_tab import MapTab

    monkeypatch.setattr(lm, "MAP_SAMPLES", 80)
    monkeypatch.setattr(lm, "embed_2d", pca_2d)
    monkeypatch.setattr(lm, "user_cache_root", lambda: tmp_path / "cache")
    train = np.random.default_rng(0).integers(0, 256, (50, 1, 28, 28), dtype=np.uint8)
    monkeypatch.setattr(nearest_panel, "nearest_index_for", lambda info: NearestIndex(train, np.zeros(50)))
    monkeypatch.setattr(nearest_panel, "held_out_images", lambda info, n: train[:20])
    backend = SquareGenerator()
    exploration, interpolation = Exploration(), Interpolation()
    exploration.set_model(backend.info)
    interpolation.set_model(backend.info)
    tab = MapTab(exploration, interpolation)
    qtbot.addWidget(tab)
    model = tmp_path / "square.onnx"
    model.write_bytes(b"square")
    tab.resize(900, 500)
    tab.show()
    tab.set_backend(backend, str(model))
    qtbot.waitUntil(lambda: tab.latent_map is not None, timeout=20000)
    yield tab
    tab.shutdown()


def test_the_map_shows_every_sample_and_a_click_makes_one_current(map_tab, qtbot):
    latent_map = map_tab.latent_map
    assert len(map_tab.map_view.scatter.data) == 80
    qtbot.waitUntil(lambda: len(map_tab.map_view.current_item.data) == 1, timeout=10000)
    map_tab.make_current(7)
    assert np.allclose(map_tab.exploration.z, latent_map.z[7])
    # the star moves to the clicked sample's place
    qtbot.waitUntil(
        lambda: np.allclose(
            [map_tab.map_view.current_item.data[0]["x"], map_tab.map_view.current_item.data[0]["y"]],
            latent_map.points[7],
            atol=1e-3 * float(np.ptp(latent_map.points)),
        ),
        timeout=10000,
    )


def test_hovering_a_point_previews_its_sample(map_tab, qtbot):
    view = map_tab.map_view
    qtbot.wait(50)
    point = view.map.points[3]
    scene = view.plot.getViewBox().mapViewToScene(QPointF(float(point[0]), float(point[1])))
    view._on_mouse_moved(scene)
    assert view.hovered is not None and view.hover_view.isVisible()
    assert np.array_equal(view.hover_view.picture()[..., 0], view.map.thumbnails[view.hovered, 0])
    view._on_mouse_moved(QPointF(-1000, -1000))
    assert not view.hover_view.isVisible()


def test_keyframes_and_the_path_are_drawn_on_the_map(map_tab, qtbot):
    interpolation = map_tab.interpolation
    interpolation.set_keyframe("A", LatentState(map_tab.latent_map.z[1]))
    interpolation.set_keyframe("B", LatentState(map_tab.latent_map.z[2]))
    qtbot.waitUntil(lambda: len(map_tab.map_view.keys_item.data) == 2, timeout=10000)
    assert len(map_tab.map_view.path_curve.getData()[0]) == interpolation.steps


def test_the_nearest_panel_shows_the_current_samples_neighbours(map_tab, qtbot):
    panel = map_tab.nearest
    map_tab.exploration.set_latent_state(LatentState(np.zeros(4, np.float32)))
    qtbot.waitUntil(lambda: panel.view.picture() is not None, timeout=10000)
    assert "pixel:" in panel.distances.text()
    picture = panel.view.picture()
    assert picture.shape[1] > 8 * 28  # the sample and its 8 neighbours in a row
    with qtbot.waitSignal(panel.ratio_runner.finished, timeout=20000):
        panel.measure_ratio()
    assert "Copying ratio" in panel.ratio_label.text() and "pixel" in panel.ratio_label.text()


def test_closing_mid_projection_stops_the_worker(qtbot):
    from ganstudio.gui.project_tab import ProjectTab
    from ganstudio.gui.settings import Settings

    tab = ProjectTab(Settings())
    qtbot.addWidget(tab)
    tab.set_backend(SquareGenerator(), "")
    tab.canvas.set_picture(np.pad(np.zeros((10, 4)), 8, constant_values=1.0))
    tab.shutdown()
    assert not tab.runner.busy()
