"""Run every benchmark in sequence, print their tables, and collect their JSON into one file.

    python benchmarks/run_all.py                 # full length: about 70 minutes, most of it recipe_quality
    python benchmarks/run_all.py --quick         # every script shortened: a few minutes, numbers only indicative
    python benchmarks/run_all.py --only startup slider_latency

Order: render, startup, directions, slider_latency, training_speed, gui_training_overhead, swd_speed,
playground, recipe_quality. Each runs in its own process; a failure is reported and the rest still run (the exit
code is 1 if any failed). Results:
benchmarks/results/latest/<name>.json from each script and benchmarks/results/latest/all.json with all of them.
A --quick run leaves the full-length results alone: its files go to benchmarks/results/quick/ instead.
Run on an otherwise idle machine: every number here is a timing.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, RESULTS_ROOT, ROOT, SHIPPED_MNIST

HERE = Path(__file__).resolve().parent
NOISE = ("This plugin does not support propagateSizeHints()",)  # Qt's offscreen platform, once per window

# name: (script, full-length arguments, --quick arguments, takes --model, takes --data-dir, result files)
BENCHMARKS: dict[str, tuple[str, list[str], list[str], bool, bool, tuple[str, ...]]] = {
    "render": ("render.py", [], ["--repeats", "200", "--rounds", "2"], True, False, ("render",)),
    "startup": (
        "startup.py",
        [],
        ["--launches", "2", "--warmup", "1", "--explore-seconds", "3"],
        True,
        False,
        ("startup",),
    ),
    "directions": ("directions.py", [], ["--rounds", "1", "--plane-repeats", "10"], True, False, ("directions",)),
    "slider_latency": ("slider_latency.py", [], ["--seconds", "3", "--warmup", "2"], True, True, ("slider_latency",)),
    "training_speed": ("training_speed.py", [], ["--seconds", "1"], False, True, ("training_speed",)),
    "gui_training_overhead": (
        "gui_training_overhead.py",
        [],
        ["--seconds", "4", "--warmup", "2"],
        True,
        True,
        ("gui_training_overhead",),
    ),
    "swd_speed": ("swd_speed.py", [], ["--rounds", "1"], False, False, ("swd_speed",)),
    "playground": ("playground.py", [], ["--quick"], False, False, ("playground",)),
    "recipe_quality": (
        "recipe_quality.py",
        ["--peer-minutes", "20", "--eval-every", "10"],
        ["--minutes", "0.5", "--eval-every", "15", "--n", "1000"],
        False,
        True,
        ("recipe_quality",),
    ),
}


def _pump(stream, out) -> None:
    for line in stream:
        if not any(noise in line for noise in NOISE):
            out.write(line)
            out.flush()


def run_one(name: str, args: argparse.Namespace) -> dict:
    script, full, quick, takes_model, takes_data, _ = BENCHMARKS[name]
    cmd = [sys.executable, str(HERE / script), *(quick if args.quick else full)]
    if takes_model and args.model:
        cmd += ["--model", args.model]
    if takes_data and args.data_dir:
        cmd += ["--data-dir", args.data_dir]
    print(
        f"\n{'=' * 100}\n{name}: {' '.join(Path(c).name if i < 2 else c for i, c in enumerate(cmd))}\n{'=' * 100}",
        flush=True,
    )
    start = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)
    pumps = [
        threading.Thread(target=_pump, args=(proc.stdout, sys.stdout)),
        threading.Thread(target=_pump, args=(proc.stderr, sys.stderr)),
    ]
    for pump in pumps:
        pump.start()
    code = proc.wait()
    for pump in pumps:
        pump.join()
    seconds = time.monotonic() - start
    if code != 0:
        print(f"\n{name} FAILED (exit code {code}) after {seconds:.0f} s", flush=True)
    return {"exit_code": code, "seconds": round(seconds, 1), "command": cmd}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="shorten every benchmark (smoke test)")
    parser.add_argument("--model", default=str(SHIPPED_MNIST), help="generator for render/startup/slider/gui")
    parser.add_argument(
        "--data-dir", help="MNIST folder for the training benchmarks (else GANSTUDIO_DATA / the usual search)"
    )
    parser.add_argument("--only", nargs="+", choices=list(BENCHMARKS), help="run just these")
    parser.add_argument("--skip", nargs="+", choices=list(BENCHMARKS), default=[], help="leave these out")
    args = parser.parse_args()
    names = [n for n in (args.only or BENCHMARKS) if n not in args.skip]

    # A quick run must not overwrite full-length results: keep them aside and put them back afterwards.
    before = {p: p.read_bytes() for p in RESULTS.glob("*.json")} if args.quick else {}
    mtimes = {p: p.stat().st_mtime for p in before}
    status = {name: run_one(name, args) for name in names}
    out_dir = RESULTS_ROOT / "quick" if args.quick else RESULTS
    out_dir.mkdir(parents=True, exist_ok=True)
    collected = {}
    for name in names:
        for result in BENCHMARKS[name][5]:
            path = RESULTS / f"{result}.json"
            fresh = path.is_file() and (path not in mtimes or path.stat().st_mtime != mtimes[path])
            if not fresh:
                continue
            collected[result] = json.loads(path.read_text(encoding="utf-8"))
            if args.quick:
                shutil.move(path, out_dir / path.name)
                if path in before:
                    path.write_bytes(before[path])
    ran = dict(status)  # this call's benchmarks; the merge below may add earlier entries of other formats
    earlier_path = out_dir / "all.json"
    if not args.quick and earlier_path.is_file() and len(names) < len(BENCHMARKS):
        # --only / --skip refresh part of a full run: keep the other benchmarks' last results beside them.
        earlier = json.loads(earlier_path.read_text(encoding="utf-8"))
        status = {**earlier.get("status", {}), **status}
        collected = {**earlier.get("results", {}), **collected}
    summary = {"quick": args.quick, "when": time.strftime("%Y-%m-%d %H:%M:%S"), "status": status, "results": collected}
    (out_dir / "all.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")

    print(f"\n{'=' * 100}\nSummary{' (quick run: indicative only)' if args.quick else ''}")
    for name, s in ran.items():
        print(
            f"  {name:24s} {'ok' if s['exit_code'] == 0 else 'FAILED (exit ' + str(s['exit_code']) + ')':18s} "
            f"{s['seconds']:7.0f} s"
        )
    print(f"results: {(out_dir / 'all.json').relative_to(ROOT)}")
    sys.exit(1 if any(s["exit_code"] for s in ran.values()) else 0)


if __name__ == "__main__":
    main()
