"""Screenshots of the real app for the docs: docs/explore.png, directions.png, plane.png, interpolate.png,
project.png, map.png, train.png and
playground-compare.png.

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python docs/screenshots.py [--data-dir DIR]

Without a display (DISPLAY unset) the script runs itself again under xvfb-run. It starts the app the way
`ganstudio.gui.app.run_app` does (create_application, MainWindow, the shipped model), at 1440 x 900, with its
settings in a temporary folder so neither the user's settings nor earlier runs change the pictures:

1. Explore, its Directions panel (ink moved +2), the Plane tab (slant across, PC1 up), Interpolate, Project (a
   digit drawn on the canvas with mouse strokes) and Map (with the hover preview and the Interpolate keyframes
   on it) with the shipped `models/mnist.onnx` (or `--model`);
2. Train (unless --skip-train): a real run on MNIST with the default recipe, captured after about
   `--train-seconds` of training once the loss plots, samples and the first live quality metrics are on screen;
   the run is then stopped.

3. Playground: the preset that compares a collapsing GAN with its cure, side by side, after the preset's number
   of G steps (`--only playground` takes this one alone).

When no shipped model exists, the generator exported by that short run is used for steps 1 (taken after 2).
MNIST is looked up as the app does; `--data-dir` (or GANSTUDIO_DATA) names a folder holding it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SIZE = "1440x900"
XVFB_MARK = "GANSTUDIO_SCREENSHOTS_XVFB"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--data-dir",
        default=os.environ.get("GANSTUDIO_DATA", ""),
        help="folder holding MNIST (default: $GANSTUDIO_DATA, else the app's usual search)",
    )
    parser.add_argument("--model", default="", help="model for Explore/Interpolate (default: the shipped one)")
    parser.add_argument("--out", default=str(ROOT / "docs"), help="where the PNGs go (default: docs/)")
    parser.add_argument(
        "--size", default="1440x900", help="window size WxH; other than 1440x900, file names get a -WxH suffix"
    )
    parser.add_argument("--skip-train", action="store_true", help="only the exploring tabs (no training run)")
    parser.add_argument("--train-seconds", type=float, default=25.0, help="training time before train.png")
    parser.add_argument(
        "--metrics-every",
        type=int,
        default=50,
        help="steps between live quality measurements (the app's default is 200; each is also at least 15 s apart)",
    )
    parser.add_argument(
        "--only", choices=("all", "playground"), default="all", help="take every screenshot, or the Playground's"
    )
    return parser.parse_args(argv)


def reexec_under_xvfb() -> None:
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or os.environ.get(XVFB_MARK):
        return
    xvfb = shutil.which("xvfb-run")
    if xvfb is None:
        sys.exit("no DISPLAY and no xvfb-run: install xvfb or run inside a desktop session")
    os.environ[XVFB_MARK] = "1"
    os.execv(xvfb, [xvfb, "-a", "-s", "-screen 0 1600x1000x24", sys.executable, *sys.argv])


class Shooter:
    """Drives the real main window through each state and saves what it shows."""

    def __init__(self, args: argparse.Namespace, scratch: Path) -> None:
        from ganstudio.gui.main_window import MainWindow

        self.args, self.scratch = args, scratch
        self.out = Path(args.out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.suffix = "" if args.size == DEFAULT_SIZE else f"-{args.size}"
        width, height = (int(v) for v in args.size.lower().split("x"))
        self.window = MainWindow()
        self.window.resize(width, height)
        self.window.show()

    def pump(self, seconds: float) -> None:
        from PySide6.QtCore import QEventLoop, QTimer

        loop = QEventLoop()
        QTimer.singleShot(int(seconds * 1000), loop.quit)
        loop.exec()

    def wait_until(self, condition: Callable[[], bool], timeout: float, what: str) -> bool:
        end = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > end:
                print(f"  (gave up waiting for {what} after {timeout:.0f} s)", flush=True)
                return False
            self.pump(0.1)
        return True

    def grab(self, name: str) -> None:
        self.pump(0.8)  # let timers redraw the plots and the window repaint
        path = self.out / f"{name}{self.suffix}.png"
        if not self.window.grab().save(str(path)):
            raise SystemExit(f"could not write {path}")
        print(f"wrote {path} ({self.window.width()} x {self.window.height()})", flush=True)

    def explore_and_interpolate(self, path: Path) -> None:
        window = self.window
        window.tabs.setCurrentWidget(window.explore)
        window.open_path(path)
        explore = window.explore

        def ready() -> bool:
            return window.backend() is not None and explore.grid.count() == 64 and explore.current_picture() is not None

        self.wait_until(ready, 60, "the model")
        explore.select_cell(9)
        self.grab("explore")
        self.directions_and_plane()
        window.tabs.setCurrentWidget(window.explore)
        explore.latent_tabs.setCurrentIndex(0)
        tab = window.interpolate
        for index, role in ((9, "A"), (22, "B"), (41, "add")):
            explore.select_cell(index)
            tab.use_current(role)
        window.tabs.setCurrentWidget(tab)
        self.wait_until(lambda: tab.frame_count() > 0, 30, "the interpolation strip")
        self.pump(1.0)
        tab.show_frame(tab.frame_count() // 3)
        self.grab("interpolate")

    def directions_and_plane(self) -> None:
        window, explore = self.window, self.window.explore
        panel = explore.directions_panel
        explore.latent_tabs.setCurrentWidget(panel)
        self.wait_until(lambda: panel.slider("ink") is not None, 180, "the directions")
        explore.select_cell(9)
        explore.state.directions.set_offset("ink", 2.0)
        self.wait_until(lambda: (strip := panel.strip("ink")) is not None and strip.count() == 7, 30, "the strips")
        self.pump(0.3)
        panel.scroll_to("height")  # the attributes, with ink moved
        self.grab("directions")
        plane = window.plane
        window.tabs.setCurrentWidget(plane)
        plane.set_axes("slant", "PC1")
        self.wait_until(lambda: plane.grid.count() == 81 and bool(plane.grid.overlay()), 30, "the plane")
        self.grab("plane")
        explore.state.directions.clear()

    def project_and_map(self) -> None:
        """Draw a 2 on the Project canvas, let it project into Explore, then show the Map tab with a hover."""
        from PySide6.QtCore import QEvent, QPointF, Qt
        from PySide6.QtGui import QMouseEvent
        from PySide6.QtWidgets import QApplication

        window = self.window
        tab = window.project
        window.tabs.setCurrentWidget(tab)
        self.pump(0.3)
        canvas = tab.canvas
        side = min(canvas.width(), canvas.height())
        ox, oy = (canvas.width() - side) / 2, (canvas.height() - side) / 2
        stroke = [(0.3, 0.3), (0.4, 0.2), (0.55, 0.18), (0.68, 0.25), (0.7, 0.38), (0.62, 0.5), (0.5, 0.62),
                  (0.38, 0.74), (0.3, 0.82), (0.45, 0.8), (0.6, 0.79), (0.74, 0.8)]  # fmt: skip
        points = [QPointF(ox + x * side, oy + y * side) for x, y in stroke]
        left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
        for kind, point, button, buttons in (
            [(QEvent.Type.MouseButtonPress, points[0], left, left)]
            + [(QEvent.Type.MouseMove, p, none, left) for p in points[1:]]
            + [(QEvent.Type.MouseButtonRelease, points[-1], left, none)]
        ):
            event = QMouseEvent(kind, point, point, button, buttons, Qt.KeyboardModifier.NoModifier)
            QApplication.sendEvent(canvas, event)
        self.wait_until(lambda: tab.last is not None, 120, "the projection")
        self.grab("project")
        window.tabs.setCurrentWidget(window.map)
        view = window.map.map_view
        self.wait_until(lambda: view.map is not None, 300, "the latent map")
        self.pump(1.5)  # the markers of the current sample and the keyframes
        latent_map = view.map
        if latent_map is not None:
            point = latent_map.points[int(np.argmax(latent_map.points[:, 0]))]
            view._on_mouse_moved(view.plot.getViewBox().mapViewToScene(QPointF(float(point[0]), float(point[1]))))
        self.wait_until(lambda: window.map.nearest.view.picture() is not None, 60, "the nearest training images")
        self.grab("map")

    def train(self) -> Path | None:
        """A real run with the default recipe, captured mid-run; returns the exported model's path."""
        panel = self.window.train_panel
        if panel is None:
            raise SystemExit("the Train tab is unavailable (is PyTorch installed?)")
        self.window.tabs.setCurrentWidget(panel)
        form = panel.form
        form.set_dataset("mnist")
        form.reset_defaults()
        form.metrics_every_spin.setValue(self.args.metrics_every)
        form.run_dir_edit.setText(str(self.scratch / "run"))
        if not form.is_valid():
            raise SystemExit(f"the training options are not valid: {form.error()}")
        reports: list[object] = []
        panel.live_metrics.report_ready.connect(reports.append)
        panel.start()
        self.wait_until(lambda: panel.current_step() > 0 or not panel.is_running(), 120, "the first training step")
        if not panel.is_running():
            raise SystemExit(f"training did not start: {panel.stage_label.text()} (is MNIST available? --data-dir)")
        started = time.monotonic()
        seconds = self.args.train_seconds
        self.wait_until(lambda: time.monotonic() - started >= seconds, seconds + 5, "training")
        self.wait_until(lambda: bool(reports) and not panel.live_metrics.measuring(), 90, "the first quality report")
        self.grab("train")
        print(f"  step {panel.current_step():,}; {len(reports)} quality report(s)", flush=True)
        panel.stop()
        self.wait_until(lambda: not panel.is_running(), 120, "the run to stop")
        self.grab("train-stopped")
        result = panel.last_result()
        panel.live_metrics.shutdown()
        return Path(result.onnx_path) if result is not None and result.onnx_path else None

    def playground(self) -> None:
        """Compare mode on the collapse-and-cure preset, paused after the preset's G steps."""
        from ganstudio.core.playground.presets import PRESETS

        preset = next(p for p in PRESETS if p.compare is not None)
        page = self.window.playground
        self.window.tabs.setCurrentWidget(page)
        self.pump(0.5)
        tab = page.tab
        assert tab is not None
        tab.load_preset(preset.name)
        self.wait_until(tab.ready, 120, "the Playground")
        tab.play_button.click()
        started = time.monotonic()
        self.wait_until(lambda: tab.newest_step >= preset.steps, 3600, f"{preset.steps} G steps")
        tab.play_button.click()
        self.wait_until(tab.settled, 60, "the coverage")
        print(f"  {preset.name}: {tab.newest_step:,} G steps in {time.monotonic() - started:.0f} s", flush=True)
        self.grab("playground-compare")
        tab.shutdown()


def main(argv: list[str]) -> int:
    args = parse_args(argv[1:])
    reexec_under_xvfb()
    if args.data_dir:
        os.environ["GANSTUDIO_DATA"] = str(Path(args.data_dir).expanduser().resolve())
    scratch = Path(tempfile.mkdtemp(prefix="ganstudio-screenshots-"))
    os.environ["XDG_CACHE_HOME"] = str(scratch / "cache")  # direction sets computed afresh, the user's cache untouched

    import onnxruntime  # noqa: F401  (before PySide6, as the app does)
    from PySide6.QtCore import QSettings

    from ganstudio.gui.app import create_application

    app = create_application(argv[:1])
    for fmt in (QSettings.Format.IniFormat, QSettings.Format.NativeFormat):  # a fresh, throw-away settings store
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(scratch / "settings"))
    from ganstudio.gui.model_manager import default_model

    shooter = Shooter(args, scratch)
    if args.only == "playground":
        shooter.playground()
        shooter.window.close()
        app.processEvents()
        shutil.rmtree(scratch, ignore_errors=True)
        return 0
    model = Path(args.model) if args.model else default_model()
    print(f"model for Explore/Interpolate: {model or 'none shipped: the short training run exports one'}", flush=True)
    if model is not None:
        shooter.explore_and_interpolate(model)
        shooter.project_and_map()
    exported = None if args.skip_train else shooter.train()
    if model is None:
        if exported is None:
            raise SystemExit("no model shipped and no training run exported one: no Explore screenshots")
        shooter.explore_and_interpolate(exported)
        shooter.project_and_map()
    shooter.playground()
    shooter.window.close()
    app.processEvents()
    shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
