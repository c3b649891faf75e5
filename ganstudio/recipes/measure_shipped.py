"""Re-measure shipped generators with the current metrics and rewrite the metrics of their model cards.

    python -m ganstudio.recipes.measure_shipped [NAME ...] [--data-dir D] [--models models/] [--eval-samples 5000]

The weights are left alone: only the `.onnx` a card names is measured again (`ganstudio evaluate`'s code path),
so cards follow when the measurement changes, e.g. to the held-out rule. Each card gets `metrics` (seed 0, as
`ganstudio evaluate` prints it) and `metrics_over_seeds` (the spread of the main numbers over sampling seeds).
Paths are written without this machine's folders: the data folder as its last two parts, the model as its name.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

SEEDS = (0, 1, 2, 3, 4)  # sampling seeds the spread is measured over
SPREAD_KEYS = ("fid", "fid_ratio", "classes_covered", "kl_class", "mean_confidence", "conditional_accuracy")


def card_metrics(report: Any, model_file: str) -> dict[str, Any]:
    """A report's JSON for a model card: as `ganstudio evaluate --json` writes it, minus this machine's paths."""
    data = report.to_json_dict()
    if "reference" in data:
        source = Path(data["reference"]["source"])
        data["reference"]["source"] = "/".join(source.parts[-2:])
    if "model" in data:
        data["model"] = model_file
    return data


def _spread(values: list[float]) -> dict[str, float]:
    return {
        "mean": statistics.fmean(values),
        "std": statistics.stdev(values) if len(values) > 1 else 0.0,
        "min": min(values),
        "max": max(values),
    }


def metrics_over_seeds(reports: list[Any]) -> dict[str, Any]:
    """Mean, standard deviation and range over sampling seeds of each main number (and of SWD's ratio)."""
    out: dict[str, Any] = {"seeds": [r.seed for r in reports], "n": reports[0].n}
    for key in SPREAD_KEYS:
        values = [getattr(r, key, None) for r in reports]
        present = [float(v) for v in values if v is not None]
        if len(present) == len(values):
            out[key] = _spread(present)
    swd = [r.swd for r in reports if getattr(r, "swd", None) is not None]
    if len(swd) == len(reports):
        out["swd"] = _spread([s.mean for s in swd])
        out["swd_ratio"] = _spread([s.ratio for s in swd if s.ratio is not None])
    return out


MEMORISATION_SAMPLES = 2000


def memorisation(backend: Any, data_dir: str | None, log: Callable[[str], None]) -> dict[str, Any]:
    """The copying ratio (as `ganstudio evaluate --copying-samples` prints it): each sample's distance to its
    nearest training image over that of held-out real images, in pixels and in classifier features."""
    from ganstudio.errors import GanStudioError
    from ganstudio.runtime.nearest import copying_ratios, describe_ratio, nearest_index_for

    try:
        index = nearest_index_for(backend.info, data_dir)
        ratios = copying_ratios(backend, index, MEMORISATION_SAMPLES, 0, data_dir)
    except GanStudioError as exc:  # a folder model, or the training split not at hand
        return {"available": False, "reason": str(exc)}
    for ratio in ratios:
        log(describe_ratio(ratio))
    return {"available": True, **{r.space: r.to_dict() for r in ratios}}


def measure_card(
    card_path: Path,
    data_dir: str | None = None,
    eval_samples: int = 5000,
    seeds: tuple[int, ...] = SEEDS,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Measure the model a card describes over `seeds` and write the card's metrics; returns the card."""
    from ganstudio.core.metrics import evaluate_model, format_report
    from ganstudio.runtime.backends import OnnxGenerator

    card = json.loads(card_path.read_text(encoding="utf-8"))
    model_path = card_path.parent / card["file"]
    backend = OnnxGenerator(model_path)
    reports = [evaluate_model(backend, n=eval_samples, seed=seed, data_dir=data_dir, log=log) for seed in seeds]
    log(format_report(reports[0]))
    card["metrics"] = card_metrics(reports[0], model_path.name)
    if len(reports) > 1 and all(r.to_json_dict().get("available") for r in reports):
        card["metrics_over_seeds"] = metrics_over_seeds(reports)
    card["memorisation"] = memorisation(backend, data_dir, log)
    card_path.write_text(json.dumps(card, indent=2), encoding="utf-8")
    return card


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="models to re-measure (default: every card with metrics)")
    parser.add_argument("--models", default=str(Path(__file__).resolve().parents[2] / "models"))
    parser.add_argument("--data-dir", help="folder with the IDX files (default: the usual search)")
    parser.add_argument("--eval-samples", type=int, default=5000)
    parser.add_argument("--seeds", type=int, default=len(SEEDS), help="sampling seeds 0..K-1 (default 5)")
    args = parser.parse_args(argv)
    folder = Path(args.models)
    cards = [folder / f"{name}.json" for name in args.names] or [
        path for path in sorted(folder.glob("*.json")) if "metrics" in json.loads(path.read_text(encoding="utf-8"))
    ]
    for path in cards:
        if not path.is_file():
            raise SystemExit(f"{path}: no such model card")
        card = measure_card(
            path, args.data_dir, args.eval_samples, tuple(range(args.seeds)), log=lambda s: print(s, file=sys.stderr)
        )
        metrics = card["metrics"]
        print(json.dumps({"name": card["name"], "fid_ratio": metrics.get("fid_ratio"), "swd": metrics.get("swd")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
