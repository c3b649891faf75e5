"""Shared helpers for the benchmark scripts: timing statistics, tables and JSON results."""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS_ROOT = ROOT / "benchmarks" / "results"
RESULTS = RESULTS_ROOT / "latest"  # what the READMEs quote; experiments/<question>/ holds the tuning runs
SHIPPED_MNIST = ROOT / "models" / "mnist.onnx"


def machine() -> dict[str, str]:
    import torch

    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": str(os.cpu_count()),
        "torch": torch.__version__,
        "processor": platform.processor() or platform.machine(),
    }


def time_calls(fn: Callable[[], object], repeats: int, warmup: int = 10) -> list[float]:
    """Per-call wall times in milliseconds."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000.0)
    return times


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100.0 * (len(ordered) - 1))))
    return ordered[index]


def summary(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "p99": percentile(values, 99), "min": min(values), "n": len(values)}


def print_table(title: str, rows: list[tuple[str, ...]], header: tuple[str, ...]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    print(f"\n{title}")
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=False)))


def results_path(name: str) -> Path:
    """Where a results file named `name` goes: `latest/NAME.json`, or under the results folder when the name
    has a folder in it (`experiments/batch-size/b64_seed0` -> `experiments/batch-size/b64_seed0.json`)."""
    return (RESULTS_ROOT if "/" in name else RESULTS) / f"{name}.json"


def _portable(value: object) -> object:
    """Paths inside the repository as repo-relative, inside the home folder as ~/...: results name no machine."""
    if isinstance(value, dict):
        return {k: _portable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_portable(v) for v in value]
    if isinstance(value, str) and value.startswith("/"):
        for root, shown in ((str(ROOT) + "/", ""), (str(Path.home()) + "/", "~/")):
            if value.startswith(root):
                return shown + value[len(root) :]
    return value


def write_results(name: str, data: dict) -> Path:
    data = _portable(data)  # type: ignore[assignment]
    path = results_path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"benchmark": name, "when": time.strftime("%Y-%m-%d %H:%M:%S"), "machine": machine(), **data}
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    print(f"\nwrote {path.relative_to(ROOT)}")
    return path
