"""Startup and memory: from process start to the first generated digit on screen, and peak memory while exploring.

Startup: launches the real entry point (`ganstudio MODEL`, the console script) --launches times, each a fresh
process with fresh settings (no saved geometry or recent files), after --warmup launches that are not counted
(they fill the OS file cache: "cold-ish" = a new process, warm disk cache). The app's dormant hook
GANSTUDIO_STARTUP_REPORT (ganstudio/gui/app.py) writes, once the first generated sample has been painted, its
timings since the process started (/proc/self/stat starttime against CLOCK_BOOTTIME, 10 ms resolution) and
the moments on time.monotonic(), and quits. "spawn" is measured here, from just before the process is spawned
to the end of that first paint, both on CLOCK_MONOTONIC: it includes exec and the interpreter start-up.

Memory: one more process starts the app the same way, then explores for --explore-seconds (drags sliders,
reseeds and clicks the sample grid, randomizes, moves truncation, visits the Interpolate tab) and reports its
peak RSS (VmHWM from /proc/self/status). No training: torch must not even be imported.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import SHIPPED_MNIST, print_table, write_results

PHASES = (
    ("imports", None, "t_imports"),
    ("window", "t_imports", "t_window"),
    ("model load", "t_window", "t_model_loaded"),
    ("first render", "t_model_loaded", "t_first_render"),
    ("paint", "t_first_render", "t_first_paint"),
)


def _entry_point() -> list[str]:
    script = Path(sys.executable).with_name("ganstudio")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "ganstudio.cli.main"]


def _child_env(tmp: Path, platform: str) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", platform)
    env["XDG_CONFIG_HOME"] = str(tmp / "config")  # fresh settings for every launch
    return env


def launch(model: str, platform: str, timeout: float, importtime: bool = False) -> dict:
    """One launch of the app; returns its startup report plus `spawn` (seconds, measured by this process).
    With `importtime`, Python's -X importtime log is parsed into `imports_ms`: the slowest top-level imports."""
    tmp = Path(tempfile.mkdtemp(prefix="ganstudio-startup-"))
    try:
        env = _child_env(tmp, platform)
        report_path = tmp / "report.json"
        env["GANSTUDIO_STARTUP_REPORT"] = str(report_path)
        if importtime:
            env["PYTHONPROFILEIMPORTTIME"] = "1"
        spawned = time.monotonic()
        proc = subprocess.run([*_entry_point(), model], env=env, timeout=timeout, capture_output=True, text=True)
        if not report_path.is_file():
            raise RuntimeError(
                f"the app wrote no startup report (exit code {proc.returncode}):\n{proc.stderr.strip()[-2000:]}"
            )
        report = json.loads(report_path.read_text(encoding="utf-8"))
        report["spawn"] = report["monotonic"]["t_first_paint"] - spawned
        report["exit_code"] = proc.returncode
        if importtime:
            report["imports_ms"] = _top_imports(proc.stderr)
        return report
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _top_imports(log: str, n: int = 12) -> dict[str, float]:
    """The slowest imports of the two outermost levels (cumulative ms; a nested one is also inside its parent,
    and is named "parent > name")."""
    found, parent = {}, ""
    for line in log.splitlines():
        if not line.startswith("import time:") or line.count("|") != 2 or "cumulative" in line:
            continue
        _self, cumulative, name = line.removeprefix("import time:").split("|")
        depth = (len(name) - len(name.lstrip(" ")) - 1) // 2
        if depth == 0:
            parent = name.strip()  # -X importtime logs a module after its nested imports: fixed up below
            found[parent] = int(cumulative) / 1000.0
        elif depth == 1:
            found[f"> {name.strip()}"] = int(cumulative) / 1000.0
    # Nested lines come before their parent's line: attach each "> x" to the next top-level name after it.
    named, pending = {}, []
    for key, value in found.items():
        if key.startswith("> "):
            pending.append((key[2:], value))
        else:
            named[key] = value
            named.update({f"{key} > {child}": v for child, v in pending})
            pending = []
    return dict(sorted(named.items(), key=lambda kv: -kv[1])[:n])


def explore_peak(model: str, platform: str, seconds: float, timeout: float) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="ganstudio-explore-"))
    try:
        out = tmp / "explore.json"
        cmd = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--explore-child",
            str(out),
            "--model",
            model,
            "--explore-seconds",
            str(seconds),
        ]
        proc = subprocess.run(cmd, env=_child_env(tmp, platform), timeout=timeout, capture_output=True, text=True)
        if not out.is_file():
            raise RuntimeError(
                f"the exploring app reported nothing (exit code {proc.returncode}):\n{proc.stderr.strip()[-2000:]}"
            )
        return json.loads(out.read_text(encoding="utf-8"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def explore_child(model: str, seconds: float, out: Path) -> None:
    """Runs in its own process: the window as run_app builds it, explored by a script for `seconds`."""
    import numpy as np

    from slider_latency import GuiSession, proc_status_mb

    session = GuiSession(model, Path(os.environ["XDG_CONFIG_HOME"]))
    window, explore = session.window, session.window.explore
    rng = np.random.default_rng(0)
    rss_at_first_paint = proc_status_mb("VmRSS")  # (0.3 s after it)
    actions = 0
    end = time.monotonic() + seconds
    dims = explore.sliders.visible_dims()
    while time.monotonic() < end:
        for k in range(30):  # a short drag over a few sliders
            slider = explore.sliders.slider(dims[(actions // 30) % len(dims)])
            slider.setValue(int(300 * np.sin(k / 5)))
            session.wait(1 / 120)
        explore.reseed()
        session.wait(0.05)
        explore.select_cell(int(rng.integers(0, 64)))
        explore.trunc_slider.setValue(int(rng.integers(50, 150)))
        explore.randomize()
        if actions % 4 == 3:  # now and then the Interpolate tab: keyframes A and B, its strip, playing
            window.interpolate.set_keyframe("A", explore.latent_state())
            explore.randomize()
            window.interpolate.set_keyframe("B", explore.latent_state())
            window.tabs.setCurrentWidget(window.interpolate)
            window.interpolate.play(True)
            session.wait(0.5)
            window.interpolate.play(False)
            window.tabs.setCurrentWidget(explore)
        session.wait(0.05)
        actions += 1
    session.wait(0.3)
    report = {
        "peak_rss_mb": proc_status_mb("VmHWM"),
        "rss_mb": proc_status_mb("VmRSS"),
        "rss_at_first_paint_mb": rss_at_first_paint,
        "seconds": seconds,
        "rounds": actions,
        "torch_imported": "torch" in sys.modules,
    }
    session.close()
    out.write_text(json.dumps(report), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=str(SHIPPED_MNIST), help="the generator the app opens (.onnx)")
    parser.add_argument("--launches", type=int, default=5, help="timed launches (the median is reported)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed launches first (fill the file cache)")
    parser.add_argument("--explore-seconds", type=float, default=10.0, help="exploring before reading peak RSS")
    parser.add_argument("--platform", default="offscreen", help="QT_QPA_PLATFORM unless already set")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds before a launch counts as hung")
    parser.add_argument("--explore-child", metavar="OUT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.explore_child:
        return explore_child(args.model, args.explore_seconds, Path(args.explore_child))
    if not Path(args.model).is_file():
        sys.exit(f"no model at {args.model}: pass --model path/to/generator.onnx")

    for _ in range(args.warmup):
        launch(args.model, args.platform, args.timeout)
    reports = [launch(args.model, args.platform, args.timeout) for _ in range(args.launches)]

    def ms(report: dict, start: str | None, end: str) -> float:
        return 1000.0 * (report[end] - (report[start] if start else 0.0))

    rows = []
    for i, r in enumerate(reports, 1):
        rows.append(
            (
                str(i),
                *(f"{ms(r, a, b):.0f}" for _, a, b in PHASES),
                f"{1000 * r['t_first_paint']:.0f}",
                f"{1000 * r['spawn']:.0f}",
                f"{r['rss_mb']:.0f}",
            )
        )
    medians = {name: statistics.median(ms(r, a, b) for r in reports) for name, a, b in PHASES}
    total = statistics.median(1000 * r["t_first_paint"] for r in reports)
    spawn = statistics.median(1000 * r["spawn"] for r in reports)
    rows.append(
        (
            "median",
            *(f"{medians[name]:.0f}" for name, _, _ in PHASES),
            f"{total:.0f}",
            f"{spawn:.0f}",
            f"{statistics.median(r['rss_mb'] for r in reports):.0f}",
        )
    )
    print_table(
        f"Startup to the first generated digit on screen: `{' '.join(Path(c).name for c in _entry_point())} "
        f"{Path(args.model).name}`, {args.launches} launches after {args.warmup} warm-up, ms since the "
        f"process started",
        rows,
        ("launch", *(name for name, _, _ in PHASES), "total", "spawn", "RSS MB"),
    )
    print(
        "imports = interpreter, CLI, onnxruntime, Qt, pyqtgraph and the GUI modules; window = building and "
        "showing MainWindow;\nmodel load = opening the .onnx in the render thread; first render = generating "
        "the sample and handing it over;\npaint = until its paintEvent ended. spawn = measured by the parent "
        "from just before spawning the process. Target: total < 2000 ms"
    )

    profile = launch(args.model, args.platform, args.timeout, importtime=True)["imports_ms"]
    print(
        "\nSlowest imports, two outer levels (one more launch under -X importtime, which inflates them a little):\n  "
        + ", ".join(f"{name} {ms_:.0f} ms" for name, ms_ in profile.items())
    )

    explore = explore_peak(args.model, args.platform, args.explore_seconds, args.timeout + args.explore_seconds)
    print(
        f"\nPeak RSS while exploring for {args.explore_seconds:.0f} s ({explore['rounds']} rounds of slider drags, "
        f"grid reseeds and clicks, randomize, truncation, Interpolate tab): {explore['peak_rss_mb']:.0f} MB "
        f"(target < 300 MB; {explore['rss_at_first_paint_mb']:.0f} MB at the first sample; torch imported: "
        f"{explore['torch_imported']})"
    )
    peak = explore["peak_rss_mb"]
    print(
        f"\n{'PASS' if total < 2000 else 'MISS'}  startup median {total:.0f} ms < 2000 ms\n"
        f"{'PASS' if peak < 300 else 'MISS'}  peak RSS while exploring {peak:.0f} MB < 300 MB"
    )
    write_results(
        "startup",
        {
            "model": args.model,
            "launches": reports,
            "median_ms": {**medians, "total": total, "spawn": spawn},
            "explore": explore,
            "slowest_imports_ms": profile,
            "platform": os.environ.get("QT_QPA_PLATFORM", args.platform),
        },
    )


if __name__ == "__main__":
    main()
