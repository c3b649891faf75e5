"""What a model card records so its model can be reproduced: the code revision and the data files' hashes."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def code_revision(repo: Path = REPO) -> str:
    """The git commit the code was at, with "+changes" when tracked files differed from it; "unknown" outside git."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True, timeout=10
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=repo,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{head}+changes" if dirty else head


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def named_data_files(name: str, data_dir: Path | None = None) -> dict[str, str]:
    """{file name: SHA-256 of the file as stored} of both splits of a built-in dataset, where they are found."""
    from ganstudio.core.data import named

    hashes: dict[str, str] = {}
    for split in named.SPLITS:
        for folder, _ in named.search_locations(name, data_dir):
            pair = named.find_pair(name, folder, split)
            if pair is not None:
                hashes.update({path.name: file_sha256(path) for path in pair})
                break
    return hashes


def folder_digest(folder: Path) -> dict[str, str | int]:
    """One SHA-256 over every file's relative path and bytes, in sorted order: equal exactly when the folder is."""
    digest, count = hashlib.sha256(), 0
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode("utf-8") + b"\0")
        digest.update(file_sha256(path).encode("ascii"))
        count += 1
    return {"files": count, "sha256": digest.hexdigest()}
