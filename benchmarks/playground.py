"""Playground drawing cost: training speed with the live view redrawing against the same loop with no view.

One process, one torch thread, the same configuration (3x128 MLPs, batch 256), for each objective:
  bare   PlaygroundTrainer.step() in a loop in the main thread: nothing drawn
  view   the Playground tab, shown and playing as fast as it can: the training process sends a frame (a weight
         copy) up to 30 times a second, the render thread evaluates D on the 64x64 heatmap grid, G on the points
         and on the latent grid (manifold), the gradient arrows and coverage (1 Hz), and the UI thread paints
         the heatmap, points, arrows, manifold lines and loss plots
The bare loop runs before and after the view run; its mean is the reference. The ratio view/bare is the
target (>= 0.8) together with the frames painted per second (>= 30).

    .venv/bin/python benchmarks/playground.py [--seconds 20] [--quick]

Without a display it runs on Qt's offscreen platform, which paints the widgets into memory as a desktop would.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, print_table, write_results

PROBE_MS = 16
OBJECTIVES = {"bce": {"loss": "bce", "d_steps": 1}, "wgan-gp": {"loss": "wgan-gp", "d_steps": 5}}


def bare_rate(config, seconds: float) -> float:
    from ganstudio.core.playground.trainer import PlaygroundTrainer

    trainer = PlaygroundTrainer(config)
    for _ in range(20):  # warm-up: first calls allocate
        trainer.step()
    start = time.perf_counter()
    steps = 0
    while time.perf_counter() - start < seconds:
        trainer.step()
        steps += 1
    return steps / (time.perf_counter() - start)


def view_rate(app, config, seconds: float) -> tuple[float, float, tuple[float, float]]:
    """(G steps per second, frames painted per second, UI lag p50 / p99 in ms) with the tab in front and playing.
    The lag is how late a 60 Hz timer fires on the UI thread: how long a click or key on a control waits."""
    from PySide6.QtCore import Qt, QTimer

    from ganstudio.gui.playground_tab import PlaygroundTab

    tab = PlaygroundTab()
    tab.resize(1400, 850)
    tab.form_a.set_config(config)
    tab.show()
    deadline = time.monotonic() + 120
    while not tab.ready() and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.005)
    tab.play_button.click()
    warm_until = time.monotonic() + 2.0
    while time.monotonic() < warm_until:
        app.processEvents()
        time.sleep(0.002)
    lags: list[float] = []
    probe = QTimer()
    probe.setTimerType(Qt.TimerType.PreciseTimer)
    probe.setInterval(PROBE_MS)
    last = [time.perf_counter()]

    def probe_fired() -> None:  # what a control's input event waits for while the tab plays
        now = time.perf_counter()
        lags.append(max(0.0, (now - last[0]) * 1000 - PROBE_MS))
        last[0] = now

    probe.timeout.connect(probe_fired)
    step0, frames0, t0 = tab.newest_step, tab.frames_drawn, time.perf_counter()
    last[0] = t0
    probe.start()
    while time.perf_counter() - t0 < seconds:
        app.processEvents()
        time.sleep(0.002)  # an idle event loop: what a window waiting for input does
    probe.stop()
    elapsed = time.perf_counter() - t0
    rate, fps = (tab.newest_step - step0) / elapsed, (tab.frames_drawn - frames0) / elapsed
    tab.shutdown()
    tab.close()
    lags.sort()
    return rate, fps, (lags[len(lags) // 2], lags[int(0.99 * (len(lags) - 1))])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="measuring time of each phase")
    parser.add_argument("--quick", action="store_true", help="3-second phases: checks that the script works")
    args = parser.parse_args()
    seconds = 3.0 if args.quick else args.seconds
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    import onnxruntime  # noqa: F401  (before PySide6, as in the app)
    import torch
    from PySide6.QtWidgets import QApplication

    from ganstudio.core.playground.config import PlaygroundConfig
    from ganstudio.gui.app import configure_pyqtgraph

    torch.set_num_threads(1)
    configure_pyqtgraph()  # the app's drawing settings (antialiasing on)
    app = QApplication.instance() or QApplication([])
    rows, results = [], {}
    for name, changes in OBJECTIVES.items():
        config = PlaygroundConfig(**changes)
        before = bare_rate(config, seconds)
        with_view, fps, (lag50, lag99) = view_rate(app, config, seconds)
        after = bare_rate(config, seconds)
        bare = (before + after) / 2
        ratio = with_view / bare
        results[name] = {
            "bare_steps_per_second": [round(before, 1), round(after, 1)],
            "view_steps_per_second": round(with_view, 1),
            "ratio": round(ratio, 3),
            "frames_per_second": round(fps, 1),
            "ui_lag_ms_p50_p99": [round(lag50, 1), round(lag99, 1)],
        }
        rows.append(
            (
                name,
                f"{bare:.1f} ({before:.1f}, {after:.1f})",
                f"{with_view:.1f}",
                f"{ratio:.2f}",
                f"{fps:.1f}",
                f"{lag50:.1f} / {lag99:.1f}",
            )
        )
    print_table(
        f"Playground: G steps/s with the view drawing vs none ({seconds:g} s phases, 1 torch thread)",
        rows,
        ("objective", "bare (before, after)", "with view", "ratio (>= 0.8)", "frames/s (>= 30)", "UI lag ms p50/p99"),
    )
    write_results("playground", {"seconds": seconds, "machine": machine(), "results": results})


if __name__ == "__main__":
    main()
