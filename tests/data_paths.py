"""Where tests find the real MNIST files: $GANSTUDIO_TEST_MNIST, else the shared folder beside the checkout."""

from __future__ import annotations

import os
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent
# A checkout of this repository sits next to a `shared/` folder that holds the datasets, and a git worktree of
# it one level further down (`<worktrees>/<name>/`), so look up to two levels above the checkout.
_SHARED_RELATIVE = Path("shared") / "datasets" / "mnist"
_MARKER = "t10k-images-idx3-ubyte.gz"


def shared_mnist() -> Path:
    override = os.environ.get("GANSTUDIO_TEST_MNIST")
    candidates = [Path(override)] if override else []
    candidates += [_ROOT.parent / _SHARED_RELATIVE, _ROOT.parent.parent / _SHARED_RELATIVE]
    for candidate in candidates:
        if (candidate / _MARKER).exists():
            return candidate
    return candidates[0]
