"""What a quality measurement returns: a frozen `QualityReport` (MNIST, Fashion-MNIST), an `SwdReport` (an image
folder), or an `UnavailableReport` saying why not.

Plain immutable data (safe to send between threads), JSON through `to_json_dict()` with the keys
`ganstudio evaluate --json` and the shipped model cards have always used, and text through `format_report`
(the table) and `summary_line` (one line for a training log). No numpy, torch or Qt needed to read one.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, TypeAlias

from ganstudio.core.quality_math import COVERAGE_THRESHOLD
from ganstudio.core.reference_info import ReferenceInfo
from ganstudio.core.swd_report import SwdReport, SwdScores, format_swd_report, swd_lines, swd_summary

__all__ = [
    "QualityReport",
    "QualityResult",
    "ReferenceInfo",
    "SampleScores",
    "SwdReport",
    "SwdScores",
    "UnavailableReport",
]

# Keys written only when set: an evaluate_model report has seed and model, a live one step, run and samples.
_OPTIONAL_KEYS = ("conditional_note", "reference_note", "swd", "seed", "model", "step", "run", "samples")


@dataclass(frozen=True)
class SampleScores:
    """The scores of one batch of images against real statistics, without a floor (see evaluate_images)."""

    n: int
    fid: float
    classes_covered: int  # classes getting >= COVERAGE_THRESHOLD of the samples' predictions
    class_histogram: tuple[float, ...]  # share of the samples per predicted class
    kl_class: float  # KL(generated || real) of the predicted class histograms
    mean_confidence: float  # the classifier's mean top probability
    inception_score: float


@dataclass(frozen=True)
class QualityReport(SampleScores):
    """Generated images measured against a built-in dataset, FID next to its real-vs-real floor."""

    dataset: str  # "mnist" or "fashion-mnist"
    fid_floor: float  # FID between two disjoint real halves of floor_n images: what a perfect generator scores
    fid_floor_std: float  # its spread over the floor_splits seeded splits
    floor_n: int
    floor_splits: int
    fid_ratio: float | None  # fid / fid_floor: 1 = as good as real data (None when the floor is 0)
    num_classes: int
    class_names: tuple[str, ...]
    real_class_histogram: tuple[float, ...]
    inception_score_real: float
    classifier: str  # the classifier's file name
    classifier_accuracy: float | None  # its held-out accuracy, when its metadata records one
    reference: ReferenceInfo
    # class-conditional generators only
    conditional_accuracy: float | None = None  # samples read as the class they were generated for
    per_class_accuracy: tuple[float | None, ...] | None = None
    per_class_fid: tuple[float | None, ...] | None = None
    per_class_fid_floor: tuple[float | None, ...] | None = None
    conditional_note: str | None = None  # why conditional numbers are missing or may mislead
    reference_note: str | None = None  # e.g. the model was trained on the reference split, so it is not held out
    swd: SwdScores | None = None  # the multi-scale sliced Wasserstein distance, beside FID
    seconds: float | None = None
    # set by evaluate_model
    seed: int | None = None
    model: str | None = None
    # set by the live metrics of a training run
    step: int | None = None
    run: int | None = None
    samples: int | None = None

    def to_json_dict(self) -> dict[str, Any]:
        """JSON-ready, with today's keys: `available: true`, lists for tuples, `reference` as a nested dict."""
        data = dataclasses.asdict(self)
        for key in _OPTIONAL_KEYS:
            if data[key] is None:
                del data[key]
        for key, value in data.items():
            if isinstance(value, tuple):
                data[key] = list(value)
        if self.swd is not None:
            data["swd"] = self.swd.to_json_dict()
        return {"available": True, **data}

    @classmethod
    def from_json_dict(cls, data: dict[str, Any]) -> QualityReport:
        """The inverse of to_json_dict (e.g. the "metrics" of a shipped model card)."""
        names = {f.name for f in dataclasses.fields(cls)}
        values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in names}
        values["reference"] = ReferenceInfo(**data["reference"])
        if data.get("swd") is not None:
            values["swd"] = SwdScores.from_json_dict(data["swd"])
        return cls(**values)


@dataclass(frozen=True)
class UnavailableReport:
    """Nothing was measured, and why: e.g. a folder dataset, for which no classifier exists."""

    reason: str
    dataset: str = ""
    step: int | None = None  # the live metrics' snapshot step and run, so a stale answer can be told apart
    run: int | None = None

    def to_json_dict(self) -> dict[str, Any]:
        return {"available": False, "reason": self.reason, "dataset": self.dataset}


# What every evaluation returns.
QualityResult: TypeAlias = QualityReport | SwdReport | UnavailableReport


# ---------------------------------------------------------------------------------------------------------------
# text


def _fmt(value: float | None, digits: int = 2) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value:.{digits}f}"


def _pct(value: float | None) -> str:
    return "     -" if value is None else f"{value:6.1%}"


def _numbers(report: QualityReport) -> list[str]:
    k = len(report.class_histogram)
    acc = report.classifier_accuracy
    ref = report.reference
    lines = [
        f"Quality metrics: {report.n:,} samples vs real {report.dataset}: reference = {ref.describe()}",
        f"  classifier        {report.classifier}" + (f" (held-out accuracy {acc:.2%})" if acc is not None else ""),
        "",
        f"  FID               {_fmt(report.fid)}",
        f"  real-vs-real FID  {_fmt(report.fid_floor)} +- {_fmt(report.fid_floor_std)}  (the floor: "
        f"{ref.floor_words(report.floor_n)}, mean of {report.floor_splits} draws)",
        f"  FID / floor       {_fmt(report.fid_ratio)}x  (1 = as good as real data)",
        f"  classes covered   {report.classes_covered} / {k}  (>= {COVERAGE_THRESHOLD:.0%} of samples each)",
        f"  class KL          {_fmt(report.kl_class, 4)}  (KL(generated || real) of predicted classes; "
        f"collapse onto one class ~ {math.log(k):.2f})",
        f"  mean confidence   {_fmt(report.mean_confidence, 3)}",
        f"  inception score   {_fmt(report.inception_score)}  (real data: "
        f"{_fmt(report.inception_score_real)}, max {k})",
    ]
    if report.conditional_accuracy is not None:
        lines.append(
            f"  conditional acc.  {report.conditional_accuracy:.2%}  "
            "(samples the classifier reads as the requested class)"
        )
    if report.swd is not None:
        lines += swd_lines(report.swd, ref)
    for note in (report.conditional_note, report.reference_note):
        if note:
            lines.append(f"  note: {note}")
    return lines


def _class_table(report: QualityReport, names: tuple[str, ...]) -> list[str]:
    per_acc, per_fid, per_floor = report.per_class_accuracy, report.per_class_fid, report.per_class_fid_floor
    width = max(5, *(len(s) for s in names))
    header = f"  {'class'.ljust(width)}  generated   real"
    if per_acc is not None:
        header += "  accuracy       FID     floor"
    lines = ["", header]
    for c, (name, share) in enumerate(zip(names, report.class_histogram, strict=True)):
        row = f"  {name.ljust(width)}  {share:8.1%}  {_pct(report.real_class_histogram[c])}"
        if per_acc is None:
            row += f"  {'#' * round(share * 40)}"
        else:
            row += (
                f"  {_pct(per_acc[c]):>8}  {_fmt(per_fid[c]) if per_fid else '-':>8}"
                f"  {_fmt(per_floor[c]) if per_floor else '-':>8}"
            )
        lines.append(row.rstrip())
    return lines


def _warnings(report: QualityReport, names: tuple[str, ...]) -> list[str]:
    k = len(names)
    lines = []
    if report.classes_covered < k:
        shares = zip(names, report.class_histogram, strict=True)
        missing = [name for name, share in shares if share < COVERAGE_THRESHOLD]
        lines += [
            "",
            f"WARNING: possible mode collapse: only {report.classes_covered} of {k} classes get "
            f">= {COVERAGE_THRESHOLD:.0%} of the samples (rare or missing: {', '.join(missing)})",
        ]
    if report.n < 1000:
        lines += [
            "",
            f"note: with only {report.n:,} samples FID is noisy and strongly biased; compare it "
            "with the floor at the same n, not with published numbers",
        ]
    return lines


def class_names_of(report: QualityReport) -> tuple[str, ...]:
    """The report's class names, or "0", "1", ... when they do not match its histogram."""
    k = len(report.class_histogram)
    names = tuple(str(n) for n in report.class_names)
    return names if len(names) == k else tuple(str(i) for i in range(k))


def format_report(report: QualityResult) -> str:
    """A readable multi-line table of a report: the numbers, then a per-class table, then any warnings."""
    if isinstance(report, UnavailableReport):
        what = f" for {report.dataset}" if report.dataset else ""
        return f"Quality metrics unavailable{what}: {report.reason or 'no reason given'}"
    if isinstance(report, SwdReport):
        return format_swd_report(report)
    names = class_names_of(report)
    return "\n".join([*_numbers(report), *_class_table(report, names), *_warnings(report, names)])


def summary_line(report: QualityResult) -> str:
    """One line for a training log."""
    if isinstance(report, UnavailableReport):
        return f"quality metrics unavailable: {report.reason}"
    if isinstance(report, SwdReport):
        text = f"quality at step {report.step or 0:,}: {swd_summary(report.swd)}"
        return text + (f" [{report.seconds:.1f} s]" if report.seconds is not None else "")
    k = len(report.class_histogram)
    ratio = report.fid_ratio
    text = (
        f"quality at step {report.step or 0:,}: FID {report.fid:.3g}"
        + (f" ({ratio:.1f}x the real-vs-real floor {report.fid_floor:.3g})" if ratio is not None else "")
        + f", {report.classes_covered}/{k} classes, mean confidence {report.mean_confidence:.2f}, "
        f"class KL {report.kl_class:.3f}" + (f", {swd_summary(report.swd)}" if report.swd is not None else "")
    )
    if report.seconds is not None:
        text += f" [{report.seconds:.1f} s]"
    return text
