"""Soak: the real window trains for a long time while a script drags sliders and switches tabs.

The Train tab runs the default recipe "until stopped" in its QThread. Every cycle the script drags a latent slider
of the Explore tab at ~60 Hz for a few seconds (measuring slider-to-pixels latency and paint time, as
slider_latency.py does), then visits every tab in turn, then lets the window idle while it measures training
speed. Each cycle records resident memory (VmRSS), Python objects alive, paint time, latency and steps/s.

The report compares the first cycles with the last ones: flat means each grew by less than 10 %.
A leak (of images, plot items, Qt objects or tensors) shows as memory and object counts climbing; a slow UI
shows as paint time or latency climbing; a training slowdown (e.g. a history that costs more every step) shows as
steps/s falling.

QT_QPA_PLATFORM defaults to offscreen; settings and the run folder live in a temporary folder.
"""

from __future__ import annotations

import argparse
import gc
import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import SHIPPED_MNIST, print_table, write_results
from slider_latency import GuiSession, SliderDrag, StepRate, parse_form_values, prepare_environment, proc_status_mb


def visit_tabs(session: GuiSession, dwell: float) -> None:
    """Show every tab for `dwell` seconds, then come back to Explore (what a user clicking around does)."""
    tabs = session.window.tabs
    for index in range(tabs.count()):
        tabs.setCurrentIndex(index)
        session.wait(dwell)
    tabs.setCurrentWidget(session.window.explore)


def one_cycle(session: GuiSession, steps: StepRate, index: int, args: argparse.Namespace) -> dict:
    drag = SliderDrag(session, dim=index % 8, hz=args.hz).run(args.drag_seconds, settle=1.0)
    visit_tabs(session, args.tab_dwell)
    start = time.perf_counter()
    session.wait(args.idle_seconds)
    rate = steps.rate(start, time.perf_counter())
    return {
        "cycle": index,
        "t": time.perf_counter(),
        "step": session.window.train_panel.current_step(),
        "rss_mb": proc_status_mb("VmRSS"),
        "objects": len(gc.get_objects()),
        "paint_ms_median": drag["paint_ms_median"],
        "latency_ms_p50": drag["latency_ms"]["p50"],
        "latency_ms_p99": drag["latency_ms"]["p99"],
        "steps_per_second": rate,
    }


def compare(cycles: list[dict], edge: int) -> dict[str, dict[str, float]]:
    """Medians over the first and last `edge` cycles, and the relative growth from one to the other."""
    first, last = cycles[:edge], cycles[-edge:]
    out = {}
    for key in ("rss_mb", "objects", "paint_ms_median", "latency_ms_p50", "latency_ms_p99", "steps_per_second"):
        a = statistics.median(c[key] for c in first)
        b = statistics.median(c[key] for c in last)
        out[key] = {"start": a, "end": b, "growth": (b - a) / a if a else float("nan")}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=30.0, help="how long to soak (default 30)")
    parser.add_argument("--model", default=str(SHIPPED_MNIST))
    parser.add_argument("--data-dir", help="dataset folder (GANSTUDIO_DATA), e.g. ../shared/datasets")
    parser.add_argument("--hz", type=float, default=60.0, help="slider changes per second during a drag")
    parser.add_argument("--drag-seconds", type=float, default=5.0)
    parser.add_argument("--tab-dwell", type=float, default=0.5, help="seconds on each tab per visit")
    parser.add_argument("--idle-seconds", type=float, default=10.0, help="training-speed window per cycle")
    parser.add_argument("--set", nargs="*", default=[], help="Train form values, e.g. threads=1")
    args = parser.parse_args()

    tmp = prepare_environment(data_dir=args.data_dir)
    session = GuiSession(args.model, tmp / "config")
    cycles: list[dict] = []
    try:
        session.start_training(tmp / "run", parse_form_values(args.set))
        session.wait(5.0)  # the first samples, plots and metrics settle
        steps = StepRate(session)
        end = time.perf_counter() + args.minutes * 60.0
        while time.perf_counter() < end:
            cycles.append(one_cycle(session, steps, len(cycles), args))
            c = cycles[-1]
            print(
                f"cycle {c['cycle']:3d}  step {c['step']:7d}  rss {c['rss_mb']:6.0f} MB  objects {c['objects']:7d}  "
                f"paint {c['paint_ms_median']:.2f} ms  latency p50/p99 {c['latency_ms_p50']:.1f}/"
                f"{c['latency_ms_p99']:.1f} ms  {c['steps_per_second']:.1f} steps/s",
                flush=True,
            )
        steps.stop()
    finally:
        session.close()
        shutil.rmtree(tmp, ignore_errors=True)

    edge = max(1, min(3, len(cycles) // 3))
    growth = compare(cycles, edge)
    rows = [
        (
            key,
            f"{g['start']:.2f}",
            f"{g['end']:.2f}",
            f"{100 * g['growth']:+.1f} %",
            "PASS" if g["growth"] < 0.10 else "MISS",
        )
        for key, g in growth.items()
        if key != "steps_per_second"
    ]
    speed = growth["steps_per_second"]
    rows.append(
        (
            "steps_per_second",
            f"{speed['start']:.2f}",
            f"{speed['end']:.2f}",
            f"{100 * speed['growth']:+.1f} %",
            "PASS" if speed["growth"] > -0.10 else "MISS",
        )
    )
    print_table(
        f"Soak: {args.minutes:.0f} min, {len(cycles)} cycles; medians of the first and last {edge} cycles",
        rows,
        ("measure", "start", "end", "change", "flat (< 10 %)"),
    )
    write_results("soak", {"args": vars(args), "cycles": cycles, "growth": growth})


if __name__ == "__main__":
    main()
