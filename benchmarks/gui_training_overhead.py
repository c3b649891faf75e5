"""Live-plot overhead: what the app costs a training run, against the bare core loop.

Same process, same recipe (the Train form's defaults, budget "until stopped"), same torch thread count:
  bare      Trainer.run(preview_seconds=3) iterated in the main thread with nothing listening: the core loop
            with its own preview/snapshot work but no Qt adapter, signals, plots or window updates
  Train tab the same run started from the Train tab (TrainWorker in its QThread) with the Train tab in front:
            live loss plots, sample grid, progress line and log updating, plus the live quality metrics
            thread when the form has it on (see "cores busy")
  Explore   the same GUI run with the Explore tab in front (plots hidden, window idle)
The bare loop runs before and after the GUI run and its mean is the reference. Throughput is generator steps
per second over wall time (a least-squares slope for the GUI run, read from the Train tab's step count).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import SHIPPED_MNIST, print_table, write_results
from slider_latency import (
    GuiSession,
    StepRate,
    cpu_share,
    format_cores,
    measure_rate,
    metrics_note,
    parse_form_values,
    prepare_environment,
    thread_cpu,
)


def bare_rate(model_cfg, train_cfg, dataset, warmup: float, seconds: float, preview_seconds: float) -> dict:
    """Steps/s of the core loop alone, after `warmup` seconds, over `seconds`."""
    import torch

    from ganstudio.core.events import StepMetrics
    from ganstudio.core.training import Trainer

    trainer = Trainer(model_cfg, train_cfg, dataset)  # no run folder: nothing is written
    events = trainer.run(preview_seconds=preview_seconds)
    started, t0, step0, cpu0 = time.perf_counter(), None, 0, {}
    try:
        for event in events:
            if not isinstance(event, StepMetrics):
                continue
            now = time.perf_counter()
            if t0 is None and now - started >= warmup:
                t0, step0, cpu0 = now, event.step, thread_cpu()
            elif t0 is not None and now - t0 >= seconds:
                return {
                    "steps_per_second": (event.step - step0) / (now - t0),
                    "torch_threads": torch.get_num_threads(),
                    "cores_busy": cpu_share(cpu0, thread_cpu(), now - t0),
                }
    finally:
        events.close()
    raise RuntimeError("the bare training loop ended early")


def expected_gui_threads(form_threads: int) -> int:
    """The thread count a GUI run will use (TrainWorker maps "auto" = 0 to a number of its own, if it does)."""
    try:
        from ganstudio.gui.train_worker import gui_threads
    except ImportError:  # an app version without it: the core meaning, torch's default
        return form_threads
    return gui_threads(form_threads)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=str(SHIPPED_MNIST), help="the generator the Explore tab shows")
    parser.add_argument("--seconds", type=float, default=20.0, help="timed seconds per condition")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds of training before timing")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a Train form field, e.g. threads=1 or metrics_every=0 (repeatable)",
    )
    parser.add_argument("--data-dir", help="MNIST folder (sets GANSTUDIO_DATA)")
    parser.add_argument("--platform", default="offscreen", help="QT_QPA_PLATFORM unless already set")
    args = parser.parse_args()
    model = args.model if Path(args.model).is_file() else None
    form_values = parse_form_values(args.set)

    tmp = prepare_environment(args.platform, args.data_dir)
    session = None
    try:
        session = GuiSession(model, tmp / "config")
        panel = session.window.train_panel
        panel.form.set_values({"budget_kind": "none", **form_values})
        model_cfg, train_cfg = panel.form.configs()
        from ganstudio.core.config import with_changes
        from ganstudio.core.data import load_dataset

        dataset = load_dataset(train_cfg.dataset, image_size=model_cfg.image_size, channels=model_cfg.channels)
        threads = expected_gui_threads(train_cfg.threads)
        bare_cfg = with_changes(train_cfg, threads=threads)
        preview = panel.preview_seconds
        print(f"bare loop, {threads or 'default'} torch threads ...", flush=True)
        bare = [bare_rate(model_cfg, bare_cfg, dataset, args.warmup, args.seconds, preview)]

        print("Train tab in front ...", flush=True)
        session.window.tabs.setCurrentWidget(panel)
        session.start_training(tmp / "run", form_values)
        session.wait(args.warmup)
        steps = StepRate(session)
        train_tab, train_tab_cpu = measure_rate(session, steps, args.seconds)
        print("Explore tab in front ...", flush=True)
        session.window.tabs.setCurrentWidget(session.window.explore)
        session.wait(1.0)
        explore, explore_cpu = measure_rate(session, steps, args.seconds)
        steps.stop()
        session.stop_training()
        run_json = tmp / "run" / "run.json"
        gui_threads = json.loads(run_json.read_text())["train_config"]["threads"] if run_json.is_file() else None
        if gui_threads is not None and gui_threads != threads:
            print(f"note: the GUI run used {gui_threads} threads, not {threads}: the first bare run is dropped")
            bare = []
            threads = gui_threads
        print("bare loop again ...", flush=True)
        bare.append(
            bare_rate(model_cfg, with_changes(train_cfg, threads=threads), dataset, args.warmup, args.seconds, preview)
        )
    finally:
        if session is not None:
            session.close()
        shutil.rmtree(tmp, ignore_errors=True)

    reference = statistics.fmean(b["steps_per_second"] for b in bare)
    rows = [
        (f"bare core loop (run {i + 1})", f"{b['steps_per_second']:.2f}", "", format_cores(b["cores_busy"]))
        for i, b in enumerate(bare)
    ]
    rows += [
        (
            "app, Train tab in front (live plots)",
            f"{train_tab:.2f}",
            f"{100 * (1 - train_tab / reference):.1f} %",
            format_cores(train_tab_cpu),
        ),
        (
            "app, Explore tab in front (idle)",
            f"{explore:.2f}",
            f"{100 * (1 - explore / reference):.1f} %",
            format_cores(explore_cpu),
        ),
    ]
    print_table(
        f"Training throughput, default recipe, {threads or 'default'} torch threads (generator steps/s; "
        f"overhead vs the mean bare rate {reference:.2f})",
        rows,
        ("condition", "steps/s", "overhead", "cores busy per thread"),
    )
    print('("ui" is the main thread: in the bare runs it is the one training)')
    note = metrics_note(train_tab_cpu, explore_cpu)
    if note:
        print(note)
    write_results(
        "gui_training_overhead",
        {
            "seconds": args.seconds,
            "torch_threads": threads,
            "form_values": form_values,
            "bare": bare,
            "bare_mean": reference,
            "train_tab": train_tab,
            "train_tab_cores_busy": train_tab_cpu,
            "explore": explore,
            "explore_cores_busy": explore_cpu,
            "overhead_train_tab": 1 - train_tab / reference,
            "overhead_explore": 1 - explore / reference,
        },
    )


if __name__ == "__main__":
    main()
