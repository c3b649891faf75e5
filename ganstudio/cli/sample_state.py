"""The PNG sample state in the CLI: `sample` writes it, `sample --from IMAGE.png` reproduces the picture from
it, and `info IMAGE.png` prints it (runtime.png_state holds the format)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ganstudio.runtime.backends import GeneratorBackend
    from ganstudio.runtime.png_state import SampleState


def is_png(path: str) -> bool:
    return Path(path).suffix.lower() == ".png"


def print_png_state(path: str) -> int:
    from ganstudio.runtime.png_state import read_png_state

    print(read_png_state(path).describe())
    return 0


def render_state(backend: GeneratorBackend, state: SampleState) -> np.ndarray:
    """The saved sample (not a grid) rendered again: (H, W, C) uint8, exactly as GAN Studio showed it."""
    from ganstudio.runtime.backends import blend_classes
    from ganstudio.runtime.imaging import to_uint8
    from ganstudio.runtime.latent import truncate

    info = backend.info
    if state.z.shape[0] != info.latent_dim:
        from ganstudio.cli.main import CliError

        raise CliError(
            f"the image holds a {state.z.shape[0]}-d latent, but this model's latent size is {info.latent_dim}"
        )
    z = truncate(state.z[None], state.truncation)
    labels = None
    if info.conditional:
        labels = np.array([min(state.label or 0, info.num_classes - 1)], np.int64)
    if labels is not None and state.blend is not None and state.blend[1] > 0:
        images, _ = blend_classes(backend, z, labels, state.blend[0], state.blend[1])
    else:
        images = backend.generate(z, labels)
    return to_uint8(images)[0]


def warn_if_other_model(state: SampleState, sha256: str) -> None:
    if state.model_sha256 and sha256 and state.model_sha256 != sha256:
        print(
            f"warning: the image was made by another model (SHA-256 {state.model_sha256[:12]}…); "
            "the picture will differ",
            file=sys.stderr,
        )


def sample_from(args: argparse.Namespace, backend: GeneratorBackend, sha256: str) -> SampleState:
    """The state `sample --from IMAGE.png` reproduces; a grid's recipe replaces the seed, n, class and columns."""
    from dataclasses import replace

    from ganstudio.runtime.png_state import read_png_state

    state = read_png_state(args.from_png)
    warn_if_other_model(state, sha256)
    if state.grid is not None:
        args.seed, args.n, args.columns, args.label = (
            state.grid.seed,
            state.grid.n,
            state.grid.columns,
            state.grid.label,
        )
        args.truncation, args.scale = state.truncation, state.scale
    return replace(state, model_sha256=sha256 or state.model_sha256)
