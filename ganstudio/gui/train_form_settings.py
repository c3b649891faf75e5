"""Where the Train form's values live between sessions (QSettings, as JSON): the option values, the image folders
added to the dataset list and the data folder. Knows keys and formats only; the form says what the values are."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings

SETTINGS_KEY = "train/form_v1"
FOLDERS_KEY = "train/recent_folders_v1"
DATA_DIR_KEY = "train/data_dir_v1"  # saved as soon as it is chosen, not only when a run starts
RECENT_FOLDERS = 5  # image folders kept in the dataset list


@dataclass
class SavedForm:
    """What a former session left: the form's values, its image folders (those still on disk) and the data folder."""

    values: dict[str, Any] | None = None  # None: nothing usable was saved
    folders: list[str] = field(default_factory=list)
    data_dir: str = ""


def save_form(values: dict[str, Any], folders: list[str], data_dir: str) -> None:
    settings = QSettings()
    settings.setValue(SETTINGS_KEY, json.dumps(values))
    settings.setValue(FOLDERS_KEY, json.dumps(folders[-RECENT_FOLDERS:]))
    save_data_dir(data_dir)


def save_data_dir(data_dir: str) -> None:
    QSettings().setValue(DATA_DIR_KEY, data_dir)


def load_form() -> SavedForm:
    """The saved form; entries written by hand or by another version that do not parse are left out."""
    settings = QSettings()
    saved = SavedForm(data_dir=str(settings.value(DATA_DIR_KEY, "") or ""))
    try:
        folders = json.loads(str(settings.value(FOLDERS_KEY, "[]")))
        values = json.loads(str(settings.value(SETTINGS_KEY, "{}")))
    except (json.JSONDecodeError, TypeError):
        return saved
    if isinstance(folders, list):
        saved.folders = [f for f in folders if isinstance(f, str) and Path(f).is_dir()]
    if isinstance(values, dict):
        saved.values = values
    return saved
