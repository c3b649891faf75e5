"""Start the desktop app: `run_app(sys.argv)`.

Import order matters: onnxruntime before PySide6 (DLL search order on Windows, labelme #1564), and PySide6
before pyqtgraph (so pyqtgraph binds to PySide6 and not another Qt binding that happens to be installed).
torch is never imported here: exploring an .onnx model must start in well under two seconds.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import onnxruntime  # noqa: F401  (must precede PySide6; see the module docstring)
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication

import pyqtgraph as pg  # noqa: E402  (after PySide6 on purpose)

import ganstudio
from ganstudio.gui.settings import APPLICATION, ORGANIZATION

ICON_PATH = Path(ganstudio.__file__).resolve().parent.parent / "resources" / "icons" / "ganstudio.svg"


def configure_pyqtgraph() -> None:
    # Row-major: (H, W) arrays display as images are normally stored; plots follow the palette elsewhere.
    pg.setConfigOptions(imageAxisOrder="row-major", antialias=True)


def create_application(argv: list[str]) -> QApplication:
    """The QApplication with names, high-DPI policy and icon set (reuses an existing instance)."""
    app = QApplication.instance()
    if app is None:
        # Before the QApplication exists: fractional scale factors (150 %) stay exact instead of rounding.
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
        app = QApplication(argv)
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    # One INI store on every platform: Settings and widgets that call QSettings() then share the same file.
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    app.setApplicationDisplayName("GAN Studio")
    app.setApplicationVersion(ganstudio.__version__)
    if ICON_PATH.is_file():
        app.setWindowIcon(QIcon(str(ICON_PATH)))
    configure_pyqtgraph()
    return app


def run_app(argv: list[str], model_path: str | None = None) -> int:
    """Show the main window with `model_path` (or the shipped MNIST model) and run the event loop."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    app = create_application(argv)
    from ganstudio.gui.main_window import MainWindow  # after the QApplication: widgets need it

    window = MainWindow()
    window.show()
    if model_path:
        QTimer.singleShot(0, lambda: window.open_path(model_path))
    else:
        QTimer.singleShot(0, window.open_default_model)
    code = app.exec()
    window.shutdown()  # idempotent; covers quitting through the session manager without a closeEvent
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run_app(sys.argv, sys.argv[1] if len(sys.argv) > 1 else None))
