"""Where GAN Studio's files live and what they are called: one place for both front ends and every layer.

Torch-free and Qt-free, so the runtime layer, the CLI and the GUI can all import it without cost.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import platformdirs

# Inside a run folder.
CHECKPOINT_NAME = "checkpoint.safetensors"  # the source of truth: weights, optimizer, RNG, history
RUN_SUMMARY_NAME = "run.json"  # a human-readable summary written beside the checkpoint
ONNX_NAME = "generator.onnx"  # the exported generator
SAMPLES_DIR_NAME = "samples"  # sample grids saved during training


def temp_file_name(name: str, *ids: int) -> str:
    """The hidden temp file an atomic write of `name` goes through: `.name.<pid>[.<thread>].tmp`."""
    return ".".join(["", name, *map(str, ids), "tmp"])


def is_temp_file_of(candidate: str, name: str) -> bool:
    """Whether `candidate` is a temp file temp_file_name(name, ...) makes (what a kill during a save leaves)."""
    return re.fullmatch(rf"\.{re.escape(name)}(\.\d+){{1,2}}\.tmp", candidate) is not None


MODEL_SUFFIXES = (".onnx", ".safetensors")  # what File > Open accepts besides a run folder
DEFAULT_MODEL_STEM = "mnist"  # the shipped generator opened on first launch

MODELS_ENV_VAR = "GANSTUDIO_MODELS"  # overrides the shipped models folder
_APP_NAME = "ganstudio"

_PACKAGE_DIR = Path(__file__).resolve().parent


def models_dir() -> Path:
    """The shipped models: $GANSTUDIO_MODELS, else the copy inside an installed wheel, else the checkout's `models/`."""
    override = os.environ.get(MODELS_ENV_VAR, "").strip()
    if override:
        return Path(override).expanduser()
    installed = _PACKAGE_DIR / "models"
    if installed.is_dir():
        return installed
    return _PACKAGE_DIR.parent / "models"


def resources_dir() -> Path:
    """Icons and other files the GUI shows: inside an installed wheel, else the checkout's `resources/`."""
    installed = _PACKAGE_DIR / "resources"
    if installed.is_dir():
        return installed
    return _PACKAGE_DIR.parent / "resources"


def shipped_model_path(name: str) -> Path:
    """The .onnx file of a shipped generator, by name ("mnist") or file name ("mnist.onnx")."""
    return models_dir() / (name if name.endswith(".onnx") else f"{name}.onnx")


def runs_root() -> Path:
    """Where run folders go unless the user names one (the per-user data folder)."""
    # appauthor=False: on Windows the default would nest "ganstudio\ganstudio".
    return Path(platformdirs.user_data_dir(_APP_NAME, appauthor=False)) / "runs"


def user_cache_root() -> Path:
    return Path(platformdirs.user_cache_dir(_APP_NAME, appauthor=False))


def run_name(dataset: str, arch: str, when: float | None = None) -> str:
    """A readable run folder name: `20261201-091500-mnist-mlp` (time, dataset or folder name, architecture)."""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", Path(dataset).name or dataset).strip("-") or "data"
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(when))
    return f"{stamp}-{stem}-{arch}"


def new_run_dir(dataset: str, arch: str, root: Path | None = None) -> Path:
    """Create and return a fresh, empty run folder under `root` (default `runs_root()`).

    Names have one-second resolution, so two runs started in the same second would share one; the folder is
    created exclusively and a `-2`, `-3`, ... suffix taken when the name is already used.
    """
    parent = Path(root) if root is not None else runs_root()
    parent.mkdir(parents=True, exist_ok=True)
    base = run_name(dataset, arch)
    for attempt in range(1, 1000):
        candidate = parent / (base if attempt == 1 else f"{base}-{attempt}")
        try:
            candidate.mkdir()
        except FileExistsError:
            continue
        return candidate
    raise FileExistsError(f"{parent}: could not create a new run folder named {base}-N")
