"""Import contracts (DESIGN §1): core never imports Qt; runtime imports neither torch nor Qt; the GUI explores an
.onnx model without torch. Each check runs in a fresh interpreter so earlier imports cannot hide a violation."""

from __future__ import annotations

import os
import subprocess
import sys

CHECK = r"""
import importlib, importlib.abc, pkgutil, sys

class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("PySide6", "pyqtgraph", "shiboken6") or name.startswith("ganstudio.gui"):
            raise ImportError(f"core must not import {name}")
        return None

sys.meta_path.insert(0, Block())
import ganstudio.core
names = [m.name for m in pkgutil.walk_packages(ganstudio.core.__path__, "ganstudio.core.")]
for name in names:
    importlib.import_module(name)
import ganstudio.cli.main, ganstudio.cli.train_commands, ganstudio.cli.model_commands
print(len(names))
"""


def test_every_core_module_imports_without_qt():
    result = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip()) >= 15


RUNTIME_CHECK = r"""
import importlib, importlib.abc, pkgutil, sys

class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        top = name.split(".")[0]
        if top in ("torch", "PySide6", "pyqtgraph", "shiboken6") or name.startswith("ganstudio.gui"):
            raise ImportError(f"runtime must not import {name}")
        return None

sys.meta_path.insert(0, Block())
import ganstudio.runtime
names = [m.name for m in pkgutil.walk_packages(ganstudio.runtime.__path__, "ganstudio.runtime.")]
for name in names:
    importlib.import_module(name)
print(len(names))
"""


def test_every_runtime_module_imports_without_torch_or_qt():
    result = subprocess.run([sys.executable, "-c", RUNTIME_CHECK], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip()) >= 8


GUI_CHECK = r"""
import os, sys
from pathlib import Path
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from ganstudio.gui.app import create_application
from ganstudio.paths import shipped_model_path

app = create_application([])
from ganstudio.gui.main_window import MainWindow

window = MainWindow()
window.show()
rendered = []
window.renderer.rendered.connect(lambda r: rendered.append(r) if r.request.channel == "current" else None)
window.open_path(shipped_model_path("mnist"))
deadline = __import__("time").monotonic() + 60
while not rendered and __import__("time").monotonic() < deadline:
    app.processEvents()
assert rendered and rendered[-1].error is None, "no sample was rendered"
window.shutdown()
print("torch" in sys.modules)
"""


def test_exploring_the_shipped_onnx_model_never_imports_torch(tmp_path):
    from ganstudio.paths import shipped_model_path

    if not shipped_model_path("mnist").is_file():
        import pytest

        pytest.skip("the shipped mnist.onnx is not in this checkout")
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path), "HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", GUI_CHECK], capture_output=True, text=True, timeout=180, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False", "opening the app and rendering a sample imported torch"
