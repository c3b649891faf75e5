"""The typed quality reports: frozen, JSON with the keys the CLI and the shipped model cards use, one text form."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from ganstudio.core.quality_report import (
    QualityReport,
    ReferenceInfo,
    SwdReport,
    SwdScores,
    UnavailableReport,
    format_report,
    summary_line,
)

MODELS = Path(__file__).resolve().parents[2] / "models"
# The keys `ganstudio evaluate --json` has always written for an evaluate_model report.
EVALUATE_KEYS = {
    "available", "dataset", "n", "seed", "fid", "fid_floor", "fid_floor_std", "floor_n", "floor_splits", "fid_ratio",
    "classes_covered", "class_histogram", "real_class_histogram", "kl_class", "mean_confidence", "inception_score",
    "inception_score_real", "conditional_accuracy", "per_class_accuracy", "per_class_fid", "per_class_fid_floor",
    "num_classes", "class_names", "classifier", "classifier_accuracy", "reference", "model", "seconds", "swd",
}  # fmt: skip


def make_report(covered: int = 10, **changes) -> QualityReport:
    hist = (0.1,) * 10 if covered == 10 else (0.5, 0.5) + (0.0,) * 8
    report = QualityReport(
        n=2000,
        fid=3.08,
        classes_covered=covered,
        class_histogram=hist,
        kl_class=0.0123,
        mean_confidence=0.934,
        inception_score=8.1,
        dataset="mnist",
        fid_floor=0.35,
        fid_floor_std=0.02,
        floor_n=2000,
        floor_splits=5,
        fid_ratio=8.8,
        num_classes=10,
        class_names=tuple(str(i) for i in range(10)),
        real_class_histogram=(0.1,) * 10,
        inception_score_real=9.6,
        classifier="mnist-classifier.onnx",
        classifier_accuracy=0.99,
        reference=ReferenceInfo("test", 10_000, "/data/mnist", 28, 0, held_out=True),
        swd=SwdScores.from_levels((28, 14), (12.0, 9.0), (10.0, 9.0), 2000, 32768),
        seconds=1.5,
    )
    return dataclasses.replace(report, **changes)


def test_reports_are_frozen() -> None:
    report = make_report()
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.fid = 1.0  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        UnavailableReport("no classifier").reason = "x"  # type: ignore[misc]


def test_json_keeps_the_evaluate_keys_and_round_trips() -> None:
    report = make_report(seed=0, model="mnist.onnx")
    data = report.to_json_dict()
    assert set(data) == EVALUATE_KEYS
    assert data["available"] is True and data["reference"]["split"] == "test"
    assert isinstance(data["class_histogram"], list)
    assert json.loads(json.dumps(data)) == data
    assert QualityReport.from_json_dict(data) == report


def test_json_has_live_and_conditional_keys_only_when_set() -> None:
    plain = make_report().to_json_dict()
    assert not {"step", "run", "samples", "seed", "model", "conditional_note"} & set(plain)
    live = make_report(step=400, run=2, samples=2000, conditional_note="labels outside").to_json_dict()
    assert (live["step"], live["run"], live["samples"]) == (400, 2, 2000)
    assert live["conditional_note"] == "labels outside"


def test_unavailable_json_is_the_old_sentinel() -> None:
    report = UnavailableReport("not MNIST", "faces", step=3, run=1)
    assert report.to_json_dict() == {"available": False, "reason": "not MNIST", "dataset": "faces"}


@pytest.mark.parametrize("card", sorted(MODELS.glob("*.json")), ids=lambda p: p.name)
def test_shipped_model_cards_read_back_unchanged(card: Path) -> None:
    metrics = json.loads(card.read_text(encoding="utf-8")).get("metrics")
    if metrics is None:
        pytest.skip("a card without quality metrics (a classifier)")
    assert QualityReport.from_json_dict(metrics).to_json_dict() == metrics


def test_reports_say_which_split_is_the_reference() -> None:
    held_out = format_report(make_report())
    assert "reference = the held-out test split (10,000 images)" in held_out
    assert "(the floor: 2,000 training images against the test split, mean of 5 draws)" in held_out
    same = format_report(make_report(reference=ReferenceInfo("test", 10_000, "/data/mnist", 28, 0)))
    assert "reference = the training data (test split, 10,000 images)" in same
    assert "two disjoint halves of the training data, 2,000 images each" in same
    noted = format_report(make_report(reference_note="this model was trained on the test split"))
    assert "note: this model was trained on the test split" in noted


def test_swd_is_reported_beside_fid_and_alone_for_a_folder() -> None:
    text = format_report(make_report())
    assert "SWD x1e3          10.50" in text and "real-vs-real SWD  9.50" in text and "SWD / floor       1.11x" in text
    assert "28px 12.00 (10.00), 14px 9.00 (9.00)" in text
    assert summary_line(make_report(step=5)).endswith("SWD 10.5 (1.1x the real-vs-real floor 9.5) [1.5 s]")
    folder = SwdReport(
        "/photos/cats",
        500,
        SwdScores.from_levels((64, 32, 16), (30.0, 20.0, 10.0), (10.0, 10.0, 10.0), 250, 32000),
        ReferenceInfo("", 500, "/photos/cats", 64, 0),
        step=7,
        seconds=2.0,
    )
    text = format_report(folder)
    assert "500 samples vs 500 real images of /photos/cats (64px)" in text and "SWD / floor       2.00x" in text
    assert "two disjoint halves of the training data, 250 images each" in text and "FID" not in text
    assert summary_line(folder) == "quality at step 7: SWD 20 (2.0x the real-vs-real floor 10) [2.0 s]"
    data = folder.to_json_dict()
    assert data["available"] is True and data["metric"] == "swd" and data["swd"]["ratio"] == 2.0
    assert SwdScores.from_json_dict(json.loads(json.dumps(data["swd"]))) == folder.swd


def test_format_report_shows_the_floor_the_classes_and_warnings() -> None:
    text = format_report(make_report())
    assert "real-vs-real FID  0.35 +- 0.02" in text and "FID / floor       8.80x" in text
    assert "held-out accuracy 99.00%" in text and "WARNING" not in text
    assert "accuracy       FID" not in text  # no per-class columns for an unconditional model

    collapsed = format_report(make_report(covered=2, n=500))
    assert "WARNING: possible mode collapse: only 2 of 10 classes" in collapsed
    assert "rare or missing: 2, 3, 4, 5, 6, 7, 8, 9" in collapsed
    assert "with only 500 samples" in collapsed

    per_class = (0.9,) * 10
    conditional = format_report(
        make_report(
            conditional_accuracy=0.95,
            per_class_accuracy=per_class,
            per_class_fid=(1.0,) * 9 + (None,),
            per_class_fid_floor=(0.5,) * 10,
        )
    )
    assert "conditional acc.  95.00%" in conditional and "accuracy       FID     floor" in conditional
    assert format_report(UnavailableReport("no classifier", "faces")) == (
        "Quality metrics unavailable for faces: no classifier"
    )


def test_summary_line() -> None:
    line = summary_line(make_report(step=1200))
    assert line.startswith("quality at step 1,200: FID 3.08 (8.8x the real-vs-real floor 0.35)")
    assert "10/10 classes" in line and line.endswith("[1.5 s]")
    assert "SWD 10.5" in line
    assert summary_line(UnavailableReport("no classifier")) == "quality metrics unavailable: no classifier"
