"""Live SWD in the Train tab: an image folder's run is measured with SWD against two halves of the folder, on the
metrics thread, and the view shows SWD next to its floor instead of the classifier's numbers."""

from __future__ import annotations

import dataclasses
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ganstudio.core.live_metrics import MetricsJob
from ganstudio.core.quality_report import ReferenceInfo, SwdReport, SwdScores
from ganstudio.gui.metrics_view import MetricsView
from ganstudio.gui.metrics_worker import LiveMetrics
from tests.gui.test_live_metrics import fake_report, start_worker


def swd_report(step: int, ratio: float) -> SwdReport:
    scores = SwdScores.from_levels((32, 16), (10.0 * ratio, 10.0 * ratio), (10.0, 10.0), 100, 12800)
    return SwdReport("/pictures/cats", 200, scores, ReferenceInfo("", 200, "/pictures/cats", 32, 0), step=step)


def test_view_shows_swd_for_a_folder_and_the_classifier_numbers_again_for_mnist(qtbot) -> None:
    view = MetricsView()
    qtbot.addWidget(view)
    view.show()
    view.show_report(swd_report(100, 4.0))
    view.show_report(swd_report(200, 2.0))
    assert view.fid_label.text() == "SWD 20 (2.0x real-vs-real floor 10)"
    assert "200 samples vs 200 images of the folder" in view.heading_label.text()
    assert view.swd_value.text() == "32px 20, 16px 20"
    assert not view.histogram_plot.isVisible() and not view.coverage_value.isVisible()
    steps, ratios = view.history()
    assert list(steps) == [100, 200] and list(ratios) == [4.0, 2.0]
    assert view.history_plot.getPlotItem().getAxis("left").labelText == "SWD / floor"

    view.reset()
    view.show_report(fake_report(step=300))
    assert view.heading_label.text() == "Step 300: 2,000 samples vs the MNIST training data"  # one split only
    assert view.fid_label.text().startswith("FID 3.08") and view.histogram_plot.isVisible()
    assert view.coverage_value.isVisible() and view.swd_value.text() == "-"  # this fake report has no SWD
    held_out = ReferenceInfo("test", 10_000, "", 28, 0, held_out=True)
    view.show_report(dataclasses.replace(fake_report(step=400), reference=held_out, swd=swd_report(1, 1.1).swd))
    assert view.heading_label.text() == "Step 400: 2,000 samples vs the held-out MNIST test split"
    assert view.swd_value.text() == "11 (1.1x floor 10)"


def _folder(root: Path, n: int = 40) -> Path:
    rng = np.random.default_rng(0)
    for i in range(n):
        sub = root / ("a" if i % 2 else "b")
        sub.mkdir(parents=True, exist_ok=True)
        pixels = (rng.random((32, 32, 3)) * 60 + np.linspace(0, 180, 32)[None, :, None]).astype(np.uint8)
        Image.fromarray(pixels).save(sub / f"{i}.png")
    return root


@pytest.fixture(scope="module")
def rgb_snapshot(tmp_path_factory):
    """A GeneratorSnapshot of a tiny 32 px RGB MLP trained for 3 steps on a folder, and the folder."""
    from ganstudio.core.config import ModelConfig, TrainConfig
    from ganstudio.core.data import load_dataset
    from ganstudio.core.training import Trainer

    folder = _folder(tmp_path_factory.mktemp("pictures"))
    dataset = load_dataset(str(folder), image_size=32, channels=3)
    model = ModelConfig(arch="mlp", latent_dim=8, g_width=8, d_width=8, image_size=32, channels=3)
    trainer = Trainer(model, TrainConfig(dataset=str(folder), batch_size=8, steps=3, threads=1), dataset)
    for _event in trainer.run(export_on_finish=False):
        pass
    return trainer.snapshot(), folder


@pytest.mark.slow
def test_worker_measures_a_folder_run_with_swd(qtbot, rgb_snapshot) -> None:
    snapshot, folder = rgb_snapshot
    worker, thread, reports, failures = start_worker(qtbot)
    try:
        worker.submit(MetricsJob(snapshot, str(folder), run=3, samples=64, batch_size=32))
        qtbot.waitUntil(lambda: bool(reports or failures), timeout=60_000)
        assert not failures, failures
        report = reports[0]
        assert isinstance(report, SwdReport) and (report.step, report.run, report.samples) == (snapshot.step, 3, 64)
        assert report.reference.n == 40 and report.swd.real_images == 20  # halves of the folder
        assert report.swd.resolutions == (32, 16) and report.swd.ratio > 1  # 3 steps of training: far from real
    finally:
        worker.finish()
        assert thread.wait(60_000)
    worker.deleteLater()


def test_a_folder_run_prepares_its_swd_reference(qtbot, tmp_path) -> None:
    prepared: list = []
    live = LiveMetrics(MetricsView(), prepare=prepared.append)
    try:
        live.start_run(str(tmp_path), every_steps=10, image_size=64, channels=3)
        qtbot.waitUntil(lambda: bool(prepared), timeout=10_000)
        job = prepared[0]
        assert (job.dataset, job.image_size, job.channels, job.samples) == (str(tmp_path), 64, 3, live.samples)
    finally:
        live.shutdown()
        live.view.deleteLater()
