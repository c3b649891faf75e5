"""Time to ten digits over several seeds: medians of `recipe_quality.py` runs that differ only in their seed.

"Ten digits" = all 10 classes covered and mean classifier confidence >= 0.9 on 5,000 samples.

    python benchmarks/time_to_ten_digits.py benchmarks/results/latest/time_to_ten_digits_seed?.json

One training run per seed is noisy (the default's time to ten digits moved by 6 s, the Keras port's by 18 s,
between seeds on one machine), so the target "3x sooner than the better peer" is judged on medians: the median
time of each recipe over the seeds, their ratio, and next to it every seed's own ratio. The files must share every
setting but the seed (minutes, evaluation interval, samples, threads, overrides, EMA warm-up); a file that does
not is refused, naming the setting.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import print_table, write_results
from recipe_quality import seconds_to

SETTINGS = ("minutes", "peer_minutes", "eval_every", "n", "threads", "overrides", "ema_warmup")
OURS = "ganstudio"


def setting(run: dict, key: str):
    """A run's value of one setting; the seed recorded among the overrides does not count."""
    value = run.get(key)
    if key == "overrides":
        value = {k: v for k, v in (value or {}).items() if k != "seed"}
    return value


def load_runs(paths: list[Path]) -> list[dict]:
    """The runs, checked to differ only in their seed (and to have one seed each)."""
    runs = [json.loads(path.read_text(encoding="utf-8")) | {"path": str(path)} for path in paths]
    if not runs:
        raise SystemExit("no results files given")
    first = runs[0]
    for run in runs[1:]:
        for key in SETTINGS:
            if setting(run, key) != setting(first, key):
                raise SystemExit(
                    f"{run['path']} differs from {first['path']} in {key}: "
                    f"{setting(run, key)!r} vs {setting(first, key)!r}"
                )
    seeds = [run.get("seed") for run in runs]
    if len(set(seeds)) != len(seeds):
        raise SystemExit(f"the files repeat a seed: {seeds}")
    return runs


TEN_DIGITS = "seconds_to_ten_digits"  # the key recipe_quality.py writes per recipe


def seconds_to_ten_digits(run: dict, recipe: str) -> float | None:
    """Seconds to ten digits (the budget when never reached: recipe_quality.seconds_to); None if the run lacks it."""
    result = run["results"].get(recipe)
    return None if result is None else float(seconds_to(result, TEN_DIGITS))


def summarise(runs: list[dict]) -> dict:
    peers = sorted({name for run in runs for name in run["results"]} - {OURS})
    per_seed = []
    for run in sorted(runs, key=lambda r: r.get("seed") or 0):
        row = {"seed": run.get("seed"), "file": run["path"], OURS: seconds_to_ten_digits(run, OURS)}
        for peer in peers:
            row[peer] = seconds_to_ten_digits(run, peer)
            row[f"{peer}_reached"] = run["results"].get(peer, {}).get(TEN_DIGITS) is not None
        present = [row[p] for p in peers if row[p] is not None]
        row["ratio"] = min(present) / row[OURS] if present and row[OURS] else None
        per_seed.append(row)
    medians = {
        name: statistics.median(values)
        for name in [OURS, *peers]
        if (values := [row[name] for row in per_seed if row[name] is not None])
    }
    best_peer = min((p for p in peers if p in medians), key=medians.get, default=None)
    ratios = [row["ratio"] for row in per_seed if row["ratio"] is not None]
    return {
        "seeds": [row["seed"] for row in per_seed],
        "per_seed": per_seed,
        "median_seconds": medians,
        "better_peer": best_peer,
        "ratio_of_medians": medians[best_peer] / medians[OURS] if best_peer and medians.get(OURS) else None,
        "median_ratio": statistics.median(ratios) if ratios else None,
        "settings": {key: setting(runs[0], key) for key in SETTINGS},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="+", type=Path, help="recipe_quality.py results, one seed each")
    parser.add_argument(
        "--name", default="time_to_ten_digits", help="results file name (benchmarks/results/latest/NAME.json)"
    )
    args = parser.parse_args()
    summary = summarise(load_runs(args.files))
    peers = [name for name in summary["median_seconds"] if name != OURS]
    fmt = lambda s, reached=True: "-" if s is None else f"{s:.1f} s" + ("" if reached else " (never)")  # noqa: E731
    rows = [
        (
            str(row["seed"]),
            fmt(row[OURS]),
            *(fmt(row[p], row[f"{p}_reached"]) for p in peers),
            f"{row['ratio']:.2f}x" if row["ratio"] else "-",
        )
        for row in summary["per_seed"]
    ]
    rows.append(
        (
            "median",
            fmt(summary["median_seconds"].get(OURS)),
            *(fmt(summary["median_seconds"][p]) for p in peers),
            f"{summary['median_ratio']:.2f}x" if summary["median_ratio"] else "-",
        )
    )
    print_table(
        'Seconds of training to ten digits (10 classes, mean confidence >= 0.9); "(never)" = not within the '
        "budget, counted at the budget",
        rows,
        ("seed", OURS, *peers, "ratio to the better peer"),
    )
    if summary["ratio_of_medians"]:
        print(
            f"\nmedian {OURS} {summary['median_seconds'][OURS]:.1f} s vs median {summary['better_peer']} "
            f"{summary['median_seconds'][summary['better_peer']]:.1f} s: {summary['ratio_of_medians']:.2f}x "
            f"sooner (target >= 3x); median of the per-seed ratios {summary['median_ratio']:.2f}x"
        )
    write_results(args.name, summary)


if __name__ == "__main__":
    main()
