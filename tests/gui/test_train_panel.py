"""The Train tab end to end: form validation, a tiny real training run driven by the buttons, pause / resume,
stop, errors, dataset download cancelling and shutdown. Models are tiny MLPs on a 64-image folder, one CPU
thread, a few dozen steps, so the whole file stays light on a shared 2-core machine.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt, QThread
from PySide6.QtWidgets import QProgressDialog, QPushButton

from ganstudio.gui.loss_plots import LossPlots, MetricHistory
from ganstudio.gui.train_form import TrainForm
from ganstudio.gui.train_panel import TrainPanel
from tests.gui.train_helpers import RUN_TIMEOUT_MS, configure, endless_download, wait_done, watch_quit


@pytest.fixture
def panel(qtbot):
    widget = TrainPanel(preview_seconds=0.3)
    qtbot.addWidget(widget)
    widget.resize(1200, 800)
    widget.show()
    yield widget
    widget.shutdown(20_000)


def no_running_threads(panel: TrainPanel) -> bool:
    return not any(t.isRunning() for t in panel.findChildren(QThread))


# ---------------------------------------------------------------------------------------------- the form
def test_defaults_come_from_the_core_configs(qtbot):
    from ganstudio.core.config import ModelConfig, TrainConfig

    form = TrainForm()
    qtbot.addWidget(form)
    assert form.is_valid(), form.error()
    model, train = form.configs()
    m, t = ModelConfig(), TrainConfig()
    assert (model.arch, model.latent_dim, model.g_width, model.d_width, model.g_layers) == (
        m.arch,
        m.latent_dim,
        m.g_width,
        m.d_width,
        m.g_layers,
    )
    assert (train.loss, train.batch_size, train.g_lr, train.d_lr, train.ema_decay, train.augment, train.lr_decay) == (
        t.loss,
        t.batch_size,
        t.g_lr,
        t.d_lr,
        t.ema_decay,
        t.augment,
        t.lr_decay,
    )
    assert train.minutes == 3.0 and train.steps == 0 and train.epochs == 0
    assert not form.gp_edit.isEnabled()  # gradient penalty only for WGAN-GP
    form.loss_combo.setCurrentIndex(form.loss_combo.findData("wgan-gp"))
    assert form.gp_edit.isEnabled()
    assert form.g_layers_spin.isEnabled()  # G's depth is an MLP setting
    form.arch_combo.setCurrentIndex(form.arch_combo.findData("dcgan"))
    assert not form.g_layers_spin.isEnabled()
    form.augment_combo.setCurrentIndex(form.augment_combo.findData("translate"))
    assert form.configs()[1].augment == "translate"


def test_invalid_input_disables_start_and_names_the_field(panel, tmp_path):
    form = panel.form
    configure(form, "mnist", tmp_path / "run")
    assert panel.start_button.isEnabled()

    form.latent_spin.setValue(0)
    assert not panel.start_button.isEnabled()
    assert form.error_label.isVisible()
    assert "Latent size" in form.error_label.text() and "latent_dim" in form.error_label.text()
    form.latent_spin.setValue(16)
    assert panel.start_button.isEnabled() and not form.error_label.isVisible()

    form.g_lr_edit.setText("fast")
    assert not panel.start_button.isEnabled()
    assert "G learning rate" in form.error() and form.error_field() == "g_lr"
    assert form.advanced.isVisible()  # the offending field is shown even if Advanced was collapsed
    form.g_lr_edit.setText("2")
    assert "g_lr must be in (0, 1]" in form.error_label.text()
    form.g_lr_edit.setText("1e-4")
    assert panel.start_button.isEnabled()

    form.budget_value.setValue(0)
    assert not panel.start_button.isEnabled() and "Budget" in form.error()


def test_options_are_remembered(qtbot, tmp_path):
    form = TrainForm()
    qtbot.addWidget(form)
    form.latent_spin.setValue(24)
    form.loss_combo.setCurrentIndex(form.loss_combo.findData("wgan-gp"))
    form.set_dataset(str(tmp_path))
    form.save_settings()
    again = TrainForm()
    qtbot.addWidget(again)
    assert again.latent_spin.value() == 24
    assert again.loss_combo.currentData() == "wgan-gp"
    assert again.dataset_spec() == str(tmp_path)


# ---------------------------------------------------------------------------------------------- training
@pytest.mark.slow
def test_short_run_plots_samples_finishes_and_exports(panel, qtbot, tmp_path, image_folder):
    from ganstudio.runtime.backends import open_generator

    run_dir = tmp_path / "run"
    configure(panel.form, image_folder, run_dir, steps=40)
    snapshots = []
    panel.snapshot_ready.connect(snapshots.append)
    qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    assert panel.is_running() and not panel.start_button.isEnabled() and not panel.form.isEnabled()
    wait_done(qtbot, panel)

    result = panel.last_result()
    assert result is not None and result.reason == "completed", result
    assert result.step == 40 and panel.current_step() == 40
    steps, values = panel.plots.curve_data("d_loss")
    assert len(steps) == 40 and steps[0] == 1 and steps[-1] == 40 and np.isfinite(values).all()
    assert len(panel.plots.curve_data("d_fake", smoothed=True)[1]) == 40
    assert panel.sample_grid.count() > 0
    assert snapshots and snapshots[-1].step == 40
    assert (run_dir / "checkpoint.safetensors").is_file() and (run_dir / "generator.onnx").is_file()
    assert str(run_dir) in panel.result_label.text() and "ONNX" in panel.result_label.text()
    # The typed folder now holds this run: the field goes back to "automatic", naming the last run, so the next
    # Start makes a new folder instead of refusing.
    assert panel.form.run_dir_edit.text() == "" and run_dir.name in panel.form.run_dir_edit.placeholderText()
    assert panel.start_button.isEnabled() and panel.form.error() == ""
    panel.form.run_dir_edit.setText(str(run_dir))  # typing a used folder is still refused
    assert "already holds a training run" in panel.form.error() and not panel.start_button.isEnabled()
    assert panel.load_button.isEnabled()
    # the live metrics measure an image folder too (SWD): the final generator once more, then the thread ends
    qtbot.waitUntil(lambda: no_running_threads(panel), timeout=60_000)

    with qtbot.waitSignal(panel.model_ready, timeout=5000) as blocker:
        qtbot.mouseClick(panel.load_button, Qt.MouseButton.LeftButton)
    generator = open_generator(blocker.args[0])
    images = generator.generate(np.zeros((2, 8), np.float32))
    assert images.shape == (2, 1, 28, 28)
    generator.close()


@pytest.mark.slow
def test_pause_holds_the_step_count_and_resume_continues(panel, qtbot, tmp_path, image_folder):
    configure(panel.form, image_folder, tmp_path / "run", minutes=30)
    active = []  # what the main window paces slider renders by
    panel.training_active_changed.connect(active.append)
    qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.current_step() >= 3, timeout=RUN_TIMEOUT_MS)

    qtbot.mouseClick(panel.pause_button, Qt.MouseButton.LeftButton)
    assert panel.is_paused() and panel.resume_button.isEnabled() and not panel.pause_button.isEnabled()
    qtbot.wait(500)  # the step in flight and the last batch of metrics arrive
    paused_at = panel.current_step()
    qtbot.wait(800)
    assert panel.current_step() == paused_at
    assert len(panel.plots.history) == paused_at

    qtbot.mouseClick(panel.resume_button, Qt.MouseButton.LeftButton)
    assert not panel.is_paused()
    qtbot.waitUntil(lambda: panel.current_step() > paused_at + 2, timeout=RUN_TIMEOUT_MS)

    qtbot.mouseClick(panel.pause_button, Qt.MouseButton.LeftButton)  # stopping while paused must also work
    qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)
    wait_done(qtbot, panel)
    assert panel.last_result().reason == "stopped"
    assert active == [True, False, True, False]


@pytest.mark.slow
def test_stop_mid_run_saves_a_checkpoint(panel, qtbot, tmp_path, image_folder):
    run_dir = tmp_path / "run"
    configure(panel.form, image_folder, run_dir, minutes=30)
    qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.current_step() >= 5, timeout=RUN_TIMEOUT_MS)
    assert "ETA" in panel.header.stats_label.text()
    qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)
    assert not panel.stop_button.isEnabled()
    assert panel.stage_label.text() == "Stopping"  # short: the note is in the bar, the stats line keeps its room
    assert "saving the checkpoint" in panel.header.progress_bar.format()
    assert "ETA" not in panel.header.stats_label.text()
    started = time.monotonic()
    wait_done(qtbot, panel)
    assert time.monotonic() - started < 20  # saving + ONNX export: a few seconds, more on a busy machine
    result = panel.last_result()
    assert result.reason == "stopped" and result.step >= 5
    stats = panel.header.stats_label.text()
    assert f"step {result.step:,}" in stats and "ETA" not in stats  # final numbers, no stale ETA
    assert panel.stage_label.text() == "Training stopped" and "stopped" in panel.header.progress_bar.format()
    assert (run_dir / "checkpoint.safetensors").is_file()
    assert panel.load_button.isEnabled()
    # the live metrics measure an image folder too (SWD): the final generator once more, then the thread ends
    qtbot.waitUntil(lambda: no_running_threads(panel), timeout=60_000)


@pytest.mark.slow
def test_resume_a_run_continues_from_its_checkpoint(panel, qtbot, tmp_path, image_folder, monkeypatch):
    from ganstudio.gui import train_form

    run_dir = tmp_path / "run"
    configure(panel.form, image_folder, run_dir, steps=20)
    qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    wait_done(qtbot, panel)
    assert panel.last_result().step == 20

    monkeypatch.setattr(train_form, "choose_directory", lambda *args, **kwargs: str(run_dir))
    panel.form.budget_value.setValue(10)  # 10 more steps
    qtbot.mouseClick(panel.resume_run_button, Qt.MouseButton.LeftButton)
    assert panel.is_running()
    wait_done(qtbot, panel)
    result = panel.last_result()
    assert result.reason == "completed" and result.step == 30
    steps, _ = panel.plots.curve_data("g_loss")
    assert len(steps) == 30 and steps[0] == 1  # the restored history is plotted too


def test_missing_dataset_folder_shows_an_error_and_the_panel_stays_usable(panel, qtbot, tmp_path, errors):
    configure(panel.form, tmp_path / "no-such-folder", tmp_path / "run")
    qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    wait_done(qtbot, panel)
    assert len(errors) == 1 and "no-such-folder" in errors[0][1]
    assert panel.stage_label.text() == "Failed"
    assert panel.start_button.isEnabled() and panel.form.isEnabled() and not panel.stop_button.isEnabled()


def test_divergence_shows_a_readable_message(panel, qtbot, tmp_path, image_folder, monkeypatch, errors):
    from ganstudio.core import training

    original = training.Trainer._train_step

    def exploding(self):
        losses = original(self)
        if self.step >= 8:
            losses[0] = float("nan")
        return losses

    monkeypatch.setattr(training.Trainer, "_train_step", exploding)
    configure(panel.form, image_folder, tmp_path / "run", steps=40)
    qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    wait_done(qtbot, panel)
    assert panel.last_result().reason == "diverged"
    assert len(errors) == 1 and errors[0][0] == "Training diverged" and "NaN" in errors[0][1]
    assert panel.stage_label.text() == "Training diverged"
    assert not panel.load_button.isEnabled()
    assert panel.form.isEnabled() and panel.resume_run_button.isEnabled()


def test_download_shows_progress_and_can_be_cancelled(panel, qtbot, tmp_path, monkeypatch, errors):
    from ganstudio.core.data import named

    monkeypatch.setattr(named, "locate_dataset", lambda *args, **kwargs: None)
    monkeypatch.setattr(named, "download_dataset", endless_download)
    configure(panel.form, "mnist", tmp_path / "run")
    qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: any(d.isVisible() for d in panel.findChildren(QProgressDialog)), timeout=20_000)
    dialog = next(d for d in panel.findChildren(QProgressDialog) if d.isVisible())
    qtbot.waitUntil(lambda: dialog.value() > 0, timeout=10_000)
    assert "train-images" in dialog.labelText()
    qtbot.mouseClick(dialog.findChild(QPushButton), Qt.MouseButton.LeftButton)  # its Cancel button
    wait_done(qtbot, panel)
    assert not errors  # a cancel is not an error
    assert panel.stage_label.text() == "Cancelled"
    assert not any(d.isVisible() for d in panel.findChildren(QProgressDialog))
    assert panel.start_button.isEnabled()


@pytest.mark.slow
def test_shutdown_during_training_leaves_no_thread(qtbot, tmp_path, image_folder):
    panel = TrainPanel(preview_seconds=0.3)
    qtbot.addWidget(panel)
    configure(panel.form, image_folder, tmp_path / "run", minutes=30)
    panel.start()
    qtbot.waitUntil(lambda: panel.current_step() >= 2, timeout=RUN_TIMEOUT_MS)
    panel.shutdown(30_000)
    assert not panel.is_running() and no_running_threads(panel)
    assert (tmp_path / "run" / "checkpoint.safetensors").is_file()


# ---------------------------------------------------------------------------------------------- pieces
@pytest.mark.slow
def test_worker_batches_metrics_instead_of_one_signal_per_step(qtbot, tmp_path, image_folder):
    from ganstudio.core.config import ModelConfig, TrainConfig
    from ganstudio.gui.train_worker import TrainRequest, TrainWorker

    request = TrainRequest(
        ModelConfig(arch="mlp", latent_dim=8, g_width=8, d_width=8),
        TrainConfig(dataset=str(image_folder), batch_size=32, steps=60, threads=1),
        str(tmp_path / "run"),
        preview_seconds=100.0,
    )
    worker = TrainWorker(request)
    batches, events, failures = [], [], []
    worker.metrics.connect(batches.append)
    worker.event.connect(events.append)
    worker.failed.connect(failures.append)
    worker.run()  # synchronously, in this thread
    assert not failures
    rows = np.concatenate([b.rows for b in batches])
    assert rows[:, 0].tolist() == list(range(1, 61))
    assert len(batches) < 60  # throttled: at most ~20 per second, plus one before each other event
    assert batches[-1].latest.step == 60
    assert type(events[-1]).__name__ == "TrainingFinished"


@pytest.mark.slow
def test_worker_takes_classes_from_the_data(qtbot, tmp_path, image_folder):
    import shutil

    from ganstudio.core.config import ModelConfig, TrainConfig
    from ganstudio.gui.train_worker import TrainRequest, TrainWorker

    labelled = tmp_path / "labelled"
    for i, path in enumerate(sorted(image_folder.glob("*.png"))[:32]):
        (labelled / ("a" if i % 2 else "b")).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, labelled / ("a" if i % 2 else "b") / path.name)

    def run(folder: Path) -> tuple[list, list]:
        request = TrainRequest(
            ModelConfig(arch="mlp", latent_dim=8, g_width=8, d_width=8),
            TrainConfig(dataset=str(folder), batch_size=16, steps=3, threads=1),
            str(tmp_path / f"run-{folder.name}"),
            conditional=True,
            preview_seconds=100.0,
        )
        worker = TrainWorker(request)
        events, failures = [], []
        worker.event.connect(events.append)
        worker.failed.connect(failures.append)
        worker.run()
        return events, failures

    events, failures = run(labelled)
    assert not failures and events[-1].reason == "completed"
    snapshot = next(e for e in events if type(e).__name__ == "GeneratorSnapshot")
    assert snapshot.model_config.num_classes == 2 and snapshot.model_config.class_names == ("a", "b")
    _, failures = run(image_folder)  # no subfolders: no labels
    assert len(failures) == 1 and "labelled data" in failures[0]


def test_plot_history_is_bounded_and_gradient_penalty_shown_only_when_used(qtbot):
    history = MetricHistory(max_points=1000)
    for start in range(0, 5000, 250):
        steps = np.arange(start + 1, start + 251, dtype=float)
        history.append(np.column_stack([steps, np.ones((250, 4)), np.full(250, np.nan)]))
    assert 500 <= len(history) <= 1000
    assert np.all(np.diff(history.steps()) > 0) and history.steps()[-1] > 4700

    plots = LossPlots()
    qtbot.addWidget(plots)
    plots.append(np.column_stack([np.arange(1, 11), np.ones((10, 4)), np.full(10, np.nan)]))
    plots.refresh()
    assert not plots.gradient_penalty_visible() and len(plots.curve_data("g_loss")[0]) == 10
    plots.append(np.column_stack([np.arange(11, 21), np.ones((10, 5))]))
    plots.refresh()
    assert plots.gradient_penalty_visible() and len(plots.curve_data("gradient_penalty")[0]) == 20


def test_plots_refresh_less_often_when_painting_them_is_dear(qtbot):
    from ganstudio.gui.loss_plots import MAX_REFRESH_MS, REFRESH_MS

    plots = LossPlots()
    qtbot.addWidget(plots)
    rows = lambda start: np.column_stack([np.arange(start, start + 10), np.ones((10, 4)), np.full(10, np.nan)])  # noqa: E731
    plots.append(rows(1))
    plots.view.paint_ms = 0.0
    plots.refresh()
    assert plots.timer.interval() < 2 * REFRESH_MS  # cheap: about 4 Hz
    plots.show()
    qtbot.waitUntil(lambda: plots.view.paint_ms > 0, timeout=5000)  # real paints are counted
    plots.view.paint_ms = 50.0  # two 25 ms paints since the last refresh, as on a slow 2-core CPU
    plots.append(rows(11))
    plots.refresh()
    assert plots.timer.interval() >= 800 and plots.timer.interval() <= MAX_REFRESH_MS
    assert plots.view.paint_ms == 0.0  # counted from this refresh on


def test_the_panel_does_not_import_torch():
    code = "import sys, ganstudio.gui.train_panel; sys.exit(1 if 'torch' in sys.modules else 0)"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    assert subprocess.run([sys.executable, "-c", code], env=env, timeout=120).returncode == 0


def test_every_user_facing_config_field_has_a_form_widget(qtbot):
    from ganstudio.core.config import ModelConfig, TrainConfig
    from ganstudio.core.options import options_of

    form = TrainForm(restore=False)
    qtbot.addWidget(form)
    for cls in (ModelConfig, TrainConfig):
        for opt in options_of(cls):
            if opt.user_facing:
                assert form.widget(opt.name) is not None, f"{cls.__name__}.{opt.name} has no widget in the Train form"


def test_reset_reads_the_declared_defaults_and_errors_mark_the_named_widget(qtbot):
    from ganstudio.core.config import TrainConfig

    form = TrainForm(restore=False)
    qtbot.addWidget(form)
    form.widget("d_beta2").setText("1")
    assert form.error_field() == "d_beta2" and form.widget("d_beta2").styleSheet()
    assert "D beta2" in form.error()
    form.widget("batch_size").setValue(7)
    form.reset_defaults()
    assert form.is_valid(), form.error()
    assert form.configs()[1].batch_size == TrainConfig().batch_size and not form.widget("d_beta2").styleSheet()


# ---------------------------------------------------------------------------------------------- run folder
@pytest.mark.slow
def test_the_run_folder_field_shows_the_real_folder_during_and_after_an_automatic_run(
    panel, qtbot, tmp_path, image_folder, monkeypatch
):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data-home"))
    configure(panel.form, image_folder, tmp_path / "unused", steps=15)
    panel.form.run_dir_edit.setText("")  # automatic
    panel.start()
    edit = panel.form.run_dir_edit
    shown = edit.text()
    assert shown and Path(shown).parent == tmp_path / "data-home" / "ganstudio" / "runs"
    wait_done(qtbot, panel)
    assert panel.last_result().run_dir == shown
    assert edit.text() == "" and Path(shown).name in edit.placeholderText() and shown in edit.toolTip()
    assert panel.form.is_valid() and panel.start_button.isEnabled()  # the next run gets a new folder again


def test_resume_a_run_asks_in_the_runs_folder(panel, monkeypatch, tmp_path):
    from ganstudio.gui import train_form
    from ganstudio.paths import runs_root

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data-home"))
    asked = []
    monkeypatch.setattr(train_form, "choose_directory", lambda *args: asked.append(args) or "")
    panel.resume_run_button.click()
    assert asked and asked[0][2] == str(runs_root()) and str(tmp_path) in asked[0][2]


@pytest.mark.slow
def test_quitting_mid_run_saves_within_two_seconds_while_the_window_keeps_painting(qtbot, tmp_path, image_folder):
    panel = TrainPanel(preview_seconds=0.3)
    qtbot.addWidget(panel)
    panel.show()
    run_dir = tmp_path / "run"
    configure(panel.form, image_folder, run_dir, minutes=30)
    panel.start()
    qtbot.waitUntil(lambda: panel.current_step() >= 5, timeout=RUN_TIMEOUT_MS)

    with watch_quit(panel) as watch:
        assert panel.shutdown_with_feedback()
    assert watch.seconds < 2.0, f"quitting took {watch.seconds:.2f} s"
    assert not panel.is_running() and no_running_threads(panel)
    assert any(text.startswith("Saving the run...") for text in watch.texts)  # the user is told what happens
    assert len(watch.ticks) >= 3 and watch.largest_gap() < 0.5  # the event loop kept running: the window painted
    assert (run_dir / "checkpoint.safetensors").is_file()  # saved, so it can be resumed ...
    assert not (run_dir / "generator.onnx").exists()  # ... and the slow export was skipped
    assert "not exported" in panel.last_result().message
    assert not any(d.isVisible() for d in panel.findChildren(QProgressDialog))


@pytest.mark.slow
def test_a_slow_quit_says_why(qtbot, tmp_path, image_folder, monkeypatch):
    from PySide6.QtCore import QTimer

    from ganstudio.core import training

    original = training.Trainer.save

    def slow_save(self):
        time.sleep(1.0)  # a large model on a slow disk
        return original(self)

    monkeypatch.setattr(training.Trainer, "save", slow_save)
    panel = TrainPanel(preview_seconds=0.3)
    qtbot.addWidget(panel)
    panel.show()
    configure(panel.form, image_folder, tmp_path / "run", minutes=30)
    panel.start()
    qtbot.waitUntil(lambda: panel.current_step() >= 3, timeout=RUN_TIMEOUT_MS)
    texts: list[str] = []
    beat = QTimer(interval=50)
    beat.timeout.connect(lambda: texts.extend(d.labelText() for d in panel.findChildren(QProgressDialog)))
    beat.start()
    assert panel.shutdown_with_feedback(explain_after_ms=200)
    beat.stop()
    assert any("Still writing the checkpoint" in text for text in texts)
    assert (tmp_path / "run" / "checkpoint.safetensors").is_file() and no_running_threads(panel)
