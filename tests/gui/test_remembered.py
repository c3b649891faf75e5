"""What the next launch remembers: the last model (or the shipped one, saying why), the interpolation keyframes
for the same model; and the status bar's words on which generator is shown."""

from __future__ import annotations

import shutil

import numpy as np
from PySide6.QtGui import QKeySequence

from ganstudio.gui.dialogs import SHORTCUTS
from ganstudio.gui.settings import Settings
from ganstudio.gui.tab_order import shortcut_row
from ganstudio.runtime.latent_files import LatentState


def test_the_last_model_opens_again_at_launch(make_window, tiny_onnx, cond_onnx, qtbot):
    first = make_window(cond_onnx)
    first.close()
    second = make_window()
    assert second.open_startup_model()
    qtbot.waitUntil(lambda: second.backend() is not None, timeout=15000)
    assert second.model_path() == str(cond_onnx.resolve())
    assert second.source_status.text() == f"File: {cond_onnx.name}"


def test_a_missing_last_model_falls_back_to_the_shipped_one_with_a_message(
    make_window, tiny_onnx, tmp_path, monkeypatch, qtbot
):
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    shutil.copy(tiny_onnx, shipped / "mnist.onnx")
    monkeypatch.setenv("GANSTUDIO_MODELS", str(shipped))
    gone = tmp_path / "moved-away.onnx"
    Settings().set_last_model(gone)
    window = make_window()
    assert window.open_startup_model()
    qtbot.waitUntil(lambda: window.backend() is not None, timeout=15000)
    assert window.model_path().endswith("mnist.onnx")
    message = window.statusBar().currentMessage()
    assert "moved-away.onnx" in message and "is gone" in message and "Loaded mnist.onnx" in message


def test_interpolation_keyframes_come_back_for_the_same_model(make_window, tiny_onnx, cond_onnx, qtbot):
    window = make_window(tiny_onnx)
    rng = np.random.default_rng(3)
    keys = [LatentState(rng.standard_normal(8).astype(np.float32), None, psi) for psi in (0.5, 1.0, 1.25)]
    window.interpolate.set_keyframes(keys)
    window.interpolate.steps_spin.setValue(5)
    window.close()

    again = make_window(tiny_onnx)
    restored = again.interpolate.keyframes()
    assert len(restored) == 3 and again.interpolate.steps_spin.value() == 5
    for got, want in zip(restored, keys, strict=True):
        np.testing.assert_allclose(got.z, want.z, rtol=1e-6)
        assert got.truncation == want.truncation and got.label is None
    again.close()

    other = make_window(cond_onnx)  # another model: its own (no) keyframes
    assert other.interpolate.keyframes() == []


def test_every_menu_shortcut_and_the_arrow_keys_are_listed(make_window):
    window = make_window()
    listed = " ".join(key for key, _ in SHORTCUTS)
    for action in window.findChildren(type(window.live_action)):
        for sequence in action.shortcuts():
            text = sequence.toString(QKeySequence.SequenceFormat.PortableText)
            if text.startswith("Ctrl+") and text[-1].isdigit() and text != "Ctrl+0":
                text = shortcut_row()[0]  # the tab shortcuts share a row
            assert text in listed, f"{action.text()} ({text}) is missing from the shortcuts list"
    assert "Arrow keys" in listed and "Double-click" in listed


def test_the_status_bar_says_training_runs_from_every_tab(make_window, tiny_onnx):
    from ganstudio.core.events import StepMetrics
    from ganstudio.gui.train_worker import METRIC_COLUMNS, MetricsBatch

    def batch(step: int) -> MetricsBatch:
        latest = StepMetrics(step, 1.0, step * 64, 1.0, 1.0, 0.5, 0.5, float("nan"), 900.0, 60.0, 0.5, 60.0)
        rows = np.full((1, len(METRIC_COLUMNS)), 1.0)
        rows[0, 0] = step
        return MetricsBatch(rows, latest)

    window = make_window(tiny_onnx)
    panel = window.train_panel
    assert not window.training_status.isVisible()
    panel.training_active_changed.emit(True)
    panel.run.metrics.emit(batch(1200))
    assert window.training_status.isVisible() and window.training_status.text() == "Training: step 1,200"
    panel.run.metrics.emit(batch(1300))
    assert window.training_status.text() == "Training: step 1,300"
    panel.training_active_changed.emit(False)
    assert window.training_status.text() == "Training stopped at step 1,300"
    assert window.source_status.text() == f"File: {tiny_onnx.name}"
