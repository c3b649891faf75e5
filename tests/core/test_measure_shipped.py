"""Re-measuring shipped models: the card's metrics carry no machine paths and the spread over sampling seeds."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest

from ganstudio.core import metrics
from ganstudio.recipes.measure_shipped import card_metrics, measure_card, metrics_over_seeds
from tests.core.test_quality_report import make_report
from tests.data_paths import shared_mnist

MODELS = Path(__file__).resolve().parents[2] / "models"
MNIST = shared_mnist()


def test_card_metrics_keep_no_paths_of_this_machine() -> None:
    report = make_report(model="/tmp/somewhere/mnist.onnx", seed=0)
    data = card_metrics(
        dataclasses.replace(report, reference=dataclasses.replace(report.reference, source="/a/b/c/mnist")),
        "mnist.onnx",
    )
    assert data["model"] == "mnist.onnx" and data["reference"]["source"] == "c/mnist"


def test_metrics_over_seeds_gives_mean_spread_and_range() -> None:
    reports = [make_report(seed=s, fid=f, fid_ratio=f / 0.35) for s, f in enumerate((3.0, 3.2, 3.4))]
    spread = metrics_over_seeds(reports)
    assert spread["seeds"] == [0, 1, 2] and spread["n"] == 2000
    assert spread["fid"]["mean"] == pytest.approx(3.2) and spread["fid"]["std"] == pytest.approx(0.2)
    assert (spread["fid"]["min"], spread["fid"]["max"]) == (3.0, 3.4)
    assert "conditional_accuracy" not in spread  # unconditional: nothing to spread
    assert spread["swd_ratio"]["mean"] == pytest.approx(reports[0].swd.ratio)


@pytest.mark.slow
@pytest.mark.skipif(
    not (MODELS / "mnist.onnx").is_file() or not (MNIST / "t10k-images-idx3-ubyte.gz").is_file(),
    reason="needs the shipped mnist model and the MNIST files",
)
def test_measure_card_rewrites_only_the_metrics(tmp_path: Path) -> None:
    for name in ("mnist.onnx", "mnist.json"):
        shutil.copy(MODELS / name, tmp_path / name)
    before = json.loads((tmp_path / "mnist.json").read_text(encoding="utf-8"))
    card = measure_card(tmp_path / "mnist.json", str(MNIST), eval_samples=300, seeds=(0, 1), log=lambda s: None)
    measured = ("metrics", "metrics_over_seeds", "memorisation")
    assert {k: v for k, v in card.items() if k not in measured} == {
        k: v for k, v in before.items() if k not in measured
    }
    assert card["metrics"]["n"] == 300 and card["metrics"]["reference"]["held_out"] is True
    assert card["metrics"]["model"] == "mnist.onnx"
    trained_on_test = before.get("dataset", {}).get("split") == "test" or "code_revision" not in before
    assert ("reference_note" in card["metrics"]) == trained_on_test  # the test split is then not held out
    memorisation = card["memorisation"]
    assert memorisation["available"] and 0.5 < memorisation["pixel"]["ratio"] < 2.0
    assert card["metrics_over_seeds"]["seeds"] == [0, 1]
    assert metrics.QualityReport.from_json_dict(card["metrics"]).n == 300
    assert json.loads((tmp_path / "mnist.json").read_text(encoding="utf-8")) == card
