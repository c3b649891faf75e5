"""Saved PNGs that remember what made them: model hash, z, class, truncation, blend and direction offsets.

The state is one versioned JSON document in an iTXt chunk named "ganstudio" (Pillow's PngInfo), written before
the image data, so any PNG viewer still shows the picture and `ganstudio info IMAGE.png` can print the state.

    {"format": "ganstudio-sample", "version": 1, "model_sha256": "<hex>", "latent_dim": 64,
     "z": [...],            the latent the generator was given, before truncation (direction offsets included)
     "base_z": [...],       the same before the direction offsets (what the latent sliders showed)
     "direction_offsets": {"ink": 1.5}, "label": 3 | null, "truncation": 0.7,
     "blend": {"label": 8, "t": 0.4} | null, "scale": 8}
A grid (`ganstudio sample --n 64`) records how to make it again instead of one z:
    {..., "grid": {"seed": 0, "n": 64, "columns": null, "label": null}}

Reading is bounded: files over 64 MB are refused before Pillow opens them, Pillow's own limits cap text chunks
(MAX_TEXT_CHUNK) and decompression bombs, and the JSON is at most 1 MB. Anything malformed raises
PngStateError with a message that says what is wrong.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ganstudio.errors import GanStudioError
from ganstudio.runtime.imaging import atomic_write, upscale

STATE_KEY = "ganstudio"
STATE_FORMAT = "ganstudio-sample"
STATE_VERSION = 1
MAX_PNG_BYTES = 64 * 1024 * 1024
MAX_STATE_CHARS = 1024 * 1024
MAX_LATENT_DIM = 4096


class PngStateError(GanStudioError, ValueError):
    """A PNG has no sample state, or a malformed one; the message says which."""


@dataclass(frozen=True)
class GridRecipe:
    """How `ganstudio sample` made a grid: seed, sample count, columns and class (None: cycling)."""

    seed: int
    n: int
    columns: int | None = None
    label: int | None = None


@dataclass(frozen=True)
class SampleState:
    """Everything needed to render a saved picture again."""

    model_sha256: str
    z: np.ndarray  # (latent_dim,) float32 before truncation, offsets included; empty for a grid
    truncation: float = 1.0
    label: int | None = None
    blend: tuple[int, float] | None = None  # (label_b, t)
    base_z: np.ndarray | None = None  # before direction offsets; None when there were none
    direction_offsets: dict[str, float] = field(default_factory=dict)
    scale: int = 1
    grid: GridRecipe | None = None

    def describe(self) -> str:
        lines = [f"model SHA-256: {self.model_sha256 or 'unknown'}"]
        if self.grid is not None:
            g = self.grid
            label = "cycling" if g.label is None else str(g.label)
            lines.append(
                f"grid:          {g.n} samples of seed {g.seed}, columns {g.columns or 'square'}, class {label}"
            )
        else:
            lines.append(f"latent:        {self.z.shape[0]} values, |z| = {float(np.linalg.norm(self.z)):.3f}")
            lines.append(f"class:         {'none (unconditional)' if self.label is None else self.label}")
            if self.blend is not None:
                lines.append(f"class blend:   toward {self.blend[0]} by {self.blend[1]:.2f}")
            if self.direction_offsets:
                offsets = ", ".join(f"{k} {v:+.2f}" for k, v in self.direction_offsets.items())
                lines.append(f"directions:    {offsets}")
        lines.append(f"truncation:    {self.truncation:.3f}")
        lines.append(f"scale:         {self.scale}x")
        return "\n".join(lines)


def _floats(values: np.ndarray) -> list[float]:
    return [float(v) for v in np.asarray(values, np.float32)]  # float32 -> float is exact; JSON keeps it exact


def state_to_json(state: SampleState) -> dict[str, Any]:
    document: dict[str, Any] = {
        "format": STATE_FORMAT,
        "version": STATE_VERSION,
        "model_sha256": state.model_sha256,
        "latent_dim": int(state.z.shape[0]),
        "z": _floats(state.z),
        "label": state.label,
        "truncation": state.truncation,
        "blend": None if state.blend is None else {"label": state.blend[0], "t": state.blend[1]},
        "direction_offsets": dict(state.direction_offsets),
        "scale": state.scale,
    }
    if state.base_z is not None:
        document["base_z"] = _floats(state.base_z)
    if state.grid is not None:
        g = state.grid
        document["grid"] = {"seed": g.seed, "n": g.n, "columns": g.columns, "label": g.label}
    return document


def save_png_with_state(picture: np.ndarray, path: Path | str, state: SampleState) -> None:
    """Save an (H, W, C) uint8 picture, upscaled by state.scale, with the state in its "ganstudio" chunk."""
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    scaled = upscale(picture, state.scale)
    image = Image.fromarray(scaled[..., 0] if scaled.shape[-1] == 1 else scaled)
    info = PngInfo()
    info.add_itxt(STATE_KEY, json.dumps(state_to_json(state), separators=(",", ":")))
    atomic_write(Path(path), lambda tmp: image.save(tmp, format="PNG", pnginfo=info))


def read_png_state(path: Path | str) -> SampleState:
    """The state saved in a PNG. Raises PngStateError when there is none or it is malformed."""
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_PNG_BYTES:
            raise PngStateError(f"{path.name} is {size / 1e6:.0f} MB; saved samples are far smaller")
        with Image.open(path) as image:
            if image.format != "PNG":
                raise PngStateError(f"{path.name} is a {image.format} image, not a PNG")
            text = image.info.get(STATE_KEY)
    except PngStateError:
        raise
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError, ValueError) as exc:
        raise PngStateError(f"cannot read {path.name}: {exc}") from exc
    if not isinstance(text, str):
        raise PngStateError(f"{path.name} holds no GAN Studio sample state (it was not saved by GAN Studio)")
    if len(text) > MAX_STATE_CHARS:
        raise PngStateError(f"{path.name}: its sample state is too large to be one")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PngStateError(f"{path.name}: the sample state is not valid JSON ({exc.msg})") from exc
    return state_from_json(document, path.name)


def state_from_json(document: Any, source: str) -> SampleState:
    if not isinstance(document, dict) or document.get("format") != STATE_FORMAT:
        raise PngStateError(f"{source}: the sample state is not a {STATE_FORMAT} document")
    version = document.get("version")
    if not isinstance(version, int) or version > STATE_VERSION:
        raise PngStateError(f"{source} was saved by a newer GAN Studio (state version {version}); update to open it")
    sha = document.get("model_sha256")
    if not isinstance(sha, str) or len(sha) > 64:
        raise PngStateError(f"{source}: model_sha256 must be a hex string")
    truncation = _number(document.get("truncation", 1.0), source, "truncation")
    if not 0.0 <= truncation <= 2.0:
        raise PngStateError(f"{source}: truncation {truncation} is outside 0..2")
    offsets = document.get("direction_offsets") or {}
    if not isinstance(offsets, dict) or len(offsets) > 256:
        raise PngStateError(f"{source}: direction_offsets must be an object of at most 256 names")
    grid = _grid(document.get("grid"), source)
    z = _vector(document.get("z", []), source, "z", allow_empty=grid is not None)
    base = document.get("base_z")
    blend = document.get("blend")
    scale = document.get("scale", 1)
    if not isinstance(scale, int) or not 1 <= scale <= 64:
        raise PngStateError(f"{source}: scale must be a whole number in 1..64")
    return SampleState(
        sha,
        z,
        truncation,
        _label(document.get("label"), source),
        None if blend is None else _blend(blend, source),
        None if base is None else _vector(base, source, "base_z"),
        {str(k): _number(v, source, f"offset {k}") for k, v in offsets.items()},
        scale,
        grid,
    )


def _number(value: Any, source: str, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise PngStateError(f"{source}: {what} must be a finite number")
    return float(value)


def _label(value: Any, source: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise PngStateError(f"{source}: the class must be a whole number >= 0")
    return value


def _vector(values: Any, source: str, what: str, allow_empty: bool = False) -> np.ndarray:
    if not isinstance(values, list) or len(values) > MAX_LATENT_DIM or (not values and not allow_empty):
        raise PngStateError(f"{source}: {what} must be a list of 1..{MAX_LATENT_DIM} numbers")
    return np.asarray([_number(v, source, what) for v in values], np.float32)


def _blend(value: Any, source: str) -> tuple[int, float]:
    if not isinstance(value, dict):
        raise PngStateError(f'{source}: blend must be {{"label": int, "t": number}} or null')
    label = _label(value.get("label"), source)
    t = _number(value.get("t"), source, "blend t")
    if label is None or not 0.0 <= t <= 1.0:
        raise PngStateError(f"{source}: blend needs a class and a t in 0..1")
    return label, t


def _grid(value: Any, source: str) -> GridRecipe | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise PngStateError(f"{source}: grid must be an object")
    seed, n, columns = value.get("seed"), value.get("n"), value.get("columns")
    if not isinstance(seed, int) or not isinstance(n, int) or not 1 <= n <= 65536 or seed < 0:
        raise PngStateError(f"{source}: grid needs a seed >= 0 and n in 1..65536")
    if columns is not None and (not isinstance(columns, int) or columns < 1):
        raise PngStateError(f"{source}: grid columns must be a whole number >= 1")
    return GridRecipe(seed, n, columns, _label(value.get("label"), source))
