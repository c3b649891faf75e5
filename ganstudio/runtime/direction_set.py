"""Named directions in latent space and the JSON file that holds a set of them.

    {"model_sha256": "<hex>", "directions": [{"name": "ink", "kind": "attribute", "vector": [latent_dim floats]}],
     "details": {"format": "ganstudio-directions-1", "reports": {"ink": {...}}}}

`model_sha256` and `directions` are the whole contract (any tool may write them); "details" holds what GAN
Studio measured about each direction and may be absent. Loading checks everything and raises
DirectionFileError saying what is wrong; files are bounded in size, count and length before they are parsed.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from ganstudio.errors import GanStudioError
from ganstudio.runtime.imaging import atomic_write

DIRECTIONS_FORMAT = "ganstudio-directions-1"
KINDS = ("pca", "attribute", "class")
DirectionKind = Literal["pca", "attribute", "class"]
MAX_FILE_BYTES = 8 * 1024 * 1024  # 256 directions of 1024 floats as text fit well inside
MAX_DIRECTIONS = 256
MAX_LATENT_DIM = 4096
MAX_NAME_LENGTH = 64
UNIT_TOLERANCE = 1e-3  # |‖v‖ - 1| allowed: JSON keeps 7 digits per float


class DirectionFileError(GanStudioError, ValueError):
    """A direction file is unreadable, malformed or made for another latent size; the message says which."""


@dataclass(frozen=True)
class DirectionReport:
    """How a direction behaved on held-out seeds, moved from -2 to +2 along it."""

    measures: str  # what it moves: an attribute ("ink"), "p(8)" for a class, "PC score" for a pca direction
    change_per_unit: float  # mean change of that measure per unit of offset
    raises_fraction: float  # share of seeds where the measure rose from -2 to +2
    class_keep: float  # share of seeds whose class (as the classifier reads it) stayed the same; nan: no classifier
    seeds: int

    def describe(self) -> str:
        keep = "class kept: n/a" if math.isnan(self.class_keep) else f"class kept {self.class_keep:.0%}"
        return (
            f"{self.measures} {self.change_per_unit:+.4g}/unit, rises for {self.raises_fraction:.0%}, {keep} "
            f"({self.seeds} held-out seeds)"
        )


@dataclass(frozen=True)
class Direction:
    name: str
    kind: DirectionKind
    vector: np.ndarray = field(repr=False)  # (latent_dim,) float32, unit norm
    report: DirectionReport | None = None


@dataclass(frozen=True)
class DirectionSet:
    model_sha256: str
    directions: tuple[Direction, ...]

    @property
    def latent_dim(self) -> int:
        return int(self.directions[0].vector.shape[0]) if self.directions else 0

    def names(self) -> list[str]:
        return [d.name for d in self.directions]

    def get(self, name: str) -> Direction | None:
        return next((d for d in self.directions if d.name == name), None)

    def matrix(self) -> np.ndarray:
        """(K, latent_dim) float32: the vectors as rows."""
        if not self.directions:
            return np.zeros((0, 0), np.float32)
        return np.stack([d.vector for d in self.directions]).astype(np.float32)


def unit(vector: np.ndarray) -> np.ndarray:
    v = np.asarray(vector, np.float64)
    norm = float(np.linalg.norm(v))
    if not math.isfinite(norm) or norm < 1e-12:
        raise ValueError("a direction needs a non-zero, finite vector")
    return (v / norm).astype(np.float32)


def to_json(directions: DirectionSet) -> dict[str, Any]:
    reports = {
        d.name: {
            "measures": d.report.measures,
            "change_per_unit": d.report.change_per_unit,
            "raises_fraction": d.report.raises_fraction,
            "class_keep": None if math.isnan(d.report.class_keep) else d.report.class_keep,
            "seeds": d.report.seeds,
        }
        for d in directions.directions
        if d.report is not None
    }
    return {
        "model_sha256": directions.model_sha256,
        "directions": [
            {"name": d.name, "kind": d.kind, "vector": [round(float(x), 7) for x in d.vector]}
            for d in directions.directions
        ],
        "details": {"format": DIRECTIONS_FORMAT, "reports": reports},
    }


def save_directions(path: Path | str, directions: DirectionSet) -> None:
    text = json.dumps(to_json(directions))
    atomic_write(Path(path), lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def load_directions(path: Path | str, latent_dim: int | None = None) -> DirectionSet:
    """Read and check a direction file; `latent_dim` (when given) must match its vectors."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise DirectionFileError(f"{path.name} is {size / 1e6:.1f} MB; direction files are at most 8 MB")
        document = json.loads(path.read_text(encoding="utf-8"))
    except DirectionFileError:
        raise
    except json.JSONDecodeError as exc:
        raise DirectionFileError(f"{path.name} is not valid JSON: {exc.msg} at line {exc.lineno}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise DirectionFileError(f"cannot read {path.name}: {exc}") from exc
    return from_json(document, path.name, latent_dim)


def from_json(document: Any, source: str = "the direction set", latent_dim: int | None = None) -> DirectionSet:
    if not isinstance(document, dict):
        raise DirectionFileError(f"{source} is not a direction set: expected a JSON object")
    sha = document.get("model_sha256")
    if not isinstance(sha, str) or not re.fullmatch(r"[0-9a-f]{64}|", sha):
        raise DirectionFileError(f'{source}: "model_sha256" must be a 64-digit lowercase hex string')
    items = document.get("directions")
    if not isinstance(items, list) or not items:
        raise DirectionFileError(f'{source}: "directions" must be a non-empty list')
    if len(items) > MAX_DIRECTIONS:
        raise DirectionFileError(f"{source} holds {len(items)} directions; at most {MAX_DIRECTIONS} are allowed")
    reports = _reports(document.get("details"))
    directions: list[Direction] = []
    for index, item in enumerate(items):
        direction = _direction(item, f"{source}, direction {index + 1}", reports)
        if latent_dim is None:
            latent_dim = direction.vector.shape[0]
        if direction.vector.shape[0] != latent_dim:
            raise DirectionFileError(
                f"{source}: {direction.name!r} has {direction.vector.shape[0]} values, but the latent size is "
                f"{latent_dim}"
            )
        if any(d.name == direction.name for d in directions):
            raise DirectionFileError(f"{source}: the name {direction.name!r} is used twice")
        directions.append(direction)
    return DirectionSet(sha, tuple(directions))


def _direction(item: Any, where: str, reports: dict[str, DirectionReport]) -> Direction:
    if not isinstance(item, dict):
        raise DirectionFileError(f"{where} is not an object with name, kind and vector")
    name, kind, values = item.get("name"), item.get("kind"), item.get("vector")
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME_LENGTH:
        raise DirectionFileError(f'{where}: "name" must be a non-empty string of at most {MAX_NAME_LENGTH} characters')
    if kind not in KINDS:
        raise DirectionFileError(f'{where} ({name}): "kind" must be one of {", ".join(KINDS)}, got {kind!r}')
    if not isinstance(values, list) or not 1 <= len(values) <= MAX_LATENT_DIM:
        raise DirectionFileError(f'{where} ({name}): "vector" must be a list of 1..{MAX_LATENT_DIM} numbers')
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        raise DirectionFileError(f'{where} ({name}): "vector" must hold numbers only')
    vector = np.asarray(values, np.float64)
    if not np.isfinite(vector).all():
        raise DirectionFileError(f"{where} ({name}): the vector holds NaN or infinite values")
    norm = float(np.linalg.norm(vector))
    if abs(norm - 1.0) > UNIT_TOLERANCE:
        raise DirectionFileError(f"{where} ({name}): the vector must have unit length, it has length {norm:.4g}")
    return Direction(name, kind, (vector / norm).astype(np.float32), reports.get(name))


def _reports(details: Any) -> dict[str, DirectionReport]:
    """The measured reports in "details", skipping any that do not parse (they are informative only)."""
    if not isinstance(details, dict) or not isinstance(details.get("reports"), dict):
        return {}
    out: dict[str, DirectionReport] = {}
    for name, r in details["reports"].items():
        try:
            keep = r.get("class_keep")
            out[name] = DirectionReport(
                str(r["measures"]),
                float(r["change_per_unit"]),
                float(r["raises_fraction"]),
                math.nan if keep is None else float(keep),
                int(r["seeds"]),
            )
        except (AttributeError, KeyError, TypeError, ValueError):
            continue
    return out
