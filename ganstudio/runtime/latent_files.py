"""Saved latent vectors: `LatentState` (what is on screen) as JSON or as a bare .npy vector.

JSON holds {"format", "latent_dim", "z", "label", "truncation"}; a .npy file holds only z. Loading checks that
the vector fits the model it is loaded for and raises LatentFileError with a message that says what to do.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ganstudio.errors import GanStudioError
from ganstudio.runtime.imaging import atomic_write

LATENT_FORMAT = "ganstudio-latent"
LATENT_SUFFIXES = (".json", ".npy")


class LatentFileError(GanStudioError, ValueError):
    """A latent file is unreadable or does not fit the current model; the message says which."""


@dataclass(frozen=True)
class LatentState:
    """z (before truncation), the class label and the truncation: one point of an exploration."""

    z: np.ndarray  # (latent_dim,) float32, before truncation
    label: int | None = None  # class index for conditional models
    truncation: float = 1.0

    @property
    def latent_dim(self) -> int:
        return int(self.z.shape[0])


def is_latent_path(path: str | Path) -> bool:
    return Path(path).suffix.lower() in LATENT_SUFFIXES


def save_latent(path: str | Path, state: LatentState) -> None:
    """JSON by default; a .npy suffix saves only the vector."""
    path = Path(path)
    if path.suffix.lower() == ".npy":
        atomic_write(path, lambda tmp: _save_npy(tmp, state.z))
        return
    document = {
        "format": LATENT_FORMAT,
        "latent_dim": state.latent_dim,
        "z": [round(float(v), 7) for v in state.z],
        "label": state.label,
        "truncation": float(state.truncation),
    }
    text = json.dumps(document, indent=1)
    atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def _save_npy(tmp: Path, z: np.ndarray) -> None:
    with open(tmp, "wb") as handle:  # np.save on a path would append ".npy" to the temp name
        np.save(handle, np.asarray(z, np.float32))


def _read(path: Path) -> tuple[Any, Any, float]:
    """(z, label, truncation) as stored, unchecked."""
    if path.suffix.lower() == ".npy":
        return np.load(path, allow_pickle=False), None, 1.0
    document = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(document, dict) or "z" not in document:
        raise LatentFileError(f'{path.name} is not a latent file: it has no "z" list')
    z = np.asarray(document["z"], dtype=np.float64)
    return z, document.get("label"), float(document.get("truncation", 1.0))


def load_latent(path: str | Path, latent_dim: int, num_classes: int = 0) -> LatentState:
    """Read a .json or .npy latent and check it fits a model with `latent_dim` (and `num_classes`)."""
    path = Path(path)
    try:
        raw, label, truncation = _read(path)
    except LatentFileError:
        raise
    except (OSError, ValueError, TypeError) as exc:
        raise LatentFileError(f"cannot read {path.name}: {exc}") from exc
    z = np.asarray(raw).squeeze()
    if z.ndim != 1 or not np.issubdtype(z.dtype, np.number):
        raise LatentFileError(f"{path.name} holds an array of shape {np.shape(z)}, not a latent vector")
    if z.shape[0] != latent_dim:
        raise LatentFileError(
            f"{path.name} holds a latent of size {z.shape[0]}, but this model's latent size "
            f"is {latent_dim}. Load it with a model that has {z.shape[0]} latent dimensions."
        )
    if not np.isfinite(z).all():
        raise LatentFileError(f"{path.name} contains NaN or infinite values")
    if not (math.isfinite(truncation) and 0.0 <= truncation <= 2.0):
        truncation = 1.0
    if num_classes:
        label = int(label) if isinstance(label, (int, float)) and 0 <= int(label) < num_classes else 0
    else:
        label = None
    return LatentState(z.astype(np.float32), label, truncation)


__all__ = ["LATENT_FORMAT", "LatentFileError", "LatentState", "is_latent_path", "load_latent", "save_latent"]
