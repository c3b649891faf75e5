"""Between the exploration state and the PNG sample state: what a saved picture records, and restoring it.

The recorded z is the latent the generator was given (direction offsets included), so restoring it alone
always reproduces the picture exactly. When the current direction set has every direction the picture was
moved along, the sample comes back as base z plus those offsets instead, so its sliders show them again.
numpy only.
"""

from __future__ import annotations

from ganstudio.runtime.exploration import Exploration
from ganstudio.runtime.latent_files import LatentState
from ganstudio.runtime.png_state import SampleState


def state_of(exploration: Exploration, model_sha256: str, scale: int = 1) -> SampleState | None:
    """The current sample as a PNG records it, or None without a model."""
    info = exploration.info
    if info is None:
        return None
    conditional = info.conditional
    blend = (exploration.blend_label, exploration.blend) if conditional and exploration.blend > 0 else None
    offsets = exploration.directions.offsets()
    return SampleState(
        model_sha256,
        exploration.sample_z(),
        exploration.truncation,
        exploration.label if conditional else None,
        blend,
        exploration.z if offsets else None,
        offsets,
        scale,
    )


def restore_sample(exploration: Exploration, saved: SampleState) -> str:
    """Make a saved sample current: z, class, truncation, blend and direction offsets. Raises ValueError when
    it cannot fit this model; returns a note on what was restored differently ("" when nothing was)."""
    info = exploration.info
    if info is None:
        raise ValueError("open a model first")
    if saved.grid is not None:
        raise ValueError("this PNG is a grid of samples, not one sample: make it again with `ganstudio sample --from`")
    if saved.z.shape[0] != info.latent_dim:
        raise ValueError(
            f"the image holds a {saved.z.shape[0]}-d latent; this model's latent size is {info.latent_dim}"
        )
    directions = exploration.directions.directions
    names = set(directions.names()) if directions is not None else set()
    offsets = saved.direction_offsets if saved.base_z is not None else {}
    note = ""
    if offsets and not set(offsets) <= names:
        offsets, note = {}, " (its direction offsets are folded into z: this model's directions differ)"
    base = saved.base_z if offsets and saved.base_z is not None else saved.z
    exploration.set_latent_state(
        LatentState(base, saved.label if info.conditional else None, saved.truncation), offsets
    )
    if info.conditional:
        exploration.set_blend_label(saved.blend[0] if saved.blend is not None else exploration.blend_label)
        exploration.set_blend(saved.blend[1] if saved.blend is not None else 0.0)
    return note
