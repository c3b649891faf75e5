"""Live quality metrics in the Train tab: the view, the latest-wins worker, the schedule, the panel wiring, and
the GUI's "auto" CPU thread count. Models are tiny MLPs trained for a few steps on the shared MNIST test split,
with one torch thread, so the file stays light on a shared 2-core machine.
"""

from __future__ import annotations

import os
import threading
import time

from tests.data_paths import shared_mnist

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt, QThread

from ganstudio import paths
from ganstudio.core import metrics
from ganstudio.core.live_metrics import MetricsJob, unavailable_report
from ganstudio.core.quality_report import QualityReport, ReferenceInfo, UnavailableReport
from ganstudio.gui.metrics_view import MetricsView, fid_text
from ganstudio.gui.metrics_worker import LiveMetrics, MetricsWorker

MNIST = shared_mnist()
CLASSIFIER = metrics.classifier_path("mnist", paths.models_dir())
needs_mnist = pytest.mark.skipif(
    not (MNIST.is_dir() and CLASSIFIER.is_file()),
    reason="needs the shared MNIST folder and models/mnist-classifier.onnx",
)
REPORT_KEYS = {
    "available",
    "fid",
    "fid_floor",
    "fid_ratio",
    "classes_covered",
    "class_histogram",
    "real_class_histogram",
    "kl_class",
    "mean_confidence",
    "inception_score",
    "conditional_accuracy",
    "per_class_accuracy",
    "class_names",
    "step",
    "run",
    "samples",
}


def fake_report(covered: int = 10, step: int = 400, ratio: float = 8.8) -> QualityReport:
    hist = (0.1,) * 10 if covered == 10 else (0.3, 0.2, 0.01, 0.15, 0.0, 0.12, 0.1, 0.1, 0.02, 0.0)
    return QualityReport(
        n=2000,
        dataset="mnist",
        fid=3.08,
        fid_floor=0.35,
        fid_floor_std=0.02,
        floor_n=2000,
        floor_splits=5,
        fid_ratio=ratio,
        classes_covered=covered,
        class_histogram=hist,
        real_class_histogram=(0.1,) * 10,
        kl_class=0.0123,
        mean_confidence=0.934,
        inception_score=8.1,
        inception_score_real=9.6,
        num_classes=10,
        class_names=tuple(str(i) for i in range(10)),
        classifier="mnist-classifier.onnx",
        classifier_accuracy=0.99,
        reference=ReferenceInfo("test", 10_000, "", 28, 0),
        step=step,
    )


@pytest.fixture
def classifier_models(tmp_path, monkeypatch) -> Path:
    """GANSTUDIO_MODELS (emptied by conftest) pointing at a folder with just the MNIST classifier."""
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / CLASSIFIER.name).symlink_to(CLASSIFIER)
    monkeypatch.setenv("GANSTUDIO_MODELS", str(folder))
    return folder


@pytest.fixture(scope="module")
def snapshot():
    """A GeneratorSnapshot of a tiny MLP trained for 5 steps on MNIST."""
    if not MNIST.is_dir():
        pytest.skip("needs the shared MNIST folder")
    from ganstudio.core.config import ModelConfig, TrainConfig
    from ganstudio.core.data import load_dataset
    from ganstudio.core.training import Trainer

    dataset = load_dataset("mnist", data_dir=MNIST)
    trainer = Trainer(
        ModelConfig(arch="mlp", latent_dim=8, g_width=8, d_width=8),
        TrainConfig(dataset="mnist", batch_size=32, steps=5, threads=1),
        dataset,
    )
    for _event in trainer.run(export_on_finish=False):
        pass
    return trainer.snapshot()


def start_worker(qtbot) -> tuple[MetricsWorker, QThread, list, list]:
    worker = MetricsWorker()
    thread = QThread()
    worker.moveToThread(thread)
    reports, failures = [], []
    worker.report_ready.connect(reports.append)
    worker.failed.connect(failures.append)
    worker.drained.connect(thread.quit, Qt.ConnectionType.DirectConnection)
    thread.start()
    return worker, thread, reports, failures


# ---------------------------------------------------------------------------------------------- the view
def test_view_shows_the_numbers_of_a_report(qtbot):
    view = MetricsView()
    qtbot.addWidget(view)
    view.show()
    assert view.message_text()  # a placeholder until the first report
    view.show_report(fake_report(step=200, ratio=30.0))
    view.show_report(fake_report(step=400))
    assert view.fid_label.text() == "FID 3.08 (8.8x real-vs-real floor 0.35)"
    assert view.coverage_value.text() == "10/10"
    assert view.confidence_value.text() == "0.93" and view.kl_value.text() == "0.012"
    assert view.warning_text() == "" and view.message_text() == "" and view.content.isVisible()
    steps, ratios = view.history()
    assert steps.tolist() == [200, 400] and ratios.tolist() == [30.0, 8.8]
    generated, real = view.histogram_data()
    assert np.allclose(generated, 0.1) and np.allclose(real, 0.1)
    view.show_report(fake_report(step=400, ratio=7.0))  # the final measurement of the same step replaces it
    assert view.history()[1].tolist() == [30.0, 7.0]

    big = dataclasses.replace(fake_report(step=65), fid=2012.3, fid_floor=0.866, fid_ratio=2323.8)
    assert fid_text(big) == "FID 2,012 (2,324x real-vs-real floor 0.87)"

    view.reset("new run")
    assert len(view.history()[0]) == 0 and view.message_text() == "new run"


def test_view_warns_about_mode_collapse(qtbot):
    view = MetricsView()
    qtbot.addWidget(view)
    view.show()
    view.show_report(fake_report(covered=6))
    warning = view.warning_text()
    assert "Possible mode collapse: only 6 of 10 classes appear" in warning
    assert "2, 4, 8, 9" in warning and view.warning_label.isVisible()
    assert view.coverage_value.text() == "6/10"
    view.show_report(fake_report(covered=10))
    assert view.warning_text() == "" and not view.warning_label.isVisible()
    # Early, noisy samples: the classifier reads them all as one class; that is not evidence of collapse.
    view.show_report(dataclasses.replace(fake_report(covered=1), fid_ratio=750.0))
    assert "cannot read them yet" in view.warning_text() and "mode collapse: only" not in view.warning_text()


def test_view_and_live_metrics_show_why_metrics_are_unavailable(qtbot, tmp_path):
    view = MetricsView()
    qtbot.addWidget(view)
    view.show()
    assert unavailable_report(str(tmp_path)) is None  # an existing image folder is measured (SWD)
    report = unavailable_report(str(tmp_path / "gone"))  # a folder that is not there cannot be
    assert isinstance(report, UnavailableReport)
    view.show_report(report)
    assert "unavailable" in view.message_text() and report.reason[:40] in view.message_text()
    assert not view.content.isVisible()

    live = LiveMetrics(MetricsView())
    live.start_run(str(tmp_path / "gone"), every_steps=10)
    assert "not MNIST or Fashion-MNIST" in live.view.message_text()
    assert not live.busy()  # no thread for runs that cannot be measured
    live.view.deleteLater()


# ---------------------------------------------------------------------------------------------- the worker
@pytest.mark.slow
@needs_mnist
def test_worker_measures_a_snapshot_and_keeps_only_the_newest(qtbot, snapshot, classifier_models, monkeypatch):
    import torch

    monkeypatch.setenv("GANSTUDIO_DATA", str(MNIST))
    rng_state = torch.get_rng_state()
    worker, thread, reports, failures = start_worker(qtbot)
    try:
        worker.submit(MetricsJob(snapshot, "mnist", str(MNIST), run=1))
        qtbot.waitUntil(lambda: bool(reports or failures), timeout=60_000)
        assert not failures, failures
        assert torch.equal(torch.get_rng_state(), rng_state)  # training's random stream is left alone
        report = reports[0]
        assert isinstance(report, QualityReport)
        data = report.to_json_dict()
        assert set(data) >= REPORT_KEYS, REPORT_KEYS - set(data)
        assert report.n == 2000 and report.step == snapshot.step
        assert report.run == 1 and len(report.class_histogram) == 10
        assert 0 < report.fid_floor < report.fid and report.fid_ratio > 1
        json.dumps(data)  # plain data

        reports.clear()
        before = worker.evaluations
        for step in range(1, 6):  # five quickly: the first may start, the others replace each other
            worker.submit(MetricsJob(dataclasses.replace(snapshot, step=step), "mnist", str(MNIST), samples=500))
        qtbot.waitUntil(lambda: not worker.busy() and bool(reports) and reports[-1].step == 5, timeout=60_000)
        assert worker.evaluations - before <= 2 and len(reports) <= 2
        assert [r.step for r in reports][-1] == 5
    finally:
        worker.finish()
        assert thread.wait(60_000)
    worker.deleteLater()


@pytest.mark.slow
def test_a_run_prepares_the_reference_and_a_measurement_pauses_while_the_user_drags(qtbot, classifier_models):
    from ganstudio.core.config import ModelConfig
    from ganstudio.core.events import GeneratorSnapshot

    prepared, paused = [], []
    started, go = threading.Event(), threading.Event()

    def evaluate(job, cancel, log, pause):
        started.set()
        go.wait(10)
        begin = time.monotonic()
        pause()
        paused.append(time.monotonic() - begin)

    live = LiveMetrics(MetricsView(), min_seconds=0.0, evaluate=evaluate, prepare=prepared.append)
    try:
        live.start_run("mnist", every_steps=1, image_size=32)
        qtbot.waitUntil(lambda: bool(prepared), timeout=10_000)  # before any snapshot
        assert (prepared[0].dataset, prepared[0].image_size) == ("mnist", 32)
        for step in (1, 2):
            live.snapshot(GeneratorSnapshot(step, ModelConfig(), {}))
        assert started.wait(10)
        live.user_interacting()  # the measurement is running: it waits for a quiet second at its next step
        go.set()
        qtbot.waitUntil(lambda: bool(paused), timeout=10_000)
        assert 0.8 <= paused[0] <= 5.0
    finally:
        go.set()
        live.shutdown()
        live.view.deleteLater()


def test_a_measurement_pauses_for_the_user_only_so_long(qtbot):
    from ganstudio.core.config import ModelConfig
    from ganstudio.core.events import GeneratorSnapshot

    paused = []

    def evaluate(job, cancel, log, pause):
        begin = time.monotonic()
        pause()
        paused.append(time.monotonic() - begin)

    worker = MetricsWorker(evaluate, max_pause=0.3)
    thread = QThread()
    worker.moveToThread(thread)
    worker.drained.connect(thread.quit, Qt.ConnectionType.DirectConnection)
    thread.start()
    try:
        worker.hold(60.0)  # a drag that goes on and on
        worker.submit(MetricsJob(GeneratorSnapshot(1, ModelConfig(), {}), "mnist"))
        qtbot.waitUntil(lambda: bool(paused), timeout=10_000)
        assert 0.2 <= paused[0] <= 3.0
    finally:
        worker.finish()
        assert thread.wait(10_000)
    worker.deleteLater()


# ---------------------------------------------------------------------------------------------- the panel
@pytest.mark.slow
@needs_mnist
def test_panel_measures_during_and_after_training_with_auto_threads(qtbot, tmp_path, classifier_models, monkeypatch):
    from ganstudio.gui.train_panel import TrainPanel
    from ganstudio.gui.train_worker import auto_threads

    monkeypatch.setenv("GANSTUDIO_DATA", str(MNIST))
    panel = TrainPanel(preview_seconds=0.2)
    qtbot.addWidget(panel)
    panel.resize(1200, 800)
    panel.show()
    form = panel.form
    assert "0 = auto: all cores but one" in form.threads_spin.toolTip()
    form.set_dataset("mnist")
    form.arch_combo.setCurrentIndex(form.arch_combo.findData("mlp"))
    for spin, value in (
        (form.latent_spin, 8),
        (form.g_width_spin, 8),
        (form.d_width_spin, 8),
        (form.batch_spin, 32),
        (form.threads_spin, 0),
        (form.metrics_every_spin, 5),
    ):
        spin.setValue(value)
    form.budget_kind.setCurrentIndex(form.budget_kind.findData("steps"))
    form.budget_value.setValue(30)
    run_dir = tmp_path / "run"
    form.run_dir_edit.setText(str(run_dir))
    assert form.is_valid(), form.error()
    panel.live_metrics.schedule.min_seconds = 0.0  # measure every 5 steps, not every 15 s
    panel.live_metrics.samples = 500
    reports = []
    panel.live_metrics.report_ready.connect(reports.append)
    try:
        qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not panel.is_running(), timeout=120_000)
        qtbot.waitUntil(lambda: not panel.live_metrics.busy(), timeout=60_000)
    finally:
        panel.shutdown(30_000)
    assert panel.last_result().reason == "completed"
    assert reports and reports[-1].step == 30  # once more at the end
    view = panel.metrics_view
    assert view.fid_label.text().startswith("FID ") and "real-vs-real floor" in view.fid_label.text()
    assert view.coverage_value.text().endswith("/10")
    assert view.history()[0][-1] == 30
    assert "quality at step 30" in panel.log_view.toPlainText()
    saved = json.loads((run_dir / "run.json").read_text())
    assert saved["train_config"]["threads"] == auto_threads() == max(1, (os.cpu_count() or 2) - 1)
