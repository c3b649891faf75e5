"""Refusing an output path that would destroy what a command reads or a run's own files.

`ganstudio export RUN --out RUN/checkpoint.safetensors` would replace a run's only checkpoint with an ONNX file.
Every command that writes a file the user names (`--out`, `--json`) asks `check_output_path` first,
before any work, so the mistake costs nothing. Torch-free and Qt-free: the GUI's save dialogs may use it too.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from ganstudio.errors import GanStudioError
from ganstudio.paths import CHECKPOINT_NAME, ONNX_NAME, RUN_SUMMARY_NAME

# A run folder is recognised by its checkpoint or summary; these are the files that make it resumable and openable.
_RUN_FILES = (CHECKPOINT_NAME, RUN_SUMMARY_NAME, ONNX_NAME)


class OutputPathError(GanStudioError):
    """The chosen output file must not be written: it is an input or one of a run's own files."""


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # either does not exist (yet): compare where they would be
        return a.resolve() == b.resolve()


def _run_folder_of(path: Path) -> Path | None:
    folder = path.parent
    return folder if any((folder / name).is_file() for name in (CHECKPOINT_NAME, RUN_SUMMARY_NAME)) else None


def _reads(inputs: Iterable[Path]) -> list[Path]:
    """The files the inputs stand for: a run folder is read through its checkpoint and its export."""
    files: list[Path] = []
    for item in inputs:
        files += [item / name for name in _RUN_FILES] if item.is_dir() else [item]
    return files


def check_output_path(out: Path | str, inputs: Iterable[Path | str] = (), own_export_of: Path | None = None) -> None:
    """Raise OutputPathError when writing `out` would overwrite one of `inputs` (files or run folders) or a run's
    checkpoint, run.json or generator.onnx. `own_export_of`: the run whose generator.onnx this command rebuilds
    (`ganstudio export RUN`), the one case where a run's own file is the right target."""
    out = Path(out)
    if out.is_dir():
        raise OutputPathError(f"{out} is a folder; give the file to write (for example {out / 'out.png'})")
    sources = [Path(p) for p in inputs]
    for source in _reads(sources):
        if _same_file(out, source):
            raise OutputPathError(f"refusing to overwrite {out}: it is the model this command reads; choose another")
    run = _run_folder_of(out)
    if run is None or out.name not in _RUN_FILES:
        return
    rebuilding = out.name == ONNX_NAME and own_export_of is not None and _same_file(_run_root(own_export_of), run)
    if not rebuilding:
        raise OutputPathError(
            f"refusing to overwrite {out}: it is the {out.name} of the run in {run}, which that run needs; "
            "choose a file outside the run folder or another name"
        )


def _run_root(source: Path) -> Path:
    return source if source.is_dir() else source.parent
