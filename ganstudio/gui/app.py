"""Start the desktop app: `run_app(sys.argv)`.

Import order matters: onnxruntime before PySide6 (DLL search order on Windows, labelme #1564), and PySide6
before pyqtgraph (so pyqtgraph binds to PySide6 and not another Qt binding that happens to be installed).
torch is never imported here: exploring an .onnx model must start in well under two seconds.

Benchmarks: with GANSTUDIO_STARTUP_REPORT=<file.json> set, the app writes its startup timings to that file
once the first generated sample has been painted, then quits (see `_StartupReport`; dormant otherwise).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import onnxruntime  # noqa: F401  (must precede PySide6; see the module docstring)
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QSettings, Qt, QTimer
from PySide6.QtGui import QGuiApplication, QIcon, QPaintEvent
from PySide6.QtWidgets import QApplication

import ganstudio
from ganstudio.gui.main_thread_gc import MainThreadGarbageCollector
from ganstudio.gui.settings import APPLICATION, ORGANIZATION
from ganstudio.paths import resources_dir

if TYPE_CHECKING:  # the window and its widgets are imported after the QApplication exists
    from ganstudio.gui.main_window import MainWindow
    from ganstudio.gui.render_worker import RenderResult

ICON_NAME = "icons/ganstudio.svg"  # inside paths.resources_dir()
STARTUP_REPORT_ENV = "GANSTUDIO_STARTUP_REPORT"
_T_QT_IMPORTED = time.perf_counter()  # onnxruntime, Qt and pyqtgraph are in; only the startup report reads it


def configure_pyqtgraph() -> None:
    # Row-major: (H, W) arrays display as images are normally stored; plots follow the palette elsewhere.
    pg.setConfigOptions(imageAxisOrder="row-major", antialias=True)


def create_application(argv: list[str]) -> QApplication:
    """The QApplication with names, high-DPI policy and icon set (reuses an existing instance)."""
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        app = existing
    else:
        # Before the QApplication exists: fractional scale factors (150 %) stay exact instead of rounding.
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
        app = QApplication(argv)
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    # One INI store on every platform: Settings and widgets that call QSettings() then share the same file.
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    app.setApplicationDisplayName("GAN Studio")
    app.setApplicationVersion(ganstudio.__version__)
    icon = resources_dir() / ICON_NAME
    if icon.is_file():
        app.setWindowIcon(QIcon(str(icon)))
    configure_pyqtgraph()
    if not any(isinstance(child, MainThreadGarbageCollector) for child in app.children()):
        MainThreadGarbageCollector(app)  # Qt objects must never be collected on a training thread
    return app


def run_app(argv: list[str], model_path: str | None = None) -> int:
    """Show the main window with `model_path` (or the shipped MNIST model) and run the event loop."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    app = create_application(argv)
    from ganstudio.gui.main_window import MainWindow  # after the QApplication: widgets need it

    imported = time.perf_counter()
    window = MainWindow()
    window.show()
    report_path = os.environ.get(STARTUP_REPORT_ENV)
    if report_path:
        _StartupReport(window, report_path, imported)  # a child of the window; dormant unless asked for
    if model_path:
        QTimer.singleShot(0, lambda: window.open_path(model_path))
    else:
        QTimer.singleShot(0, window.open_startup_model)
    from ganstudio.gui.quit_signals import QuitOnSignals

    def quit_on_signal(code: int) -> None:  # as File > Quit, without asking: whoever sent it wants the app gone
        window.shutdown()
        app.exit(code)

    signals = QuitOnSignals(quit_on_signal, app)
    code = app.exec()
    window.shutdown()  # idempotent; covers quitting through the session manager without a closeEvent
    signals.uninstall()
    return code


def process_age() -> float | None:
    """Seconds since this process started: /proc/self/stat `starttime` (clock ticks after boot) against
    CLOCK_BOOTTIME, the clock it is counted on. 10 ms resolution; None where there is no /proc (not Linux)."""
    try:
        with open("/proc/self/stat", encoding="ascii") as handle:
            start_ticks = int(handle.read().rsplit(")", 1)[1].split()[19])  # field 22; `comm` may hold spaces
        return time.clock_gettime(time.CLOCK_BOOTTIME) - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def _proc_status_mb(key: str) -> float | None:
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            line = next(x for x in handle if x.startswith(key + ":"))
        return int(line.split()[1]) / 1024.0  # kB
    except (OSError, StopIteration, ValueError, IndexError):
        return None


class _StartupReport(QObject):
    """Benchmark hook (GANSTUDIO_STARTUP_REPORT): times from process start to the first painted sample.

    Times are seconds since the process started (`process_age`; off Linux, since Qt was imported).
    `monotonic` holds the same moments on time.monotonic(), so a parent process can time from its own spawn.
    """

    def __init__(self, window: MainWindow, path: str, imported: float) -> None:
        super().__init__(window)
        self._path, self._window = path, window
        self._marks = {"t_qt_imported": _T_QT_IMPORTED, "t_imports": imported, "t_window": time.perf_counter()}
        window.models.opened.connect(lambda *_: self._mark("t_model_loaded"))
        window.renderer.rendered.connect(self._on_rendered)
        window.explore.view.installEventFilter(self)

    def _on_rendered(self, result: RenderResult) -> None:
        if result.request.channel == "current":
            self._mark("t_first_render")

    def _mark(self, name: str) -> None:
        self._marks.setdefault(name, time.perf_counter())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        from ganstudio.gui.image_view import ImageView  # loaded with the window already

        if not isinstance(watched, ImageView) or not isinstance(event, QPaintEvent):
            return False
        if watched.qimage() is None or "t_first_paint" in self._marks:
            return False
        watched.paintEvent(event)  # paint now, so the time taken is after the sample's pixels are drawn
        self._mark("t_first_paint")
        watched.removeEventFilter(self)
        self._write()
        QTimer.singleShot(0, QApplication.quit)
        return True

    def _write(self) -> None:
        now, mono, age = time.perf_counter(), time.monotonic(), process_age()
        origin = now - age if age is not None else _T_QT_IMPORTED
        report: dict[str, object] = {k: round(v - origin, 4) for k, v in self._marks.items()}
        report.update(
            origin="process start" if age is not None else "Qt imported",
            monotonic={k: mono - (now - v) for k, v in self._marks.items()},
            rss_mb=_proc_status_mb("VmRSS"),
            peak_rss_mb=_proc_status_mb("VmHWM"),
            model=self._window.model_path(),
            pid=os.getpid(),
        )
        Path(self._path).write_text(json.dumps(report, indent=1), encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run_app(sys.argv, sys.argv[1] if len(sys.argv) > 1 else None))
