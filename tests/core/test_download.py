"""Downloader against a local HTTP server serving copies of the real MNIST test files.

The spec under test is the real MNIST spec cut down to the t10k pair, with the real
hashes, so passing proves the hash check accepts genuine data.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import shutil
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ganstudio.core.data import (
    DATASET_FILES,
    DataError,
    DownloadCancelled,
    download_dataset,
    read_idx,
)
from ganstudio.core.data import download as download_module
from ganstudio.core.data.download import FileSpec, canonical_name, verify_file
from tests.core.bombs import RSS_LIMIT_MB, gzip_bomb, idx_header, run_measured
from tests.data_paths import shared_mnist

SHARED_MNIST = shared_mnist()
T10K = ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")

pytestmark = pytest.mark.skipif(
    not all((SHARED_MNIST / f).is_file() for f in T10K),
    reason=f"shared MNIST test files not found in {SHARED_MNIST}",
)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def served_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """good/ real copies, bad/ gzip-valid copies with altered contents, empty/ nothing (404), bomb/ a 512 MiB gzip
    bomb for the images and an oversized labels file."""
    root = tmp_path_factory.mktemp("mirrors")
    for sub in ("good", "bad", "empty", "bomb"):
        (root / sub).mkdir()
    gzip_bomb(root / "bomb" / T10K[0], idx_header(0x08, (10_000, 28, 28)), zero_mib=512)
    (root / "bomb" / T10K[1]).write_bytes(bytes(200_000))  # more than any copy of a 10,008-byte file can be
    for name in T10K:
        shutil.copy(SHARED_MNIST / name, root / "good" / name)
        data = bytearray(gzip.decompress((SHARED_MNIST / name).read_bytes()))
        data[-1] ^= 0xFF  # still a well-formed IDX file: only the hash can tell
        (root / "bad" / name).write_bytes(gzip.compress(bytes(data), compresslevel=1))
    return root


@pytest.fixture(scope="module")
def server(served_root: Path) -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(served_root))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture()
def t10k_only(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = DATASET_FILES["mnist"]
    cut = replace(spec, files=tuple(f for f in spec.files if f.name in T10K))
    monkeypatch.setitem(download_module.DATASET_FILES, "mnist", cut)


def _no_part_files(folder: Path) -> bool:
    return not list(folder.glob("*.part"))


def test_recorded_test_hashes_match_the_shared_files() -> None:
    for file in (f for f in DATASET_FILES["mnist"].files if f.name in T10K):
        digest = hashlib.sha256(gzip.decompress((SHARED_MNIST / file.name).read_bytes())).hexdigest()
        assert digest == file.sha256
        assert verify_file(SHARED_MNIST / file.name, file) is None


def test_download_from_good_mirror(server: str, tmp_path: Path, t10k_only: None) -> None:
    calls: list[tuple[str, int, int | None]] = []
    dest = tmp_path / "data"
    result = download_dataset("mnist", dest, progress=lambda *a: calls.append(a), mirrors=[f"{server}/good/"])
    assert result == dest
    for name in T10K:
        assert (dest / name).read_bytes() == (SHARED_MNIST / name).read_bytes()
    assert read_idx(dest / T10K[0]).shape == (10_000, 28, 28)
    assert _no_part_files(dest)
    last = [c for c in calls if c[0] == T10K[0]][-1]
    assert last[1] == last[2] == (SHARED_MNIST / T10K[0]).stat().st_size
    assert len([c for c in calls if c[0] == T10K[0]]) > 2  # streamed in chunks, not one read


def test_bad_mirror_rejected_then_good_mirror_used(server: str, tmp_path: Path, t10k_only: None) -> None:
    dest = tmp_path / "data"
    download_dataset("mnist", dest, mirrors=[f"{server}/bad/", f"{server}/good/"])
    for name in T10K:
        assert (dest / name).read_bytes() == (SHARED_MNIST / name).read_bytes()
    assert _no_part_files(dest)


def test_connection_refused_and_404_then_good(server: str, tmp_path: Path, t10k_only: None) -> None:
    dest = tmp_path / "data"
    download_dataset("mnist", dest, mirrors=["http://127.0.0.1:9/", f"{server}/empty/", f"{server}/good"], timeout=5)
    assert all((dest / name).is_file() for name in T10K)


def test_all_mirrors_bad_gives_offline_message(server: str, tmp_path: Path, t10k_only: None) -> None:
    dest = tmp_path / "data"
    with pytest.raises(DataError) as info:
        download_dataset("mnist", dest, mirrors=[f"{server}/bad/", f"{server}/empty/"])
    message = str(info.value)
    assert str(dest) in message
    for name in T10K:
        assert name in message
    assert "--data-dir" in message and "GANSTUDIO_DATA" in message
    assert "HTTP error 404" in message and "SHA-256" in message
    assert not list(dest.iterdir())  # no .part, no bad file


def test_present_valid_files_are_skipped(server: str, tmp_path: Path, t10k_only: None) -> None:
    dest = tmp_path / "data"
    dest.mkdir()
    for name in T10K:
        shutil.copy(SHARED_MNIST / name, dest / name)
    calls: list[tuple[str, int, int | None]] = []
    download_dataset("mnist", dest, progress=lambda *a: calls.append(a), mirrors=[f"{server}/empty/"])
    assert calls == []


def test_damaged_present_file_is_replaced(server: str, tmp_path: Path, t10k_only: None) -> None:
    dest = tmp_path / "data"
    dest.mkdir()
    (dest / T10K[1]).write_bytes(b"half a file")
    download_dataset("mnist", dest, mirrors=[f"{server}/good/"])
    assert (dest / T10K[1]).read_bytes() == (SHARED_MNIST / T10K[1]).read_bytes()


def test_cancel_mid_file_removes_part(server: str, tmp_path: Path, t10k_only: None) -> None:
    dest = tmp_path / "data"
    polls = {"n": 0}

    def cancel() -> bool:
        polls["n"] += 1
        return polls["n"] > 5  # a few chunks in

    with pytest.raises(DownloadCancelled):
        download_dataset("mnist", dest, mirrors=[f"{server}/good/"], cancel=cancel)
    assert not list(dest.iterdir())


def test_cancelled_is_a_data_error() -> None:
    assert issubclass(DownloadCancelled, DataError)


def test_real_specs_are_complete() -> None:
    names = {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", *T10K}
    for spec in DATASET_FILES.values():
        assert {f.name for f in spec.files} == names
        assert all(m.endswith("/") for m in spec.mirrors)
        for f in spec.files:
            for digest in (f.sha256, f.gz_sha256):
                assert digest is None or (len(digest) == 64 and int(digest, 16) >= 0)
    assert all(f.sha256 is not None for spec in DATASET_FILES.values() for f in spec.files)


@pytest.mark.parametrize("alias", ["fashion", "Fashion_MNIST", "fashion-mnist", "fashionmnist"])
def test_aliases(alias: str) -> None:
    assert canonical_name(alias) == "fashion-mnist"


def test_unknown_name() -> None:
    with pytest.raises(DataError, match="unknown dataset"):
        canonical_name("cifar10")


def _respec(monkeypatch: pytest.MonkeyPatch, **changes: object) -> None:
    """Install a t10k-only MNIST spec whose files have `changes` applied."""
    spec = DATASET_FILES["mnist"]
    files = tuple(replace(f, **changes) for f in spec.files if f.name in T10K)  # type: ignore[arg-type]
    monkeypatch.setitem(download_module.DATASET_FILES, "mnist", replace(spec, files=files))


def test_without_hashes_a_valid_idx_of_the_right_size_passes(
    server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _respec(monkeypatch, sha256=None, gz_sha256=None)
    download_dataset("mnist", tmp_path, mirrors=[f"{server}/good/"])
    assert all((tmp_path / name).is_file() for name in T10K)


def test_without_hashes_a_wrong_item_count_is_rejected(
    server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _respec(monkeypatch, sha256=None, gz_sha256=None, items=60_000)
    with pytest.raises(DataError, match=r"expected images of shape \(60000, 28, 28\)"):
        download_dataset("mnist", tmp_path, mirrors=[f"{server}/good/"])
    assert not list(tmp_path.iterdir())


def test_gz_hash_alone_accepts_the_exact_archive(server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = DATASET_FILES["mnist"]
    files = tuple(
        replace(f, sha256=None, gz_sha256=hashlib.sha256((SHARED_MNIST / f.name).read_bytes()).hexdigest())
        for f in spec.files
        if f.name in T10K
    )
    monkeypatch.setitem(download_module.DATASET_FILES, "mnist", replace(spec, files=files))
    download_dataset("mnist", tmp_path, mirrors=[f"{server}/good/"])
    assert all((tmp_path / name).read_bytes() == (SHARED_MNIST / name).read_bytes() for name in T10K)


_DOWNLOAD_BOMB = """
from dataclasses import replace
from pathlib import Path
from ganstudio.core.data import DataError, download as d
spec = d.DATASET_FILES["mnist"]
d.DATASET_FILES["mnist"] = replace(spec, files=tuple(f for f in spec.files if f.name == {name!r}))
try:
    d.download_dataset("mnist", Path({dest!r}), mirrors=[{mirror!r}])
    result = "downloaded"
except DataError as exc:
    result = str(exc)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="peak memory from /proc (Linux only)")
def test_a_gzip_bomb_download_is_rejected_with_bounded_memory(server: str, tmp_path: Path) -> None:
    code = _DOWNLOAD_BOMB.format(name=T10K[0], dest=str(tmp_path / "data"), mirror=f"{server}/bomb/")
    report = run_measured(code)
    assert "more than 7,840,016 bytes of contents" in report["result"]
    assert report["peak_rss_mb"] < RSS_LIMIT_MB
    assert not list((tmp_path / "data").iterdir())


def test_a_bomb_mirror_falls_through_to_the_next(server: str, tmp_path: Path, t10k_only: None) -> None:
    dest = tmp_path / "data"
    download_dataset("mnist", dest, mirrors=[f"{server}/bomb/", f"{server}/good/"])
    for name in T10K:
        assert (dest / name).read_bytes() == (SHARED_MNIST / name).read_bytes()
    assert _no_part_files(dest)


def test_an_oversized_download_is_cut_off(server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = DATASET_FILES["mnist"]
    labels_only = replace(spec, files=tuple(f for f in spec.files if f.name == T10K[1]))
    monkeypatch.setitem(download_module.DATASET_FILES, "mnist", labels_only)
    with pytest.raises(DataError, match=r"the server announces 200,000 bytes, more than the 75,644 this file can be"):
        download_dataset("mnist", tmp_path, mirrors=[f"{server}/bomb/"])
    assert not list(tmp_path.iterdir())


def test_any_error_in_one_mirror_falls_to_the_next(
    server: str, tmp_path: Path, t10k_only: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_verify, calls = download_module.verify_file, {"n": 0}

    def verify_once_out_of_memory(path: Path, spec: FileSpec) -> str | None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise MemoryError
        return real_verify(path, spec)

    monkeypatch.setattr(download_module, "verify_file", verify_once_out_of_memory)
    download_dataset("mnist", tmp_path, mirrors=[f"{server}/good/", f"{server}/good/"])
    assert all((tmp_path / name).is_file() for name in T10K)
    assert _no_part_files(tmp_path)


def test_an_error_in_the_last_mirror_is_named_in_the_final_message(
    server: str, tmp_path: Path, t10k_only: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_verify = download_module.verify_file

    def broken(path: Path, spec: FileSpec) -> str | None:
        if path.suffix == ".part":  # a fresh download; files already in place are checked as usual
            raise RuntimeError("something odd")
        return real_verify(path, spec)

    monkeypatch.setattr(download_module, "verify_file", broken)
    with pytest.raises(DataError, match="unexpected RuntimeError: something odd") as info:
        download_dataset("mnist", tmp_path, mirrors=[f"{server}/good/"])
    assert "Could not download MNIST" in str(info.value)
