"""What an SWD measurement returns: `SwdScores` (beside FID in a QualityReport) and `SwdReport` (for a folder).

Plain frozen data (safe to send between threads) with JSON and text forms; no numpy needed to read one.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from ganstudio.core.reference_info import ReferenceInfo


@dataclass(frozen=True)
class SwdScores:
    """Multi-scale sliced Wasserstein distance (x 10^3) per pyramid level, finest first, next to its floor."""

    resolutions: tuple[int, ...]  # level sizes, e.g. (28, 14)
    swd: tuple[float, ...]  # generated vs real, per level
    swd_floor: tuple[float, ...]  # real vs real at the same sizes, per level
    mean: float  # the mean over levels (the paper's "avg")
    floor_mean: float
    ratio: float | None  # mean / floor_mean: 1 = as close to the real images as other real images are
    real_images: int  # real images each side (the generated sample is drawn down to as many patches)
    patches: int  # neighbourhoods per level and set

    @classmethod
    def from_levels(
        cls,
        resolutions: tuple[int, ...],
        swd: tuple[float, ...],
        floor: tuple[float, ...],
        real_images: int,
        patches: int,
    ) -> SwdScores:
        mean, floor_mean = sum(swd) / len(swd), sum(floor) / len(floor)
        ratio = mean / floor_mean if floor_mean > 0 else None
        return cls(resolutions, swd, floor, mean, floor_mean, ratio, real_images, patches)

    def to_json_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}

    @classmethod
    def from_json_dict(cls, data: dict[str, Any]) -> SwdScores:
        return cls(
            tuple(int(r) for r in data["resolutions"]),
            tuple(float(v) for v in data["swd"]),
            tuple(float(v) for v in data["swd_floor"]),
            float(data["mean"]),
            float(data["floor_mean"]),
            None if data["ratio"] is None else float(data["ratio"]),
            int(data["real_images"]),
            int(data["patches"]),
        )


@dataclass(frozen=True)
class SwdReport:
    """Generated images measured against an image folder: SWD only (no classifier knows arbitrary images)."""

    dataset: str  # the folder
    n: int  # generated images
    swd: SwdScores
    reference: ReferenceInfo
    seconds: float | None = None
    seed: int | None = None  # set by evaluate_model
    model: str | None = None
    step: int | None = None  # set by the live metrics of a training run
    run: int | None = None
    samples: int | None = None

    def to_json_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in dataclasses.asdict(self).items() if v is not None}
        data["swd"] = self.swd.to_json_dict()
        return {"available": True, "metric": "swd", **data}


def _fmt(value: float | None, digits: int = 2) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value:.{digits}f}"


def swd_lines(scores: SwdScores, reference: ReferenceInfo) -> list[str]:
    """The SWD rows of a text report."""
    levels = ", ".join(
        f"{r}px {_fmt(v)} ({_fmt(f)})" for r, v, f in zip(scores.resolutions, scores.swd, scores.swd_floor, strict=True)
    )
    return [
        f"  SWD x1e3          {_fmt(scores.mean)}  (sliced Wasserstein distance of Laplacian-pyramid patches, "
        "mean over levels)",
        f"  real-vs-real SWD  {_fmt(scores.floor_mean)}  (the floor: {reference.floor_words(scores.real_images)})",
        f"  SWD / floor       {_fmt(scores.ratio)}x",
        f"  SWD per level     {levels}  (floor in brackets; {scores.patches:,} patches per level)",
    ]


def format_swd_report(report: SwdReport) -> str:
    ref = report.reference
    return "\n".join(
        [
            f"Quality metrics: {report.n:,} samples vs {ref.n:,} real images of {report.dataset} ({ref.image_size}px)",
            "  (an image folder has no classifier, so SWD is the metric: it compares local image patches at "
            "several scales and needs no network)",
            "",
            *swd_lines(report.swd, ref),
        ]
    )


def swd_summary(scores: SwdScores) -> str:
    """ "SWD 12.3 (1.4x the real-vs-real floor 8.77)" for a training log line."""
    ratio = f" ({scores.ratio:.1f}x the real-vs-real floor {scores.floor_mean:.3g})" if scores.ratio is not None else ""
    return f"SWD {scores.mean:.3g}{ratio}"
