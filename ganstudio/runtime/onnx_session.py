"""onnxruntime sessions for the small helper networks (the shipped classifiers, projection encoders): CPU,
sequential, small thread pools that sleep when idle so a concurrent training run keeps its cores. The
generator's own session (runtime.backends) is tuned for interactive batch-1 use instead."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def session_options(threads: int) -> Any:  # -> onnxruntime.SessionOptions
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = max(0, threads)
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    options.log_severity_level = 3
    return options


def open_session(path: Path, threads: int = 1) -> Any:  # -> onnxruntime.InferenceSession
    """Raises onnxruntime's own exceptions for a file it cannot load; callers turn them into typed errors."""
    import onnxruntime as ort

    return ort.InferenceSession(str(path), session_options(threads), providers=["CPUExecutionProvider"])
