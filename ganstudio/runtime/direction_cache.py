"""Direction sets cached per model: `<user cache>/directions/<model sha256>-v<algorithm>.json`.

Computing a set takes seconds; opening the same model again (same file hash) reads it back instead. A cache
file that does not load (damaged, another latent size) is recomputed and replaced. numpy + onnxruntime only.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

from ganstudio.paths import user_cache_root
from ganstudio.runtime.backends import GeneratorBackend
from ganstudio.runtime.digit_classifier import classifier_for
from ganstudio.runtime.direction_set import DirectionFileError, DirectionSet, load_directions, save_directions
from ganstudio.runtime.directions import ALGORITHM_VERSION, find_directions
from ganstudio.runtime.model_hash import model_sha256


def cache_path(sha256: str, root: Path | None = None) -> Path:
    return (root or user_cache_root()) / "directions" / f"{sha256}-v{ALGORITHM_VERSION}.json"


def directions_for(
    backend: GeneratorBackend,
    model_path: str | Path | None,
    progress: Callable[[str], None] | None = None,
    use_cache: bool = True,
) -> tuple[DirectionSet, bool]:
    """The model's direction set and whether it came from the cache. A model without a file (the live
    training generator) is computed every time and never cached."""
    sha = model_sha256(model_path) if model_path else ""
    path = cache_path(sha) if sha else None
    if use_cache and path is not None and path.is_file():
        try:
            cached = load_directions(path, backend.info.latent_dim)
            if cached.model_sha256 == sha:
                return cached, True
        except DirectionFileError:
            pass  # recomputed and replaced below
    directions = find_directions(backend, sha, classifier_for(backend.info), progress=progress)
    if path is not None:
        with contextlib.suppress(OSError):  # a read-only cache folder costs only the next open's seconds
            path.parent.mkdir(parents=True, exist_ok=True)
            save_directions(path, directions)
    return directions, False
