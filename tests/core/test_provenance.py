"""What a model card records to reproduce its model: the code revision and the data files' hashes."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest

from ganstudio.recipes.provenance import code_revision, file_sha256, folder_digest, named_data_files
from tests.data_paths import shared_mnist


def test_file_hash_is_the_sha256_of_its_bytes(tmp_path):
    path = tmp_path / "a.bin"
    path.write_bytes(b"x" * 3_000_000)
    assert file_sha256(path) == hashlib.sha256(b"x" * 3_000_000).hexdigest()


def test_folder_digest_changes_with_a_byte_or_a_name_and_not_with_the_order_files_were_made(tmp_path):
    for name, order in (("a", ("1.png", "sub/2.png")), ("b", ("sub/2.png", "1.png"))):
        for file in order:
            path = tmp_path / name / file
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(file.encode())
    assert (
        folder_digest(tmp_path / "a")
        == folder_digest(tmp_path / "b")
        == {
            "files": 2,
            "sha256": folder_digest(tmp_path / "a")["sha256"],
        }
    )
    (tmp_path / "b" / "1.png").write_bytes(b"changed")
    assert folder_digest(tmp_path / "a")["sha256"] != folder_digest(tmp_path / "b")["sha256"]
    (tmp_path / "b" / "1.png").write_bytes(b"1.png")
    (tmp_path / "b" / "1.png").rename(tmp_path / "b" / "3.png")
    assert folder_digest(tmp_path / "a")["sha256"] != folder_digest(tmp_path / "b")["sha256"]


def test_named_data_files_hash_both_splits_where_they_are():
    folder = shared_mnist()
    if not folder.is_dir():
        pytest.skip("MNIST is not on this machine")
    hashes = named_data_files("mnist", folder)
    assert hashes and all(len(h) == 64 for h in hashes.values())
    for name, digest in hashes.items():
        assert file_sha256(next(folder.glob(name))) == digest


def test_code_revision_is_the_commit_and_says_when_tracked_files_changed(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    repo.mkdir()

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout.strip()

    git("init", "-q")
    (repo / "f.txt").write_text("one")
    git("add", "f.txt")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "one")
    head = git("rev-parse", "HEAD")
    assert code_revision(repo) == head
    (repo / "untracked.txt").write_text("not part of the code")
    assert code_revision(repo) == head
    (repo / "f.txt").write_text("two")
    assert code_revision(repo) == f"{head}+changes"
    assert code_revision(Path(tmp_path / "not-a-repo")) == "unknown"
