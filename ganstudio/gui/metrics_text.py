"""What the Train tab's quality panel writes: the FID and SWD lines, the mode-collapse warning and the tooltips.

Plain strings from frozen reports (no widgets), so the view stays about layout.
"""

from __future__ import annotations

import math

from ganstudio.core.quality_math import COVERAGE_THRESHOLD
from ganstudio.core.quality_report import QualityReport, class_names_of
from ganstudio.core.swd_report import SwdScores

__all__ = ["FID_TIP", "SWD_TIP", "UNREADABLE_RATIO", "collapse_warning", "fid_text", "number", "swd_text"]


def number(value: float, digits: int = 3) -> str:
    """3 significant digits, without scientific notation for big values: 0.354, 3.08, 41.2, 2,012."""
    return f"{value:,.0f}" if abs(value) >= 10 ** (digits - 1) else f"{value:.{digits}g}"


def fid_text(report: QualityReport) -> str:
    """ "FID 3.1 (8.8x real-vs-real floor 0.35)"."""
    fid, floor, ratio = report.fid, report.fid_floor, report.fid_ratio
    if not math.isfinite(fid):
        return "FID -"
    if ratio is None:
        return f"FID {number(fid)}"
    times = f"{ratio:,.0f}" if ratio >= 100 else f"{ratio:.1f}"
    return f"FID {number(fid)} ({times}x real-vs-real floor {number(floor, 2)})"


def swd_text(scores: SwdScores, name: str = "SWD ", floor: str = "real-vs-real floor") -> str:
    """ "SWD 12.3 (1.2x real-vs-real floor 10.4)": the multi-scale sliced Wasserstein distance (x 10^3)."""
    if scores.ratio is None or not math.isfinite(scores.ratio):
        return f"{name}{number(scores.mean)}"
    times = f"{scores.ratio:,.0f}" if scores.ratio >= 100 else f"{scores.ratio:.1f}"
    return f"{name}{number(scores.mean)} ({times}x {floor} {number(scores.floor_mean)})"


UNREADABLE_RATIO = 100.0  # FID / floor above which the classifier's class statistics are not meaningful


def collapse_warning(report: QualityReport) -> str:
    """ "Possible mode collapse: only 6 of 10 classes appear (rare or missing: 3, 5, ...)", or "" when all do."""
    hist = report.class_histogram
    k = len(hist)
    covered = report.classes_covered
    if covered >= k:
        return ""
    ratio = report.fid_ratio
    if ratio is not None and ratio > UNREADABLE_RATIO:
        # Early noisy samples are out of the classifier's distribution: it reads most of them as one class with
        # high confidence, so a "collapse" verdict would be a false alarm. Say what is actually known.
        return (
            f"Samples are still far from real data ({ratio:,.0f}x the floor): the classifier cannot read them "
            "yet, so class coverage says nothing about mode collapse at this point"
        )
    names = class_names_of(report)
    missing = [names[c] for c in range(k) if hist[c] < COVERAGE_THRESHOLD]
    text = f"Possible mode collapse: only {covered} of {k} classes appear"
    return text + (f" (rare or missing: {', '.join(missing)})" if missing else "")


FID_TIP = (
    "Frechet distance of the samples' classifier features to the real reference images (the held-out test split "
    "when the data folder has one), next to the same distance for as many real training images (the floor a "
    "perfect generator would reach). Ratio 1 = as good as real."
)
SWD_TIP = (
    "Multi-scale sliced Wasserstein distance (x 1000) between 7x7 patches of the samples' and the real images' "
    "Laplacian pyramids (Karras et al. 2018), next to the same distance between two sets of real images. "
    "It needs no classifier, so it measures any image folder. Ratio 1 = as close as real images are to each other."
)
