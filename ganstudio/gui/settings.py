"""Versioned user settings (window geometry, recent files, last-used options) in an INI file via QSettings.

The store lives apart from model/training configs (labelme does the same). A `settings_version` key guards
the layout: when a newer or older app finds settings written in a different version, it starts from
defaults instead of misreading them. Tests redirect the INI path with `QSettings.setPath`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QByteArray, QSettings

from ganstudio.runtime.latent_files import LatentState

ORGANIZATION = "GANStudio"
APPLICATION = "GANStudio"
SETTINGS_VERSION = 1
MAX_RECENT = 10


class Settings:
    """A thin typed wrapper over one QSettings store; every read has a default and survives junk values."""

    def __init__(self, store: QSettings | None = None) -> None:
        self._store = store or QSettings(
            QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION
        )
        stored = self._store.value("settings_version")
        if stored is not None and str(stored) != str(SETTINGS_VERSION):
            self._store.clear()  # written by another layout: start fresh rather than misread it
        self._store.setValue("settings_version", SETTINGS_VERSION)

    @property
    def store(self) -> QSettings:
        return self._store

    def file_name(self) -> str:
        return self._store.fileName()

    # -- typed access -------------------------------------------------------------------------------------

    def get_int(self, key: str, default: int, lo: int | None = None, hi: int | None = None) -> int:
        try:
            value = int(self._store.value(key, default))  # type: ignore[call-overload]  # junk is caught below
        except (TypeError, ValueError):
            return default
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            return default
        return value

    def get_float(self, key: str, default: float, lo: float | None = None, hi: float | None = None) -> float:
        try:
            value = float(self._store.value(key, default))  # type: ignore[arg-type]  # junk is caught below
        except (TypeError, ValueError):
            return default
        if value != value or (lo is not None and value < lo) or (hi is not None and value > hi):
            return default
        return value

    def get_bool(self, key: str, default: bool) -> bool:
        value = self._store.value(key, default)
        if isinstance(value, str):  # INI files store booleans as "true"/"false"
            return value.strip().lower() in ("1", "true", "yes", "on")
        return bool(value)

    def get_str(self, key: str, default: str = "") -> str:
        value = self._store.value(key, default)
        return value if isinstance(value, str) else default

    def get_bytes(self, key: str) -> QByteArray | None:
        value = self._store.value(key)
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set(self, key: str, value: Any) -> None:
        self._store.setValue(key, value)

    def sync(self) -> None:
        self._store.sync()

    # -- recent files -------------------------------------------------------------------------------------

    def recent_files(self) -> list[str]:
        value = self._store.value("recent_files", [])
        if isinstance(value, str):  # QSettings returns a lone string for a one-item list
            value = [value]
        if not isinstance(value, (list, tuple)):
            return []
        items = [str(v) for v in value if str(v)]
        return items[:MAX_RECENT]

    def add_recent_file(self, path: str | Path) -> list[str]:
        path = str(Path(path).resolve())
        items = [p for p in self.recent_files() if p != path]
        items.insert(0, path)
        self._store.setValue("recent_files", items[:MAX_RECENT])
        return items[:MAX_RECENT]

    def remove_recent_file(self, path: str) -> None:
        self._store.setValue("recent_files", [p for p in self.recent_files() if p != path])

    def clear_recent_files(self) -> None:
        self._store.setValue("recent_files", [])

    def last_dir(self) -> str:
        folder = self.get_str("last_dir")
        return folder if folder and Path(folder).is_dir() else str(Path.home())

    def set_last_dir(self, path: str | Path) -> None:
        path = Path(path)
        self._store.setValue("last_dir", str(path if path.is_dir() else path.parent))

    # -- what the next launch reopens ---------------------------------------------------------------------

    def last_model(self) -> str:
        """The model file or run folder opened last ("" when none was)."""
        return self.get_str("last_model")

    def set_last_model(self, path: str | Path) -> None:
        self._store.setValue("last_model", str(Path(path).resolve()))

    def keyframes(self, model: str | Path) -> list[LatentState]:
        """The interpolation keyframes saved for this model file, or [] (another model, or junk)."""
        try:
            data = json.loads(self.get_str("interpolate/keyframes", "{}"))
            if data.get("model") != str(Path(model).resolve()):
                return []
            return [
                LatentState(
                    np.asarray(key["z"], np.float32),
                    None if key.get("label") is None else int(key["label"]),
                    float(key.get("truncation", 1.0)),
                )
                for key in data.get("keys", [])
            ]
        except (ValueError, TypeError, KeyError, AttributeError):
            return []

    def set_keyframes(self, model: str | Path, keys: list[LatentState]) -> None:
        """Remember the keyframes for this model file (one model's keyframes are kept at a time)."""
        data = {
            "model": str(Path(model).resolve()),
            "keys": [{"z": k.z.tolist(), "label": k.label, "truncation": k.truncation} for k in keys],
        }
        self._store.setValue("interpolate/keyframes", json.dumps(data))
