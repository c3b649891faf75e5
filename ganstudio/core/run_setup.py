"""Rules for setting up a run that the CLI and the app share: resume budgets, resume overrides, thread counts,
the default colour channels of a dataset and where a run's folder dataset is (recorded absolute, movable on
resume). Torch-free and Qt-free, so both front ends import it at no cost.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ganstudio.core.config import BUDGET_FIELDS, TrainConfig
from ganstudio.errors import GanStudioError

MAX_THREADS = 256  # TrainConfig's limit


def resume_budget(extra: Mapping[str, float], state: Mapping[str, Any]) -> dict[str, float]:
    """The budget fields for continuing a run, given how much MORE training is asked for.

    A resume budget is always extra: `{"minutes": 20}` trains 20 more minutes, `{"steps": 500}` 500 more steps,
    counted from the run's saved counters (`state`: step, epoch, elapsed_seconds). Every budget field is set, the
    kinds not asked for to 0 (no limit), so the budget the run had before cannot end the new session early;
    `{}` means no limit at all (until stopped).
    """
    unknown = set(extra) - set(BUDGET_FIELDS)
    if unknown:
        raise ValueError(f"not budget fields: {', '.join(sorted(unknown))}")
    done = {
        "steps": int(state.get("step", 0)),
        "epochs": float(state.get("epoch", 0.0)),
        "minutes": float(state.get("elapsed_seconds", 0.0)) / 60,
    }
    budget: dict[str, float] = {}
    for name in BUDGET_FIELDS:
        amount = extra.get(name) or 0
        if name == "steps":
            budget[name] = int(done[name] + amount) if amount else 0
        else:
            budget[name] = float(done[name] + amount) if amount else 0.0
    return budget


def resume_overrides(
    saved: TrainConfig, state: Mapping[str, Any], extra_budget: Mapping[str, float] | None, **changes: Any
) -> dict[str, Any]:
    """The TrainConfig fields to change when continuing a run: the extra budget (None keeps the saved one) and
    other resumable options (seed, device, threads ...), keeping only those that differ from the saved config."""
    overrides = dict(changes)
    if extra_budget is not None:
        overrides.update(resume_budget(extra_budget, state))
    return {k: v for k, v in overrides.items() if getattr(saved, k) != v}


def auto_threads() -> int:
    """CPU threads for app training when the options say "auto": all cores but one, so the window stays responsive."""
    return min(MAX_THREADS, max(1, (os.cpu_count() or 2) - 1))


def app_threads(threads: int) -> int:
    """The thread count an app run uses: as chosen, or `auto_threads()` for 0. (The CLI keeps the core's meaning
    of 0, torch's default: a terminal run has no window to keep responsive.)"""
    return threads if threads > 0 else auto_threads()


def default_channels(dataset: str) -> int:
    """1 for the built-in (grayscale) datasets in any spelling, 3 for a folder of images."""
    from ganstudio.core.data.download import builtin_dataset

    return 1 if builtin_dataset(dataset) else 3


class DatasetMissingError(GanStudioError):
    """A run's folder dataset is not where the run recorded it; the message says how to point at it."""


def run_dataset_spec(spec: str) -> str:
    """The dataset as a run records it: a built-in name as given, a folder as an absolute path, so the run can be
    resumed from any working directory."""
    from ganstudio.core.data.download import builtin_dataset

    if builtin_dataset(spec):
        return spec
    return str(Path(spec).expanduser().resolve())


def resume_dataset(saved: str, moved_to: str | None = None) -> str:
    """The dataset a resumed run trains on: `moved_to` (the folder's new place) when given, else the saved one,
    which must still exist when it is a folder."""
    from ganstudio.core.data.download import builtin_dataset

    if moved_to:
        spec = run_dataset_spec(moved_to)
        if not builtin_dataset(spec) and not Path(spec).is_dir():
            raise DatasetMissingError(f"--data {moved_to}: no such folder")
        return spec
    if builtin_dataset(saved) or Path(saved).is_dir():
        return saved
    raise DatasetMissingError(
        f"the run's dataset folder {saved} is missing (moved or deleted); resume with --data NEWPATH naming where "
        "it is now (in the app, Resume a run... asks for it)"
    )
