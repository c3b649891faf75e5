"""The exploration state as plain models with change callbacks (napari's components / _qt split).

`Exploration` holds what the Explore tab shows: the current latent z (before truncation) and the one Reset
returns to, the offsets along named directions (the sample rendered is z + sum offset_i * v_i), the class and
class blend, the truncation, the grid seed, the grid on screen and its selection.
Which latent dimensions get a slider (`DimensionChoice`, runtime.latent_dims) and the Interpolate tab's
keyframes (`Interpolation`, runtime.interpolation) live in their own modules and are importable from here too.
Widgets connect to the callbacks, show the values and write user edits back; they keep no state of their own.
The CLI and tests use the same models without Qt.
"""

from __future__ import annotations

import numpy as np

from ganstudio.runtime.direction_offsets import DirectionOffsets
from ganstudio.runtime.events import Callbacks
from ganstudio.runtime.interpolation import MAX_STEPS, MIN_STEPS, Interpolation, PathBatch, path_labels
from ganstudio.runtime.latent import Batch, sample_latents, truncate
from ganstudio.runtime.latent_dims import DEFAULT_VISIBLE_DIMS, DimensionChoice, format_dims, parse_dims
from ganstudio.runtime.latent_files import LatentState
from ganstudio.runtime.model_info import ModelInfo

GRID_COLUMNS = 8
GRID_SIZE = GRID_COLUMNS * GRID_COLUMNS
MAX_SEED = 2**31 - 1
MAX_TRUNCATION = 2.0
RANDOM_LIMIT = 3.0  # Randomize draws each value within ±3, the latent sliders' range

__all__ = [  # this module's models, and the split-off ones that stay importable from here
    "DEFAULT_VISIBLE_DIMS",
    "GRID_COLUMNS",
    "GRID_SIZE",
    "MAX_SEED",
    "MAX_STEPS",
    "MAX_TRUNCATION",
    "MIN_STEPS",
    "RANDOM_LIMIT",
    "Batch",
    "DimensionChoice",
    "Exploration",
    "Interpolation",
    "PathBatch",
    "clipped_normal",
    "format_dims",
    "parse_dims",
    "path_labels",
]


class Exploration:
    """The Explore tab's state. Setters notify the matching callbacks; reads return copies."""

    def __init__(self, seed: int = 0, truncation: float = 1.0) -> None:
        self.model_changed: Callbacks[[]] = Callbacks()  # a new model (or none): everything may have changed
        self.current_changed: Callbacks[[]] = Callbacks()  # z, class, blend or truncation: re-render the sample
        self.grid_changed: Callbacks[[]] = Callbacks()  # seed, class or truncation: re-render the grid
        self.selection_changed: Callbacks[[]] = Callbacks()  # the grid cell behind the current latent
        self.dims = DimensionChoice()
        self.directions = DirectionOffsets()  # a new current latent starts them at zero
        self.directions.changed.connect(self.current_changed.emit)
        self._info: ModelInfo | None = None
        self._supports_class_blend = False
        self._z = np.zeros(0, np.float32)
        self._origin = self._z
        self._selected: int | None = None
        self._label = 0
        self._blend_label = 0
        self._blend = 0.0
        self._seed = _clamp_seed(seed)
        self._truncation = _clamp_truncation(truncation)
        self._grid_z: np.ndarray | None = None  # raw latents behind the grid on screen
        self._grid_labels: np.ndarray | None = None

    # -- reading ----------------------------------------------------------------------------------------------

    @property
    def info(self) -> ModelInfo | None:
        return self._info

    @property
    def has_model(self) -> bool:
        return self._info is not None

    @property
    def supports_class_blend(self) -> bool:
        return self._supports_class_blend

    @property
    def z(self) -> np.ndarray:
        return self._z.copy()

    @property
    def label(self) -> int:
        return self._label

    @property
    def blend_label(self) -> int:
        return self._blend_label

    @property
    def blend(self) -> float:
        return self._blend

    @property
    def truncation(self) -> float:
        return self._truncation

    @property
    def seed(self) -> int:
        return self._seed

    @property
    def selected(self) -> int | None:
        return self._selected

    @property
    def grid_z(self) -> np.ndarray | None:
        """The raw latents behind the grid on screen (None until a grid was shown)."""
        return self._grid_z

    def sample_z(self) -> np.ndarray:
        """The latent rendered (before truncation): z moved along the named directions."""
        return self.directions.apply(self._z)

    @property
    def edited(self) -> bool:
        return not np.array_equal(self._z, self._origin) or bool(self.directions.offsets())

    def caption(self) -> str:
        if self._info is None:
            return "No model"
        where = f"Grid sample {self._selected + 1}" if self._selected is not None else "Custom latent"
        return f"{where}{' (edited)' if self.edited else ''} · {self.norm_text()}"

    def norm_text(self) -> str:
        """'|z| = 7.92', or with truncation what the generator gets: '|z| = 7.92 (ψ 0.70 → 5.54)'."""
        norm = float(np.linalg.norm(self.sample_z()))
        if self._truncation == 1.0:
            return f"|z| = {norm:.2f}"
        return f"|z| = {norm:.2f} (ψ {self._truncation:.2f} → {norm * self._truncation:.2f})"

    @property
    def origin(self) -> np.ndarray:
        """The latent Reset returns to (the selected grid sample, or the last random or loaded one)."""
        return self._origin.copy()

    def latent_state(self) -> LatentState | None:
        """The sample on screen (direction offsets included), e.g. for a keyframe or a latent file."""
        if self._info is None:
            return None
        return LatentState(self.sample_z(), self._label if self._info.conditional else None, self._truncation)

    def grid_state(self, index: int) -> LatentState | None:
        """The grid cell `index` on screen as a LatentState (for keyframes), or None."""
        if self._grid_z is None or not 0 <= index < len(self._grid_z):
            return None
        label = int(self._grid_labels[index]) if self._grid_labels is not None else None
        return LatentState(self._grid_z[index].copy(), label, self._truncation)

    def _labels(self, n: int) -> np.ndarray | None:
        conditional = self._info is not None and self._info.conditional
        return np.full(n, self._label, np.int64) if conditional else None

    def current_batch(self) -> Batch | None:
        """The current sample as a batch of one, or None without a model."""
        if self._info is None or self._z.shape[0] == 0:
            return None
        blend = None
        if self._info.conditional and self._blend > 0:
            blend = (self._blend_label, self._blend)
        return Batch(truncate(self.sample_z()[None], self._truncation), self._labels(1), blend)

    def grid_latents(self) -> tuple[np.ndarray, np.ndarray | None] | None:
        """The raw latents and labels of the seed's grid (what `grid_batch` renders), or None."""
        if self._info is None:
            return None
        return sample_latents(GRID_SIZE, self._info.latent_dim, self._seed), self._labels(GRID_SIZE)

    def grid_batch(self) -> Batch | None:
        latents = self.grid_latents()
        if latents is None:
            return None
        raw, labels = latents
        return Batch(truncate(raw, self._truncation), labels)

    # -- changing ---------------------------------------------------------------------------------------------

    def set_model(self, info: ModelInfo | None, supports_class_blend: bool = False) -> None:
        """A new model; keeps the latent when the latent size is unchanged."""
        old_dim = self._z.shape[0]
        self._info, self._supports_class_blend = info, supports_class_blend and info is not None
        if info is None:
            self._z = self._origin = np.zeros(0, np.float32)
            self._grid_z = self._grid_labels = None
        else:
            if info.latent_dim != old_dim:
                self._z = sample_latents(GRID_SIZE, info.latent_dim, self._seed)[0]
                self._origin, self._selected = self._z.copy(), 0
                self._grid_z = self._grid_labels = None
            top = max(0, info.num_classes - 1)
            self._label = min(self._label, top)
            self._blend_label = min(1, top)
        self.dims.set_latent_dim(info.latent_dim if info is not None else 0)
        self.directions.set_directions(None)  # another model's directions mean nothing here
        self.model_changed.emit()

    def set_latent_state(self, state: LatentState, offsets: dict[str, float] | None = None) -> list[str]:
        """Show a saved sample: z (before the direction offsets given, if any). Returns the offsets' names that
        the current direction set does not have (those are not applied)."""
        self._z = np.asarray(state.z, np.float32).copy()
        self._origin, self._selected = self._z.copy(), None
        unknown = self._set_offsets_quietly(offsets or {})
        if state.label is not None and self._info is not None and self._info.conditional:
            self._label = int(state.label)
        self._truncation = _clamp_truncation(state.truncation)
        self.selection_changed.emit()
        self.current_changed.emit()
        self.grid_changed.emit()
        return unknown

    def _set_offsets_quietly(self, offsets: dict[str, float]) -> list[str]:
        """Direction offsets set without their own render request (the caller emits current_changed)."""
        self.directions.changed.disconnect(self.current_changed.emit)
        try:
            return self.directions.set_offsets(offsets)
        finally:
            self.directions.changed.connect(self.current_changed.emit)

    def set_dim(self, dim: int, value: float) -> None:
        """One latent dimension edited (a slider)."""
        if 0 <= dim < self._z.shape[0]:
            self._z[dim] = value
            self.current_changed.emit()

    def select_cell(self, index: int) -> None:
        """Make grid cell `index` (as on screen) the current latent, with its class."""
        if self._grid_z is None or not 0 <= index < len(self._grid_z):
            return
        if self._grid_labels is not None:
            self._label = int(self._grid_labels[index])
        self._set_current(self._grid_z[index], index)

    def randomize(self, rng: np.random.Generator | None = None) -> None:
        if self._info is None:
            return
        rng = rng if rng is not None else np.random.default_rng()
        self._set_current(clipped_normal(rng, self._z.shape[0]), None)

    def reset_dim(self, dim: int) -> None:
        """One latent dimension back to its value in the latent Reset returns to."""
        if 0 <= dim < self._z.shape[0] and self._z[dim] != self._origin[dim]:
            self._z[dim] = self._origin[dim]
            self.current_changed.emit()

    def reset(self) -> None:
        """Back to the latent Reset returns to, undoing slider edits, direction offsets and the class blend."""
        if self._info is None:
            return
        self._z = self._origin.copy()
        self._blend = 0.0
        self._set_offsets_quietly({})
        self.current_changed.emit()

    def set_seed(self, seed: int) -> None:
        seed = _clamp_seed(seed)
        if seed == self._seed:
            return
        self._seed = seed
        self._selected = None  # the grid now shows other samples; the current latent stays
        self.selection_changed.emit()
        self.grid_changed.emit()

    def set_truncation(self, psi: float) -> None:
        psi = _clamp_truncation(psi)
        if psi != self._truncation:
            self._truncation = psi
            self.current_changed.emit()
            self.grid_changed.emit()

    def set_label(self, label: int) -> None:
        label = max(0, int(label))
        if label != self._label:
            self._label = label
            self.current_changed.emit()
            self.grid_changed.emit()

    def set_blend_label(self, label: int) -> None:
        label = max(0, int(label))
        if label != self._blend_label:
            self._blend_label = label
            self.current_changed.emit()

    def set_blend(self, t: float) -> None:
        t = float(min(max(t, 0.0), 1.0))
        if t != self._blend:
            self._blend = t
            self.current_changed.emit()

    def show_grid(self, raw: np.ndarray, labels: np.ndarray | None) -> None:
        """The grid rendered from these raw latents is now on screen (cells map to them)."""
        self._grid_z, self._grid_labels = raw, labels

    def _set_current(self, z: np.ndarray, selected: int | None) -> None:
        """A new current latent (Reset returns to it); `selected` is its grid cell, if it came from the grid."""
        self._z = np.asarray(z, np.float32).copy()
        self._origin, self._selected = self._z.copy(), selected
        self._set_offsets_quietly({})  # the sample picked is shown as it is
        self.selection_changed.emit()
        self.current_changed.emit()


def clipped_normal(rng: np.random.Generator, n: int, limit: float = RANDOM_LIMIT) -> np.ndarray:
    """n standard normal values redrawn until each lies within ±limit (a truncated normal), float32: a random
    latent whose every value fits its slider. Cuts 0.27% of the mass at 3 sigma, which samples never miss."""
    z = rng.standard_normal(n)
    outside = np.abs(z) > limit
    while outside.any():
        z[outside] = rng.standard_normal(int(outside.sum()))
        outside = np.abs(z) > limit
    return z.astype(np.float32)


def _clamp_seed(seed: int) -> int:
    return int(min(max(int(seed), 0), MAX_SEED))


def _clamp_truncation(psi: float) -> float:
    return float(min(max(float(psi), 0.0), MAX_TRUNCATION))
