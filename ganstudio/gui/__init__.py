"""The desktop app (PySide6 + pyqtgraph) on top of ganstudio.core.

Importing this package imports nothing heavy; `run_app` loads Qt (after onnxruntime, see app.py).
"""

from __future__ import annotations


def run_app(argv: list[str], model_path: str | None = None) -> int:
    from ganstudio.gui.app import run_app as _run_app

    return _run_app(argv, model_path)


__all__ = ["run_app"]
