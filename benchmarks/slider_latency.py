"""Slider to pixels in the real main window, alone and with a training run in the background.

A QTimer moves one latent slider of the Explore tab at ~120 Hz for --seconds (QSlider.setValue: where a mouse
drag ends up). Each value change posts a "current" render (the request id is caught at RenderService.submit);
a frame's latency runs from the value change to the end of the image view's paintEvent that drew *that*
request's pixels. Requests replaced before they were rendered (latest wins) or rendered but replaced before the
next paint count as coalesced, never as latency; a frame painted after a newer one counts as stale (want 0).
"lag" is the other view: for *every* value change, the time until it or a newer value is on screen.

Pass 1: the window idle (nothing else running). Pass 2: the Train tab's default recipe training "until
stopped" at full speed in a QThread, while the Explore tab stays in front. Training throughput (generator steps
per second: the least-squares slope of the step count over wall time) is measured with the window idle for
--seconds before the drag, during the drag, and idle again after it; the drop compares the drag with the mean
of the two idle windows.

QT_QPA_PLATFORM defaults to offscreen; settings live in a temporary folder, as does the training run.
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import SHIPPED_MNIST, percentile, print_table, write_results

# -- environment and the window ---------------------------------------------------------------------------


def prepare_environment(platform: str = "offscreen", data_dir: str | None = None) -> Path:
    """Offscreen Qt, settings in a fresh temporary folder (no saved geometry or options), and the dataset
    folder (GANSTUDIO_DATA). Call before Qt is imported. Returns the temporary folder (remove it when done)."""
    os.environ.setdefault("QT_QPA_PLATFORM", platform)
    if data_dir:
        os.environ["GANSTUDIO_DATA"] = str(Path(data_dir).resolve())
    tmp = Path(tempfile.mkdtemp(prefix="ganstudio-bench-"))
    os.environ["XDG_CONFIG_HOME"] = str(tmp / "config")  # where QSettings' user scope lives on Linux
    return tmp


def proc_status_mb(key: str) -> float:
    """VmRSS / VmHWM (peak RSS) of this process in MB, from /proc/self/status (Linux)."""
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024.0
    raise KeyError(key)


# The app's QThreads by their OS names (Qt names a thread after its objectName; Linux keeps 15 characters).
THREAD_GROUPS = {"ganstudio-rende": "render", "ganstudio-train": "training", "ganstudio-metri": "metrics"}


def thread_cpu() -> dict[str, float]:
    """CPU seconds used so far by this process's threads, grouped: "ui" (the main thread), the app's named
    threads ("render", "training", "metrics"; a thread pool started by one of them inherits its name) and
    "other" (Qt, onnxruntime and Python helpers)."""
    tick, pid, groups = os.sysconf("SC_CLK_TCK"), os.getpid(), {}
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/stat", encoding="ascii") as handle:
                name, rest = handle.read().rsplit(")", 1)
        except OSError:  # the thread ended meanwhile
            continue
        fields = rest.split()
        comm = name.split("(", 1)[1]
        group = "ui" if int(tid) == pid else THREAD_GROUPS.get(comm, comm if comm.startswith("ganstudio") else "other")
        groups[group] = groups.get(group, 0.0) + (int(fields[11]) + int(fields[12])) / tick  # utime + stime
    return groups


def cpu_share(before: dict[str, float], after: dict[str, float], seconds: float) -> dict[str, float]:
    """Cores busy per thread group between two thread_cpu() readings (1.0 = one core all the time)."""
    return {k: round((after.get(k, 0.0) - before.get(k, 0.0)) / seconds, 3) for k in sorted(after)}


class GuiSession:
    """The app's real MainWindow, created as `run_app` does, driven by a script instead of a person."""

    def __init__(self, model: str | None, settings_dir: Path, timeout: float = 60.0) -> None:
        import onnxruntime  # noqa: F401  (the app's import order)
        from PySide6.QtCore import QEventLoop, QSettings, QTimer

        from ganstudio.gui import dialogs
        from ganstudio.gui.app import create_application

        for fmt in (QSettings.Format.IniFormat, QSettings.Format.NativeFormat):
            QSettings.setPath(fmt, QSettings.Scope.UserScope, str(settings_dir))
        self._loop_cls, self._timer_cls = QEventLoop, QTimer
        self.errors: list[str] = []
        # A modal message box would stall the scripted event loop: record the error and fail instead.
        dialogs.show_error = lambda _parent, title, message: self.errors.append(f"{title}: {message}")
        self.app = create_application([sys.argv[0]])
        from ganstudio.gui.main_window import MainWindow

        self.window = MainWindow()
        self.window.show()
        self.window.tabs.setCurrentWidget(self.window.explore)
        if model is not None:
            self.window.open_path(model)
            self.wait_until(lambda: self.window.explore.view.qimage() is not None, timeout, "first sample on screen")
        self.wait(0.3)  # the grid and the first paints settle

    def wait(self, seconds: float) -> None:
        """Run the event loop for `seconds`."""
        loop = self._loop_cls()
        self._timer_cls.singleShot(max(0, int(seconds * 1000)), loop.quit)
        loop.exec()

    def wait_until(self, condition, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if self.errors:
                raise RuntimeError(f"waiting for {what}: {self.errors[-1]}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {what} within {timeout:.0f} s")
            self.wait(0.02)

    # -- training through the Train tab ------------------------------------------------------------------

    def start_training(self, run_dir: Path, form_values: dict | None = None, timeout: float = 300.0) -> None:
        """Start the form's default recipe with budget "until stopped" (and `form_values` applied: the names
        of TrainForm.values(), e.g. {"threads": 1}), then wait for its first step."""
        panel = self.window.train_panel
        if panel is None:
            raise RuntimeError("the Train tab is not available")
        values = {"budget_kind": "none", **(form_values or {})}
        panel.form.set_values(values)
        applied = panel.form.values()
        ignored = [k for k, v in values.items() if k in applied and applied[k] != v]
        if ignored:
            raise RuntimeError(f"the Train form did not take {', '.join(ignored)} (it has {applied})")
        panel.form.run_dir_edit.setText(str(run_dir))
        panel.start()
        if not panel.is_running():
            raise RuntimeError(f"training did not start: {panel.form.error() or 'unknown reason'}")
        self.wait_until(lambda: panel.current_step() > 0, timeout, "first training step")

    def stop_training(self) -> None:
        panel = self.window.train_panel
        if panel is not None and panel.is_running():
            panel.shutdown(timeout_ms=120_000)  # the core saves a checkpoint and exports the generator

    def close(self) -> None:
        self.stop_training()
        self.window.shutdown()
        self.window.deleteLater()
        self.wait(0.05)


class StepRate:
    """Samples the Train tab's step count every 50 ms; `rate(t0, t1)` is steps per second in that window."""

    def __init__(self, session: GuiSession) -> None:
        self._panel = session.window.train_panel
        self.samples: list[tuple[float, int]] = []
        self._timer = session._timer_cls()
        self._timer.setInterval(50)
        self._timer.timeout.connect(lambda: self.samples.append((time.perf_counter(), self._panel.current_step())))
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def rate(self, t0: float, t1: float) -> float:
        points = [(t, s) for t, s in self.samples if t0 <= t <= t1]
        if len(points) < 3:
            return float("nan")
        mean_t = statistics.fmean(t for t, _ in points)
        mean_s = statistics.fmean(s for _, s in points)
        num = sum((t - mean_t) * (s - mean_s) for t, s in points)
        den = sum((t - mean_t) ** 2 for t, _ in points)
        return num / den if den else float("nan")


def parse_form_values(items: list[str]) -> dict:
    """["threads=1", "loss=bce"] -> {"threads": 1, "loss": "bce"} (numbers become int or float)."""
    values = {}
    for item in items:
        name, sep, text = item.partition("=")
        if not sep:
            raise SystemExit(f"--set wants NAME=VALUE, got {item!r}")
        for cast in (int, float):
            try:
                values[name.strip()] = cast(text)
                break
            except ValueError:
                continue
        else:
            values[name.strip()] = {"true": True, "false": False}.get(text.lower(), text)
    return values


def measure_rate(session: GuiSession, rate: StepRate, seconds: float) -> tuple[float, dict[str, float]]:
    """Steps/s over the next `seconds` of an idle event loop, and the cores busy per thread meanwhile."""
    cpu, start = thread_cpu(), time.perf_counter()
    session.wait(seconds)
    end = time.perf_counter()
    return rate.rate(start, end), cpu_share(cpu, thread_cpu(), end - start)


def metrics_note(*windows: dict[str, float]) -> str | None:
    """A warning when the live-metrics thread was busy in some measured windows (they are then not alike)."""
    busy = [w.get("metrics", 0.0) for w in windows]
    if max(busy) < 0.02:
        return None
    shares = ", ".join(f"{b:.2f}" for b in busy)
    return (
        f"note: the Train tab's live-metrics thread was busy in these windows ({shares} cores), so they did "
        f"not train alike; --set metrics_every=0 turns it off"
    )


# -- the drag ---------------------------------------------------------------------------------------------


class SliderDrag:
    """Drags latent slider `dim` at `hz` for `seconds`, matching each value change to the paint of its pixels."""

    def __init__(
        self, session: GuiSession, dim: int = 0, hz: float = 120.0, amplitude: int = 250, step: int = 9
    ) -> None:
        from PySide6.QtCore import QEvent, QObject, Qt

        self.session = session
        explore = session.window.explore
        self.view, self.slider = explore.view, explore.sliders.slider(dim)
        if self.slider is None:
            raise RuntimeError(f"latent dimension {dim} has no slider")
        self.renderer = session.window.renderer
        self.hz, self.amplitude, self.step = hz, amplitude, step
        self.sent: dict[int, float] = {}  # request id -> time of the value change
        self.delivered: dict[int, float] = {}  # request id -> time its result reached the UI (set_image)
        self.render_ms: list[float] = []
        self.painted: dict[int, float] = {}  # request id -> end of the paintEvent that drew it
        self.stale = 0
        self.ticks: list[float] = []
        self.set_value_ms: list[float] = []  # UI-thread time of setValue and everything it triggers
        self.paint_ms: list[float] = []
        self.cpu: dict[str, float] = {}
        self._holding: int | None = None  # the request whose image the view holds now
        self._last_painted = 0
        self._last_submit: int | None = None
        self._paint_type = QEvent.Type.Paint

        drag = self

        class PaintProbe(QObject):
            def eventFilter(self, watched, event) -> bool:
                if watched is drag.view and event.type() == drag._paint_type:
                    start = time.perf_counter()
                    watched.paintEvent(event)  # paint now, so the time below is after the pixels are drawn
                    end = time.perf_counter()
                    drag.paint_ms.append((end - start) * 1000.0)
                    drag._on_painted(end)
                    return True
                return False

        self._probe = PaintProbe()
        self._timer = session._timer_cls()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(max(1, round(1000.0 / hz)))
        self._timer.timeout.connect(self._tick)

    def _submit(self, channel, *args, **kwargs) -> int:
        request_id = self._original_submit(channel, *args, **kwargs)
        if channel == "current":
            self._last_submit = request_id
        return request_id

    def _on_rendered(self, result) -> None:  # connected after the window's own slot: set_image has run
        request = result.request
        if request.channel != "current":
            return
        self._holding = request.request_id if request.request_id in self.sent else None
        if self._holding is not None:
            self.delivered[self._holding] = time.perf_counter()
            self.render_ms.append(result.ms)

    def _on_painted(self, now: float) -> None:
        rid = self._holding
        if rid is None or rid in self.painted:
            return
        self.painted[rid] = now
        if rid < self._last_painted:
            self.stale += 1
        self._last_painted = max(self._last_painted, rid)

    def _tick(self) -> None:
        now = time.perf_counter()
        if now >= self._end:
            self._timer.stop()
            return
        self.ticks.append(now)
        k = len(self.ticks)
        phase = (k * self.step) % (4 * self.amplitude)  # a triangle wave: every tick changes the value
        value = phase - self.amplitude if phase <= 2 * self.amplitude else 3 * self.amplitude - phase
        if value == self.slider.value():
            value += 1
        self._last_submit = None
        t0 = time.perf_counter()
        self.slider.setValue(value)  # emits valueChanged -> ExploreTab -> RenderService.submit, synchronously
        self.set_value_ms.append((time.perf_counter() - t0) * 1000.0)
        if self._last_submit is not None:
            self.sent[self._last_submit] = t0

    def run(self, seconds: float, settle: float = 2.0) -> dict:
        self._original_submit = self.renderer.submit
        self.renderer.submit = self._submit  # instance attribute: the tab's calls go through _submit
        self.renderer.rendered.connect(self._on_rendered)
        self.view.installEventFilter(self._probe)
        try:
            cpu_before = thread_cpu()
            self._end = time.perf_counter() + seconds
            self._timer.start()
            self.session.wait_until(lambda: not self._timer.isActive(), seconds + 30, "end of the drag")
            self.cpu = cpu_share(cpu_before, thread_cpu(), seconds)
            last = max(self.sent) if self.sent else 0
            self.session.wait_until(
                lambda: last in self.painted or time.perf_counter() > self._end + settle, settle + 5, "last frame"
            )
        finally:
            self.view.removeEventFilter(self._probe)
            self.renderer.rendered.disconnect(self._on_rendered)
            del self.renderer.submit
        return self.stats(seconds)

    def stats(self, seconds: float) -> dict:
        latencies = [(self.painted[i] - self.sent[i]) * 1000.0 for i in sorted(self.painted)]
        lags, paints = [], sorted(self.painted.items())  # ids ascending; times ascending unless stale
        j = 0
        for rid in sorted(self.sent):  # the first paint of this request or a newer one
            while j < len(paints) and paints[j][0] < rid:
                j += 1
            if j < len(paints):
                lags.append((paints[j][1] - self.sent[rid]) * 1000.0)
        gaps = [(b - a) * 1000.0 for a, b in itertools.pairwise(self.ticks)]
        last = max(self.sent) if self.sent else None

        def dist(values: list[float]) -> dict:
            if not values:
                return {"p50": float("nan"), "p99": float("nan"), "max": float("nan"), "n": 0}
            return {"p50": percentile(values, 50), "p99": percentile(values, 99), "max": max(values), "n": len(values)}

        return {
            "value_changes": len(self.sent),
            "change_hz": len(self.sent) / seconds,
            "rendered": len(self.delivered),
            "painted": len(self.painted),
            "coalesced_before_render": len(self.sent) - len(self.delivered),
            "replaced_before_paint": len(self.delivered) - len(self.painted),
            "stale_paints": self.stale,
            "last_value_painted": last is not None and last in self.painted,
            "latency_ms": dist(latencies),
            "lag_every_change_ms": dist(lags),
            "render_ms_median": statistics.median(self.render_ms) if self.render_ms else float("nan"),
            "max_tick_gap_ms": max(gaps) if gaps else float("nan"),
            "set_value_ms_median": statistics.median(self.set_value_ms) if self.set_value_ms else float("nan"),
            "paint_ms_median": statistics.median(self.paint_ms) if self.paint_ms else float("nan"),
            "cores_busy": self.cpu,
        }


# -- the benchmark --------------------------------------------------------------------------------------------


def _row(name: str, s: dict, target: str) -> tuple[str, ...]:
    lat, lag = s["latency_ms"], s["lag_every_change_ms"]
    return (
        name,
        f"{s['value_changes']} ({s['change_hz']:.0f} Hz)",
        str(s["painted"]),
        f"{s['coalesced_before_render']}+{s['replaced_before_paint']}",
        str(s["stale_paints"]),
        f"{lat['p50']:.1f}",
        f"{lat['p99']:.1f}",
        f"{lat['max']:.1f}",
        f"{lag['p50']:.1f} / {lag['p99']:.1f}",
        target,
    )


def format_cores(cores: dict[str, float]) -> str:
    order = ("ui", "render", "training", "metrics")
    names = [*(k for k in order if k in cores), *sorted(k for k in cores if k not in order)]
    return ", ".join(f"{k} {cores[k]:.2f}" for k in names)


def _cost_row(name: str, s: dict) -> tuple[str, ...]:
    return (
        name,
        f"{s['set_value_ms_median']:.2f}",
        f"{s['render_ms_median']:.2f}",
        f"{s['paint_ms_median']:.2f}",
        f"{s['max_tick_gap_ms']:.0f}",
        format_cores(s["cores_busy"]),
    )


def run(args: argparse.Namespace, tmp: Path) -> dict:
    session = GuiSession(args.model, tmp / "config")
    try:
        idle = SliderDrag(session, args.dim, args.hz).run(args.seconds)
        session.wait(0.5)
        results: dict = {
            "model": args.model,
            "seconds": args.seconds,
            "hz": args.hz,
            "platform": os.environ["QT_QPA_PLATFORM"],
            "idle": idle,
            "peak_rss_mb_exploring": proc_status_mb("VmHWM"),
            "torch_imported_exploring": "torch" in sys.modules,
        }
        if args.no_training:
            return results
        session.start_training(tmp / "run", parse_form_values(args.set))
        session.wait(args.warmup)
        steps = StepRate(session)
        before, before_cpu = measure_rate(session, steps, args.seconds)
        t0 = time.perf_counter()
        busy = SliderDrag(session, args.dim, args.hz).run(args.seconds, settle=1.0)
        during = steps.rate(t0, t0 + args.seconds)
        after, after_cpu = measure_rate(session, steps, args.seconds)
        steps.stop()
        import torch  # the training thread imported it

        idle_rate = statistics.fmean([before, after])
        results.update(
            training=busy,
            training_idle_cores_busy=before_cpu,
            training_idle_after_cores_busy=after_cpu,
            training_steps_per_second={
                "idle_before": before,
                "during_drag": during,
                "idle_after": after,
                "drop": 1.0 - during / idle_rate,
                "torch_threads": torch.get_num_threads(),
                "form_values": parse_form_values(args.set),
            },
        )
        return results
    finally:
        session.close()


def report(results: dict) -> None:
    name, hz, seconds = Path(results["model"]).name, results["hz"], results["seconds"]
    rows = [_row("window idle", results["idle"], "p50 < 8, p99 < 16")]
    costs = [_cost_row("window idle", results["idle"])]
    if "training" in results:
        rows.append(_row("training running", results["training"], "p99 < 33"))
        costs.append(_cost_row("training running", results["training"]))
        costs.append(("training, idle before", "", "", "", "", format_cores(results["training_idle_cores_busy"])))
        costs.append(("training, idle after", "", "", "", "", format_cores(results["training_idle_after_cores_busy"])))
    print_table(
        f"Slider to pixels: {name}, one slider dragged at {hz:.0f} Hz for {seconds:.0f} s "
        f"({results['platform']} platform); ms from valueChanged to the end of the paint of that request",
        rows,
        ("condition", "value changes", "painted", "coalesced", "stale", "p50", "p99", "max", "lag p50 / p99", "target"),
    )
    print(
        "coalesced = replaced before rendering + rendered but replaced before a paint (latest wins); stale = "
        "painted after a newer frame;\nlag = from every value change until it or a newer value is painted"
    )
    print_table(
        "Where the time goes during the drag (medians per frame; cores busy = CPU seconds per second)",
        costs,
        ("condition", "setValue ms", "render ms", "paint ms", "max tick gap ms", "cores busy per thread"),
    )
    idle = results["idle"]["latency_ms"]
    verdicts = [("idle: p50 < 8 ms and p99 < 16 ms", idle["p50"] < 8 and idle["p99"] < 16)]
    if "training" in results:
        verdicts.append(("training: p99 < 33 ms", results["training"]["latency_ms"]["p99"] < 33))
    drags = [results[k] for k in ("idle", "training") if k in results]
    verdicts.append(
        (
            "latest wins: no stale frame painted, every drag ends on its last value",
            all(d["stale_paints"] == 0 and d["last_value_painted"] for d in drags),
        )
    )
    print(
        f"\npeak RSS after exploring (VmHWM): {results['peak_rss_mb_exploring']:.0f} MB"
        f"{' (torch was imported!)' if results['torch_imported_exploring'] else ''}"
    )
    rate = results.get("training_steps_per_second")
    if rate is not None:
        print_table(
            "Training throughput (generator steps/s of the Train tab's run, default recipe)",
            [
                (
                    f"{rate['idle_before']:.2f}",
                    f"{rate['during_drag']:.2f}",
                    f"{rate['idle_after']:.2f}",
                    f"{100 * rate['drop']:.1f} %",
                    str(rate["torch_threads"]),
                    "drop <= 25 %",
                )
            ],
            ("window idle (before)", "during drag", "window idle (after)", "drop", "torch threads", "target"),
        )
        verdicts.append(("training throughput drop <= 25 %", rate["drop"] <= 0.25))
        note = metrics_note(
            results["training_idle_cores_busy"],
            results["training"]["cores_busy"],
            results["training_idle_after_cores_busy"],
        )
        if note:
            print(note)
    print("\n" + "\n".join(f"{'PASS' if ok else 'MISS'}  {what}" for what, ok in verdicts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=str(SHIPPED_MNIST), help="the generator to explore (.onnx)")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each drag (and throughput window)")
    parser.add_argument("--hz", type=float, default=120.0, help="slider value changes per second")
    parser.add_argument("--dim", type=int, default=0, help="the latent dimension whose slider is dragged")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds of training before measuring")
    parser.add_argument("--no-training", action="store_true", help="only the idle-window pass")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a Train form field for the background run, e.g. threads=1 or metrics_every=0 "
        "(repeatable; default: the form's defaults)",
    )
    parser.add_argument("--data-dir", help="MNIST folder for the training run (sets GANSTUDIO_DATA)")
    parser.add_argument("--platform", default="offscreen", help="QT_QPA_PLATFORM unless already set")
    parser.add_argument(
        "--name", default="slider_latency", help="results file name (benchmarks/results/latest/NAME.json)"
    )
    args = parser.parse_args()
    if not Path(args.model).is_file():
        sys.exit(f"no model at {args.model}: pass --model path/to/generator.onnx")

    tmp = prepare_environment(args.platform, args.data_dir)
    try:
        results = run(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report(results)
    write_results(args.name, results)


if __name__ == "__main__":
    main()
