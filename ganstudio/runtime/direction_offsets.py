"""How far the current sample is moved along each named direction: sample = z + sum_i offset_i * v_i.

A plain model with a change callback (like exploration.Exploration, which holds one): the Directions panel's
sliders show and edit the offsets, and the rendered latent applies them. Offsets belong to a direction set;
a new set starts them at zero. numpy only.
"""

from __future__ import annotations

import numpy as np

from ganstudio.runtime.direction_set import DirectionSet
from ganstudio.runtime.events import Callbacks

OFFSET_LIMIT = 6.0  # |offset| beyond this leaves the region the generator was trained on


class DirectionOffsets:
    def __init__(self) -> None:
        self.set_changed: Callbacks[[]] = Callbacks()  # a new direction set (or none)
        self.changed: Callbacks[[]] = Callbacks()  # an offset changed: the sample must be re-rendered
        self._set: DirectionSet | None = None
        self._offsets: dict[str, float] = {}

    @property
    def directions(self) -> DirectionSet | None:
        return self._set

    def offsets(self) -> dict[str, float]:
        """The non-zero offsets by direction name, in the set's order."""
        return {name: value for name, value in self._offsets.items() if value != 0.0}

    def offset(self, name: str) -> float:
        return self._offsets.get(name, 0.0)

    def set_directions(self, directions: DirectionSet | None) -> None:
        had_offsets = bool(self.offsets())
        self._set = directions
        self._offsets = {name: 0.0 for name in directions.names()} if directions is not None else {}
        self.set_changed.emit()
        if had_offsets:
            self.changed.emit()

    def set_offset(self, name: str, value: float) -> None:
        if name not in self._offsets:
            return
        value = float(min(max(value, -OFFSET_LIMIT), OFFSET_LIMIT))
        if value != self._offsets[name]:
            self._offsets[name] = value
            self.changed.emit()

    def set_offsets(self, offsets: dict[str, float]) -> list[str]:
        """Set several offsets at once (the others to zero); returns the names this set does not have."""
        unknown = [name for name in offsets if name not in self._offsets]
        new = {name: float(offsets.get(name, 0.0)) for name in self._offsets}
        if new != self._offsets:
            self._offsets = new
            self.changed.emit()
        return unknown

    def clear(self) -> None:
        """All offsets back to zero."""
        if self.offsets():
            self._offsets = dict.fromkeys(self._offsets, 0.0)
            self.changed.emit()

    def apply(self, z: np.ndarray) -> np.ndarray:
        """z moved by the offsets, float32; z itself when no offset is set (so it stays bit-identical)."""
        moved = np.asarray(z, np.float32).copy()
        if self._set is None or moved.shape[0] != self._set.latent_dim:
            return moved
        for direction in self._set.directions:
            value = self._offsets.get(direction.name, 0.0)
            if value != 0.0:
                moved = (moved + np.float32(value) * direction.vector).astype(np.float32)
        return moved

    def preview_latents(self, z: np.ndarray, steps: tuple[float, ...]) -> np.ndarray:
        """(K * len(steps), latent_dim): for each direction in order, the sample with that direction's offset
        set to each step (the other offsets kept), i.e. what its slider would show at those positions."""
        if self._set is None:
            return np.zeros((0, len(z)), np.float32)
        moved = self.apply(z)
        rows = [
            moved + np.float32(t - self.offset(direction.name)) * direction.vector
            for direction in self._set.directions
            for t in steps
        ]
        return np.stack(rows).astype(np.float32)
