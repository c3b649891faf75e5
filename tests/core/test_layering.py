"""core never imports Qt or the GUI (DESIGN §1): every core module imports with PySide6 and pyqtgraph blocked."""

from __future__ import annotations

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
