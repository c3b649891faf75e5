"""GUI test setup: offscreen Qt, settings in a temp INI, tiny exported models, and a QThread leak check.

- QT_QPA_PLATFORM=offscreen is set before Qt is imported, so the tests run without a display.
- Import order as in the app: onnxruntime, then PySide6, then pyqtgraph.
- Every test gets its own QSettings location (IniFormat and NativeFormat, user and system scope) and an
  empty GANSTUDIO_MODELS folder, so no test reads or writes the user's settings or depends on shipped models.
- Like napari's conftest: QThread.start is wrapped to remember every thread a test starts, and a teardown
  hook (running after all fixtures and pytest-qt's widget cleanup) fails the test if one is still running.
"""

from __future__ import annotations

import os
import traceback
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import onnxruntime  # noqa: F401  (before PySide6, as in the app)
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QSettings, QThread

pg.setConfigOptions(imageAxisOrder="row-major")

# -- QThread leak check ----------------------------------------------------------------------------------

_started_threads: dict[QThread, str] = {}  # strong refs: a leaked running thread must not be destroyed
_original_start = QThread.start


def _tracking_start(self: QThread, *args, **kwargs):
    frames = [f for f in traceback.extract_stack()[:-1] if "site-packages" not in f.filename]
    _started_threads[self] = "".join(traceback.format_list(frames[-4:]))
    return _original_start(self, *args, **kwargs)


QThread.start = _tracking_start


def _is_running(thread: QThread) -> bool:
    try:
        return thread.isRunning()
    except RuntimeError:  # the C++ object is gone, so the thread is too
        return False


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    result = yield  # fixtures torn down, pytest-qt has closed the widgets it was given
    leaked = [(thread, where) for thread, where in _started_threads.items() if _is_running(thread)]
    for thread, _ in leaked:  # stop them politely so later tests start clean (never terminate())
        try:
            if hasattr(thread, "requestInterruption"):
                thread.requestInterruption()
            thread.quit()
            thread.wait(5000)
        except RuntimeError:
            pass
    _started_threads.clear()
    if leaked:
        names = ", ".join(repr(t.objectName() or type(t).__name__) for t, _ in leaked)
        raise AssertionError(
            f"{item.nodeid} left {len(leaked)} QThread(s) running: {names}\nstarted at:\n{leaked[0][1]}"
        )
    return result


# -- isolation --------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _collect_garbage_on_the_ui_thread(qapp):
    """As in the app (gui/main_thread_gc.py): cyclic garbage, such as a closed widget of an earlier test, is
    collected on the UI thread only, never by a training thread that happens to allocate."""
    import gc

    from ganstudio.gui.main_thread_gc import MainThreadGarbageCollector

    if not any(isinstance(child, MainThreadGarbageCollector) for child in qapp.children()):
        MainThreadGarbageCollector(qapp)
    yield
    gc.collect()


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "settings"
    folder.mkdir()
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    for fmt in (QSettings.Format.IniFormat, QSettings.Format.NativeFormat):
        for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
            QSettings.setPath(fmt, scope, str(folder))
    monkeypatch.setenv("GANSTUDIO_MODELS", str(tmp_path / "no-shipped-models"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # direction sets are cached per model there
    return folder


# -- tiny models --------------------------------------------------------------------------------------------


def _export(folder: Path, name: str, **model_kwargs) -> Path:
    import torch

    from ganstudio.core.config import ModelConfig
    from ganstudio.core.export import export_onnx
    from ganstudio.core.networks import build_generator, init_weights

    torch.manual_seed(0)
    cfg = ModelConfig(arch="mlp", latent_dim=8, g_width=8, d_width=8, **model_kwargs)
    generator = build_generator(cfg)
    init_weights(generator)
    # N(0, 0.02) weights give nearly flat grey images; larger first-layer weights make z visibly matter.
    with torch.no_grad():
        for p in generator.parameters():
            if p.dim() == 2:
                p.mul_(10.0)
    return export_onnx(generator, cfg, None, folder / name)


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding tiny.onnx (mlp, latent 8) and cond.onnx (3 classes), exported once per session."""
    folder = tmp_path_factory.mktemp("models")
    _export(folder, "tiny.onnx")
    _export(folder, "cond.onnx", num_classes=3, class_names=("zero", "one", "two"))
    return folder


@pytest.fixture(scope="session")
def tiny_onnx(model_dir: Path) -> Path:
    return model_dir / "tiny.onnx"


@pytest.fixture(scope="session")
def cond_onnx(model_dir: Path) -> Path:
    return model_dir / "cond.onnx"


@pytest.fixture
def make_window(qtbot):
    """make_window(model_path=None) -> a shown MainWindow with the model loaded; closed after the test."""
    from ganstudio.gui.main_window import MainWindow

    windows = []

    def make(model_path: str | Path | None = None):
        window = MainWindow()
        qtbot.addWidget(window)
        window.show()
        windows.append(window)
        if model_path is not None:
            window.open_path(model_path)
            qtbot.waitUntil(lambda: window.backend() is not None, timeout=15000)
            explore = window.explore
            qtbot.waitUntil(lambda: explore.current_picture() is not None and explore.grid.count() == 64, timeout=15000)
        return window

    yield make
    for window in windows:
        window.close()


@pytest.fixture
def errors(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Patch QMessageBox.critical (so nothing blocks) and collect (title, text) of every error shown."""
    from PySide6.QtWidgets import QMessageBox

    shown: list[tuple[str, str]] = []

    def fake_critical(parent, title, text, *args, **kwargs):
        shown.append((title, text))
        return QMessageBox.StandardButton.Ok

    monkeypatch.setattr(QMessageBox, "critical", staticmethod(fake_critical))
    return shown


@pytest.fixture(scope="session")
def image_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """64 small grayscale PNGs of bright squares on black: a folder dataset a tiny run trains on in seconds."""
    from tests.gui.train_helpers import write_square_images

    return write_square_images(tmp_path_factory.mktemp("images"))
