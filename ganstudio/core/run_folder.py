"""Claiming a run folder before a run starts, for the CLI and the app alike: make it, prove it writable, lock it,
clear what a killed save left, and keep a new run from mixing with an earlier one. Also run.json, the summary.

All of it happens before any data is loaded, so a wrong folder costs nothing. Torch-free and Qt-free.

run.json is a summary for people and scripts; the checkpoint is the only thing read back. Hand edits to run.json
are therefore not honoured: a resume warns that they differ and writes run.json again from the checkpoint.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ganstudio import __version__
from ganstudio.core.checkpoint_header import CheckpointError, read_checkpoint_header
from ganstudio.core.config import ModelConfig, TrainConfig, config_to_json
from ganstudio.core.run_lock import RunFolderLock
from ganstudio.errors import GanStudioError
from ganstudio.paths import CHECKPOINT_NAME, ONNX_NAME, RUN_SUMMARY_NAME, SAMPLES_DIR_NAME, is_temp_file_of

_SUMMARY_STATE_SKIP = ("numpy_rng", "data_cursor")


class RunFolderError(GanStudioError):
    """A run folder cannot be used: not writable, or it holds an earlier run; the message says what to do."""


def claim_run_folder(folder: Path | str, resume: bool, log: Callable[[str], None] = lambda _: None) -> RunFolderLock:
    """Make `folder`, check it can be written, lock it and tidy it; returns the held lock (release it, or use it
    as a context manager, when the run ends). A new run refuses a folder holding an earlier run's files; a resume
    repairs a run.json that lags the checkpoint and warns (through `log`) when it was edited by hand."""
    folder = Path(folder)
    check_writable(folder)
    lock = RunFolderLock(folder).acquire()
    try:
        for stale in remove_stale_temp_files(folder):
            log(f"removed {stale.name}, left by a save that was interrupted")
        if resume:
            for warning in reconcile_run_summary(folder):
                log(warning)
        else:
            refuse_earlier_run(folder)
    except BaseException:
        lock.release()
        raise
    return lock


def check_writable(folder: Path) -> None:
    """Create `folder` (and its parents) and a file in it, then remove that file: a read-only or unwritable place
    is reported now rather than at the first save, after the budget is spent."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".ganstudio-probe-"):
            pass
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise RunFolderError(f"cannot write to the run folder {folder}: {reason}; choose another --out") from exc


def remove_stale_temp_files(folder: Path) -> list[Path]:
    """Remove the temp files of checkpoint and run.json saves that a kill interrupted (only our own names; call
    it only while holding the folder's lock, so no save of this folder is under way)."""
    removed = []
    for path in folder.glob(".*.tmp"):
        if is_temp_file_of(path.name, CHECKPOINT_NAME) or is_temp_file_of(path.name, RUN_SUMMARY_NAME):
            with contextlib.suppress(OSError):
                path.unlink()
                removed.append(path)
    return sorted(removed)


def refuse_earlier_run(folder: Path) -> None:
    """A new run needs a folder without an earlier run's checkpoint, export, summary or samples."""
    if (folder / CHECKPOINT_NAME).exists():
        raise RunFolderError(
            f"{folder} already holds a run; continue it with `ganstudio resume {folder}` or choose another folder"
        )
    samples = folder / SAMPLES_DIR_NAME
    leftovers = [name for name in (ONNX_NAME, RUN_SUMMARY_NAME) if (folder / name).exists()]
    if samples.is_dir() and any(samples.iterdir()):
        leftovers.append(f"{SAMPLES_DIR_NAME}/")
    if leftovers:
        raise RunFolderError(
            f"{folder} holds files of an earlier run ({', '.join(leftovers)}); a new run would mix with them. "
            "Choose another folder or empty this one"
        )


def reconcile_run_summary(folder: Path) -> list[str]:
    """Make run.json agree with the checkpoint again (a kill between the two writes leaves it one save behind);
    returns warnings for the user, e.g. that hand edits to it are not used."""
    try:
        header = read_checkpoint_header(folder)
    except CheckpointError:
        return []  # the resume itself reports what is wrong with the checkpoint
    summary = folder / RUN_SUMMARY_NAME
    try:
        document = json.loads(summary.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        document = None
    expected = summary_document(header.model_config, header.train_config, header.state)
    if document == expected:
        return []
    warnings = []
    if isinstance(document, dict) and any(
        document.get(key) != expected[key] for key in ("model_config", "train_config")
    ):
        warnings.append(
            f"{summary} differs from the checkpoint (edited by hand?); run.json is only a summary and is not read: "
            "the checkpoint's settings are used (change the resumable ones with resume's options) and run.json "
            "is written again"
        )
    write_run_summary(folder, header.model_config, header.train_config, header.state)
    return warnings


def summary_document(
    model_config: ModelConfig, train_config: TrainConfig, state: dict[str, Any], extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "ganstudio_version": __version__,
        "model_config": json.loads(config_to_json(model_config)),
        "train_config": json.loads(config_to_json(train_config)),
        "state": {k: v for k, v in state.items() if k not in _SUMMARY_STATE_SKIP},
        **(extra or {}),
    }


def write_run_summary(
    run_dir: Path,
    model_config: ModelConfig,
    train_config: TrainConfig,
    state: dict[str, Any],
    extra: dict[str, Any] | None = None,
) -> None:
    """A human-readable run.json next to the checkpoint, written atomically (the checkpoint stays the source of
    truth)."""
    from ganstudio.runtime.imaging import atomic_write

    text = json.dumps(summary_document(model_config, train_config, state, extra), indent=2, sort_keys=True)
    atomic_write(Path(run_dir) / RUN_SUMMARY_NAME, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
