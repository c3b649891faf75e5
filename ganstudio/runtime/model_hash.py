"""A model's identity: the SHA-256 of the file whose weights it runs.

Direction sets are cached by it and saved PNGs record it, so a picture can find the model that made it again.
A run folder is identified by its exported generator when it has one, else by its checkpoint. Hashes are
remembered per (path, size, mtime), so asking twice does not read a large file twice.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

from ganstudio.paths import CHECKPOINT_NAME, ONNX_NAME

_lock = threading.Lock()
_known: dict[tuple[str, int, int], str] = {}


def weights_file(path: Path | str) -> Path:
    """The file that holds a model's weights: the path itself, or inside a run folder its export or checkpoint."""
    path = Path(path)
    if path.is_dir():
        exported = path / ONNX_NAME
        return exported if exported.is_file() else path / CHECKPOINT_NAME
    return path


def model_sha256(path: Path | str) -> str:
    """Hex SHA-256 of the model's weights file. Raises OSError when it cannot be read."""
    file = weights_file(path)
    stat = file.stat()
    key = (str(file.resolve()), stat.st_size, stat.st_mtime_ns)
    with _lock:
        if key in _known:
            return _known[key]
    digest = hashlib.sha256()
    with open(file, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    value = digest.hexdigest()
    with _lock:
        _known[key] = value
    return value


def find_model_by_hash(sha256: str, candidates: list[Path]) -> Path | None:
    """The first candidate (a shipped or recent model) whose weights hash to `sha256`, or None."""
    for candidate in candidates:
        try:
            if weights_file(candidate).is_file() and model_sha256(candidate) == sha256:
                return candidate
        except OSError:
            continue
    return None
