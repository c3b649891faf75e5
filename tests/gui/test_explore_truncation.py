"""Explore: truncation shown on the sliders and the |z| label, Randomize within the slider range, the drag that
lands on ψ 1.00, double-click resets, and class picker words."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from ganstudio.gui.explore_controls import class_item
from ganstudio.runtime.latent_files import LatentState


def test_truncation_shows_on_the_sliders_and_the_norm_label(make_window, tiny_onnx):
    explore = make_window(tiny_onnx).explore
    z = explore.latent_state().z
    assert explore.sliders.slider(0).marker() is None  # ψ 1: nothing to mark
    assert "ψ" not in explore.caption.text()
    explore.trunc_slider.setValue(70)
    norm = float(np.linalg.norm(z))
    assert f"|z| = {norm:.2f} (ψ 0.70 → {norm * 0.7:.2f})" in explore.caption.text()
    for dim in range(4):
        assert explore.sliders.slider(dim).marker() == round(z[dim] * 0.7 * 100)
        assert explore.sliders.value_text(dim) == f"{z[dim]:+.2f}"  # the slider keeps z itself
    assert "ψ" in explore.trunc_slider.toolTip() and "Truncation ψ" in explore.trunc_slider.toolTip()


def test_randomize_stays_within_the_slider_range(make_window, tiny_onnx):
    explore = make_window(tiny_onnx).explore
    for _ in range(200):  # 200 x 8 values: a plain normal would put ~4 past ±3
        explore.randomize()
        assert np.abs(explore.latent_state().z).max() <= 3.0
    assert "±3" in explore.randomize_button.toolTip()


def test_a_value_past_three_widens_its_slider_instead_of_pinning_the_handle(make_window, tiny_onnx):
    explore = make_window(tiny_onnx).explore
    z = np.zeros(8, np.float32)
    z[2] = -4.2
    explore.set_latent_state(LatentState(z))
    slider = explore.sliders.slider(2)
    assert slider.value() == -420 and slider.minimum() <= -420 < slider.value() + 1
    assert slider.value() > slider.minimum()  # not pinned at the end
    assert explore.sliders.value_text(2) == "-4.20"
    explore.set_latent_state(LatentState(np.zeros(8, np.float32)))
    assert (slider.minimum(), slider.maximum()) == (-300, 300)


def test_a_truncation_drag_lands_on_one_and_keys_still_step(make_window, tiny_onnx):
    explore = make_window(tiny_onnx).explore
    slider = explore.trunc_slider
    slider.setValue(90)
    slider.setSliderDown(True)  # what a mouse drag does
    slider.setValue(98)
    assert explore.truncation() == 1.0 and slider.value() == 100
    slider.setValue(103)
    assert explore.truncation() == 1.0
    slider.setValue(110)
    assert explore.truncation() == pytest.approx(1.1)
    slider.setSliderDown(False)
    slider.setValue(99)  # arrow keys and wheel: every step reachable
    assert explore.truncation() == pytest.approx(0.99)


def test_double_click_resets_a_latent_slider_and_the_truncation(make_window, tiny_onnx, qtbot):
    explore = make_window(tiny_onnx).explore
    explore.select_cell(5)
    origin = explore.latent_state().z.copy()
    slider = explore.sliders.slider(1)
    slider.setValue(250)
    assert explore.latent_state().z[1] == pytest.approx(2.5)
    qtbot.mouseDClick(slider, Qt.MouseButton.LeftButton, pos=QPoint(slider.width() // 2, slider.height() // 2))
    assert explore.latent_state().z[1] == pytest.approx(origin[1])
    assert slider.value() == round(origin[1] * 100)
    explore.trunc_slider.setValue(40)
    trunc = explore.trunc_slider
    qtbot.mouseDClick(trunc, Qt.MouseButton.LeftButton, pos=QPoint(5, trunc.height() // 2))
    assert explore.truncation() == 1.0 and trunc.value() == 100


def test_class_items_name_the_class_once():
    assert class_item(0, "0") == "0"
    assert class_item(3, "Dress") == "3: Dress"


def test_class_picker_of_a_model_without_names(make_window, cond_onnx):
    explore = make_window(cond_onnx).explore
    info = explore.state.info
    assert [explore.class_combo.itemText(i) for i in range(3)] == ["0: zero", "1: one", "2: two"]
    explore.state.set_model(replace(info, class_names=()), explore.state.supports_class_blend)
    assert [explore.class_combo.itemText(i) for i in range(3)] == ["0", "1", "2"]
    assert [explore.blend_combo.itemText(i) for i in range(3)] == ["0", "1", "2"]
