"""The Train tab's small widgets on their own: buttons that follow the run's state and announce intents, the
header's numbers, the samples' fitting rule and the result line."""

from __future__ import annotations

import os
from dataclasses import replace

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path

from PySide6.QtCore import Qt

from ganstudio.core.events import StepMetrics, TrainingFinished
from ganstudio.gui.train_controls import TrainControls
from ganstudio.gui.train_header import TrainHeader, format_duration
from ganstudio.gui.train_result import TrainResult
from ganstudio.gui.train_run import RunState
from ganstudio.gui.train_samples import tiles_per_side


def enabled(controls: TrainControls) -> dict[str, bool]:
    buttons = {
        "start": controls.start_button,
        "pause": controls.pause_button,
        "resume": controls.resume_button,
        "stop": controls.stop_button,
        "resume_run": controls.resume_run_button,
    }
    return {name: button.isEnabled() for name, button in buttons.items()}


def test_controls_follow_the_run_state(qtbot):
    controls = TrainControls()
    qtbot.addWidget(controls)
    controls.show_state(RunState(), can_start=True)
    assert enabled(controls) == dict(start=True, pause=False, resume=False, stop=False, resume_run=True)
    controls.show_state(RunState(), can_start=False)
    assert enabled(controls) == dict(start=False, pause=False, resume=False, stop=False, resume_run=True)
    controls.show_state(RunState(running=True), can_start=True)
    assert enabled(controls) == dict(start=False, pause=True, resume=False, stop=True, resume_run=False)
    controls.show_state(RunState(running=True, paused=True), can_start=True)
    assert enabled(controls) == dict(start=False, pause=False, resume=True, stop=True, resume_run=False)
    controls.show_state(RunState(running=True, paused=True, stopping=True), can_start=True)
    assert enabled(controls) == dict(start=False, pause=False, resume=False, stop=False, resume_run=False)


def test_controls_announce_what_the_user_asked_for(qtbot):
    controls = TrainControls()
    qtbot.addWidget(controls)
    controls.show_state(RunState(running=True), can_start=True)
    for button, signal in (
        (controls.pause_button, controls.pause_requested),
        (controls.stop_button, controls.stop_requested),
    ):
        with qtbot.waitSignal(signal, timeout=1000):
            qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    controls.show_state(RunState(), can_start=True)
    with qtbot.waitSignal(controls.start_requested, timeout=1000):
        qtbot.mouseClick(controls.start_button, Qt.MouseButton.LeftButton)


def test_run_state_is_active_only_while_training():
    assert RunState(running=True).active
    assert not RunState(running=True, paused=True).active and not RunState().active


def test_header_shows_the_numbers_and_the_bar(qtbot):
    header = TrainHeader()
    qtbot.addWidget(header)
    metrics = StepMetrics(
        step=1200,
        epoch=1.25,
        images_seen=38400,
        d_loss=0.7,
        g_loss=0.7,
        d_real=0.5,
        d_fake=0.5,
        gradient_penalty=float("nan"),
        images_per_second=850.0,
        elapsed_seconds=70.0,
        eta_seconds=3725.0,
        progress=0.25,
    )
    header.show_metrics(metrics)
    assert (
        header.stats_label.text() == "epoch 1.25   ·   step 1,200   ·   850 img/s   ·   elapsed 1:10   ·   ETA 1:02:05"
    )
    assert header.progress_bar.value() == 250 and header.progress_bar.format() == "25%"
    header.show_stopping()
    assert header.stage() == "Stopping" and "saving the checkpoint" in header.progress_bar.format()
    assert "ETA" not in header.stats_label.text() and "step 1,200" in header.stats_label.text()
    header.show_metrics(replace(metrics, step=1210, progress=0.54))  # the step in flight still reports
    assert "ETA" not in header.stats_label.text() and "saving the checkpoint" in header.progress_bar.format()
    header.show_finished("Training stopped", completed=False)
    assert header.stage() == "Training stopped" and "ETA" not in header.stats_label.text()
    assert header.progress_bar.value() == 540 and header.progress_bar.format() == "54% (stopped)"
    header.reset()
    header.set_progress(None)
    assert header.is_busy()
    header.show_finished("Training stopped", completed=False)
    assert not header.is_busy() and header.stage() == "Training stopped"
    assert header.progress_bar.format() == "stopped"
    header.show_metrics(replace(metrics, progress=None, eta_seconds=None))
    header.show_ended("Failed", "failed")
    assert header.progress_bar.format() == "failed at step 1,200" and not header.is_busy()
    header.show_finished("Training complete", completed=True)
    assert header.progress_bar.value() == header.progress_bar.maximum()
    assert format_duration(None) == "--" and format_duration(float("nan")) == "--"


def test_samples_show_fewer_tiles_when_room_is_short():
    assert tiles_per_side(64, 28, room_px=2000) == 8
    assert tiles_per_side(64, 28, room_px=300) == 5  # 56 px tiles: five fit in 300 px with the spacing
    assert tiles_per_side(64, 28, room_px=10) == 4  # never fewer than 4 x 4
    assert tiles_per_side(9, 28, room_px=2000) == 3  # no more than there are images


def test_result_offers_only_an_exported_generator(qtbot, tmp_path: Path):
    result = TrainResult()
    qtbot.addWidget(result)
    onnx = tmp_path / "generator.onnx"
    finished = TrainingFinished(10, "completed", "done", str(tmp_path), None, str(onnx))
    result.show_finished(finished)  # the file is not there
    assert not result.load_button.isEnabled() and "ONNX" not in result.label.text()
    onnx.write_bytes(b"x")
    result.show_finished(finished)
    assert result.load_button.isEnabled() and "Training complete" in result.label.text()
    with qtbot.waitSignal(result.load_requested, timeout=1000) as blocker:
        qtbot.mouseClick(result.load_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [str(onnx)]
    result.clear()
    assert not result.load_button.isEnabled() and result.label.text() == ""
