"""Interpolate tab: keyframes from the explore tab, the strip's frame count, playback, PNG and GIF export."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from ganstudio.runtime.exploration import path_labels
from ganstudio.runtime.imaging import to_uint8
from ganstudio.runtime.latent import keyframe_path, truncate
from ganstudio.runtime.latent_files import LatentState


def set_ab(window, a: int = 2, b: int = 7) -> None:
    window.explore.select_cell(a)
    window.interpolate.use_current("A")
    window.explore.select_cell(b)
    window.interpolate.use_current("B")


def wait_frames(qtbot, tab, n: int) -> None:
    qtbot.waitUntil(lambda: tab.frame_count() == n, timeout=10000)


def test_strip_has_the_right_frame_count_and_frames(make_window, tiny_onnx, qtbot):
    window = make_window(tiny_onnx)
    tab = window.interpolate
    assert tab.frame_count() == 0 and not tab.export_gif_button.isEnabled()
    set_ab(window)
    assert len(tab.keyframes()) == 2
    tab.steps_spin.setValue(5)
    wait_frames(qtbot, tab, 5)
    assert tab.strip.count() == 5 and tab.strip.columns() == 5  # one horizontal row
    keys = np.stack([truncate(k.z, k.truncation) for k in tab.keyframes()])
    expected = window.backend().generate(keyframe_path(keys, 5, spherical=True))
    np.testing.assert_allclose(tab.frames(), expected, atol=1e-5)
    # the ends are the keyframes themselves
    np.testing.assert_allclose(tab.frames()[[0, -1]], window.backend().generate(keys), atol=1e-5)

    tab.mode_combo.setCurrentIndex(1)  # lerp
    qtbot.waitUntil(
        lambda: np.allclose(tab.frames(), window.backend().generate(keyframe_path(keys, 5)), atol=1e-5), timeout=10000
    )
    window.explore.select_cell(11)
    tab.use_current("add")  # A, B, new end
    wait_frames(qtbot, tab, 9)
    assert tab.strip._marked == {0, 4, 8}
    tab.closed_check.setChecked(True)
    wait_frames(qtbot, tab, 12)
    tab.key_list.setCurrentRow(1)
    tab.remove_keyframe()
    tab.closed_check.setChecked(False)
    tab.steps_spin.setValue(64)
    wait_frames(qtbot, tab, 64)


def test_keyframes_from_the_grid_context_menu_and_reordering(make_window, tiny_onnx, qtbot):
    window = make_window(tiny_onnx)
    explore, tab = window.explore, window.interpolate
    state = LatentState(explore.state.grid_z[4].copy(), None, 1.0)
    explore.keyframe_requested.emit("A", state)
    explore.keyframe_requested.emit("B", LatentState(explore.state.grid_z[5].copy(), None, 1.0))
    explore.keyframe_requested.emit("B", LatentState(explore.state.grid_z[6].copy(), None, 1.0))  # replaces B
    assert len(tab.keyframes()) == 2
    np.testing.assert_array_equal(tab.keyframes()[1].z, explore.state.grid_z[6])
    tab.key_list.setCurrentRow(0)
    tab._buttons["down"].click()
    np.testing.assert_array_equal(tab.keyframes()[0].z, explore.state.grid_z[6])
    qtbot.waitUntil(lambda: not tab.key_list.item(0).icon().isNull(), timeout=10000)  # thumbnails rendered
    tab._buttons["clear"].click()
    assert tab.keyframes() == [] and tab.frame_count() == 0


def test_playback_advances_frames_at_the_chosen_speed(make_window, tiny_onnx, qtbot):
    window = make_window(tiny_onnx)
    window.tabs.setCurrentWidget(window.interpolate)
    tab = window.interpolate
    set_ab(window)
    tab.steps_spin.setValue(6)
    wait_frames(qtbot, tab, 6)
    tab.fps_spin.setValue(60)
    tab.play()
    assert tab.is_playing() and tab.play_button.text() == "Pause"
    seen = set()
    qtbot.waitUntil(lambda: seen.add(tab.strip.selected()) or len(seen) >= 4, timeout=5000)
    tab.play(False)
    assert not tab.is_playing()
    tab.show_frame(3)
    np.testing.assert_array_equal(tab.preview.picture(), to_uint8(tab.frames()[3:4])[0])
    assert tab.frame_label.text() == "4 / 6"


def test_export_strip_png_and_gif(make_window, tiny_onnx, qtbot, tmp_path):
    window = make_window(tiny_onnx)
    tab = window.interpolate
    set_ab(window)
    tab.steps_spin.setValue(4)
    wait_frames(qtbot, tab, 4)
    tab.export_strip(str(tmp_path / "strip.png"), scale=2)
    with Image.open(tmp_path / "strip.png") as image:
        assert image.size == ((4 * 29 + 1) * 2, 30 * 2)  # 1 px padding around 28 px frames
    tab.fps_spin.setValue(10)
    tab.export_gif(str(tmp_path / "anim.gif"), scale=3)
    with Image.open(tmp_path / "anim.gif") as gif:
        assert gif.n_frames == 4 and gif.size == (84, 84)
        assert gif.info["duration"] == 100


def test_export_without_a_strip_points_to_the_interpolate_tab(make_window, tiny_onnx):
    window = make_window(tiny_onnx)
    window.export_gif_dialog()  # no dialog: nothing to export yet
    assert window.tabs.currentWidget() is window.interpolate
    with pytest.raises(ValueError):
        window.interpolate.export_strip("unused.png")


@pytest.mark.slow
def test_conditional_frames_take_the_nearest_keyframe_label(make_window, cond_onnx, qtbot):
    assert path_labels([0, 2], 5, closed=False).tolist() == [0, 0, 2, 2, 2]
    assert path_labels([0, 1, 2], 3, closed=True).tolist() == [0, 1, 1, 2, 2, 0]
    assert path_labels([None, None], 4, closed=False) is None
    window = make_window(cond_onnx)
    explore, tab = window.explore, window.interpolate
    explore.class_combo.setCurrentIndex(1)
    tab.use_current("A")
    explore.class_combo.setCurrentIndex(2)
    tab.use_current("B")
    tab.steps_spin.setValue(3)
    wait_frames(qtbot, tab, 3)
    assert "class two" in tab.key_list.item(1).text()
