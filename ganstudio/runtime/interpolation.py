"""The Interpolate tab's state: keyframes (A, ..., B) and the path settings, as a plain model with change
callbacks; `path_batch` gives every frame of the path ready for the generator. numpy only."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ganstudio.runtime.events import Callbacks
from ganstudio.runtime.latent import Batch, keyframe_path, truncate
from ganstudio.runtime.latent_files import LatentState
from ganstudio.runtime.model_info import ModelInfo


def path_labels(labels: list[int | None], steps: int, closed: bool) -> np.ndarray | None:
    """Per-frame labels matching keyframe_path(): each frame takes its nearest keyframe's label."""
    if not labels or labels[0] is None:
        return None
    keys = labels + labels[:1] if closed else labels
    per = steps - 1
    out = [keys[seg] if (i < per / 2) else keys[seg + 1] for seg in range(len(keys) - 1) for i in range(per)]
    if not closed:
        out.append(keys[-1])
    return np.asarray(out, np.int64)


@dataclass(frozen=True)
class PathBatch:
    """The frames of an interpolation path: latents, per-frame labels and the frame index of each keyframe."""

    z: np.ndarray
    labels: np.ndarray | None
    marked: list[int]


class Interpolation:
    """Keyframes (A, ..., B) and path settings; the path runs through the keyframes in list order.

    Class-conditional models: a frame takes the label of its nearest keyframe (labels are whole numbers).
    """

    def __init__(self, steps: int = 8, spherical: bool = True, closed: bool = False) -> None:
        self.keys_changed: Callbacks[[]] = Callbacks()  # the keyframe list changed: re-render thumbnails and path
        self.path_changed: Callbacks[[]] = Callbacks()  # steps, path kind or loop changed: re-render the path
        self._info: ModelInfo | None = None
        self._keys: list[LatentState] = []
        self._steps = _clamp_steps(steps)
        self._spherical = spherical
        self._closed = closed

    @property
    def info(self) -> ModelInfo | None:
        return self._info

    @property
    def steps(self) -> int:
        return self._steps

    @property
    def spherical(self) -> bool:
        return self._spherical

    @property
    def closed(self) -> bool:
        return self._closed

    def keyframes(self) -> list[LatentState]:
        return list(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def describe_key(self, index: int) -> str:
        key, n = self._keys[index], len(self._keys)
        role = "A" if index == 0 else ("B" if index == n - 1 and n > 1 else f"Keyframe {index + 1}")
        text = f"{role}   |z| = {np.linalg.norm(key.z):.2f}, ψ {key.truncation:.2f}"
        if key.label is not None and self._info is not None:
            text += f", class {self._info.class_name(key.label)}"
        return text

    def set_model(self, info: ModelInfo | None) -> None:
        dim = info.latent_dim if info is not None else None
        self._info = info
        if any(k.latent_dim != dim for k in self._keys):
            self._keys = []  # latents of another latent size mean nothing to this model
        if info is not None and info.conditional:
            self._keys = [
                k if k.label is not None and k.label < info.num_classes else LatentState(k.z, 0, k.truncation)
                for k in self._keys
            ]
        self.keys_changed.emit()

    def set_keyframes(self, keys: list[LatentState]) -> None:
        self._keys = list(keys)
        self.keys_changed.emit()

    def set_keyframe(self, role: str, state: LatentState) -> None:
        """role "A" replaces the first keyframe, "B" the last (of at least two), "add" appends."""
        if role == "A" and self._keys:
            self._keys[0] = state
        elif role == "B" and len(self._keys) >= 2:
            self._keys[-1] = state
        else:
            self._keys.append(state)
        self.keys_changed.emit()

    def remove(self, index: int) -> None:
        if 0 <= index < len(self._keys):
            del self._keys[index]
            self.keys_changed.emit()

    def move(self, index: int, delta: int) -> int | None:
        """Move keyframe `index` by `delta` places; returns its new index, or None when it cannot move."""
        j = index + delta
        if not (0 <= index < len(self._keys) and 0 <= j < len(self._keys)):
            return None
        self._keys[index], self._keys[j] = self._keys[j], self._keys[index]
        self.keys_changed.emit()
        return j

    def set_steps(self, steps: int) -> None:
        steps = _clamp_steps(steps)
        if steps != self._steps:
            self._steps = steps
            self.path_changed.emit()

    def set_spherical(self, spherical: bool) -> None:
        if spherical != self._spherical:
            self._spherical = spherical
            self.path_changed.emit()

    def set_closed(self, closed: bool) -> None:
        if closed != self._closed:
            self._closed = closed
            self.path_changed.emit()

    def keys_batch(self) -> Batch | None:
        """The keyframes themselves (thumbnails), truncated, or None without a model or keyframes."""
        if self._info is None or not self._keys:
            return None
        z = np.stack([truncate(k.z, k.truncation) for k in self._keys])
        labels = None if self._keys[0].label is None else np.array([k.label for k in self._keys], np.int64)
        return Batch(z, labels)

    def path_batch(self) -> PathBatch | None:
        """Every frame of the path, or None until there is a model and two keyframes."""
        if self._info is None or len(self._keys) < 2:
            return None
        keys = np.stack([truncate(k.z, k.truncation) for k in self._keys])
        z = keyframe_path(keys, self._steps, self._spherical, self._closed)
        labels = path_labels([k.label for k in self._keys], self._steps, self._closed)
        marked = [i * (self._steps - 1) for i in range(len(self._keys))]
        return PathBatch(z, labels, marked)


MIN_STEPS, MAX_STEPS = 2, 64


def _clamp_steps(steps: int) -> int:
    return int(min(max(int(steps), MIN_STEPS), MAX_STEPS))
