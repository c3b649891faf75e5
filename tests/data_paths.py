"""Where tests find the real MNIST files: an env override, then the shared folder beside the checkout."""

from __future__ import annotations

import os
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent


def shared_mnist() -> Path:
    candidates = [
        os.environ.get("GANSTUDIO_TEST_MNIST"),
        _ROOT.parent / "shared" / "datasets" / "mnist",
        Path("/work/shared/datasets/mnist"),
    ]
    for candidate in candidates:
        if candidate and (Path(candidate) / "t10k-images-idx3-ubyte.gz").exists():
            return Path(candidate)
    return _ROOT.parent / "shared" / "datasets" / "mnist"
