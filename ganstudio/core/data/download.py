"""Downloader for MNIST and Fashion-MNIST with mirrors, checksums and cancellation.

How a file is verified (see `verify_file`):

* `gz_sha256` is the SHA-256 of the .gz file exactly as its publisher serves it.
  A match proves the file intact without decompressing it.
* `sha256` is the SHA-256 of the DECOMPRESSED IDX contents. It is the one that
  matters: mirrors and distributions (the Debian package, the shared copies on
  our build machines) recompress the files, which changes the .gz bytes but not
  the contents. A file passes if either hash matches.
* A gz mismatch alone never rejects a file (it may be a recompressed copy); the
  decompressed hash then decides. Where that is unknown (None), the file passes only
  if it is a strictly valid IDX file holding the expected number of items of the
  expected shape. (All eight recorded files do have a decompressed hash.)

Provenance of every recorded hash is noted next to it; none is made up.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ganstudio.core.data.dataset import DataError
from ganstudio.core.data.idx import content_sha256, read_idx, read_idx_header

ProgressFn = Callable[[str, int, int | None], None]
CancelFn = Callable[[], bool]

CHUNK_BYTES = 64 * 1024
DATA_ENV_VAR = "GANSTUDIO_DATA"


class DownloadCancelled(DataError):
    """The user cancelled a download; the partial file has been removed."""


@dataclass(frozen=True)
class FileSpec:
    """One IDX file of a dataset, as published."""

    name: str  # file name as served by the mirrors, e.g. "train-images-idx3-ubyte.gz"
    split: str  # "train" or "test"
    kind: str  # "images" or "labels"
    items: int  # first dimension: number of images or labels
    sha256: str | None  # SHA-256 of the decompressed contents; None when unknown
    gz_sha256: str | None = None  # SHA-256 of the publisher's .gz file; None when unknown

    @property
    def shape(self) -> tuple[int, ...]:
        return (self.items, 28, 28) if self.kind == "images" else (self.items,)

    @property
    def contents_bytes(self) -> int:
        """Size of the decompressed IDX file: the header (4 bytes + 4 per dimension) and one byte per value."""
        return 4 + 4 * len(self.shape) + math.prod(self.shape)

    @property
    def max_download_bytes(self) -> int:
        """No honest copy is larger: even gzip without compression adds well under 1% plus its header."""
        return self.contents_bytes + self.contents_bytes // 100 + 64 * 1024


@dataclass(frozen=True)
class DatasetSpec:
    name: str  # canonical name, also the cache sub-folder
    title: str  # for messages: "MNIST", "Fashion-MNIST"
    mirrors: tuple[str, ...]  # base URLs, each ending in "/"
    files: tuple[FileSpec, ...]

    def file(self, split: str, kind: str) -> FileSpec | None:
        return next((f for f in self.files if f.split == split and f.kind == kind), None)


def _mnist_files() -> tuple[FileSpec, ...]:
    # Decompressed t10k hashes: computed from the official t10k *.gz files (10,000 items each).
    # Decompressed train hashes: recorded identically by many independent public projects
    #   (e.g. the sstt Makefile, candle/kettle's MNIST_FILES, evgena's dataset table), which
    #   also list exactly our computed t10k values.
    # gz hashes: the original LeCun archives as torchvision's ossci mirror and the cvdf mirror
    #   serve them (torchvision MNIST resources, TFDS, dozens of download scripts agree).
    return (
        FileSpec(
            "train-images-idx3-ubyte.gz",
            "train",
            "images",
            60_000,
            sha256="ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
            gz_sha256="440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        ),
        FileSpec(
            "train-labels-idx1-ubyte.gz",
            "train",
            "labels",
            60_000,
            sha256="65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
            gz_sha256="3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        ),
        FileSpec(
            "t10k-images-idx3-ubyte.gz",
            "test",
            "images",
            10_000,
            sha256="0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            gz_sha256="8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        ),
        FileSpec(
            "t10k-labels-idx1-ubyte.gz",
            "test",
            "labels",
            10_000,
            sha256="ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
            gz_sha256="f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        ),
    )


def _fashion_files() -> tuple[FileSpec, ...]:
    # Decompressed hashes: computed here from the Debian package dataset-fashion-mnist
    #   0.0~git20200523.55506a9-1 (/usr/share/datasets/fashion-mnist, 60,000 / 10,000 items);
    #   the sstt project's Makefile records the same four values.
    # gz hashes: the files served by the Zalando S3 bucket and GitHub, as recorded by
    #   Britefury/batchup (batchup/datasets/fashion_mnist.py) and another public checksum table.
    return (
        FileSpec(
            "train-images-idx3-ubyte.gz",
            "train",
            "images",
            60_000,
            sha256="c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            gz_sha256="08dc20ab1689590a0bcd66e874647b6ee8464e2d501b5a3f1f78831db19a3fdc",
        ),
        FileSpec(
            "train-labels-idx1-ubyte.gz",
            "train",
            "labels",
            60_000,
            sha256="bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
            gz_sha256="b0197879cbda89f3dc7b894f9fd52b858e68ea4182b6947c9d8c2b67e5f18dcc",
        ),
        FileSpec(
            "t10k-images-idx3-ubyte.gz",
            "test",
            "images",
            10_000,
            sha256="5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            gz_sha256="78dcbbfb5a27efaf1b6c1d616caca68560be8766c5bffcb2791df9273a534229",
        ),
        FileSpec(
            "t10k-labels-idx1-ubyte.gz",
            "test",
            "labels",
            10_000,
            sha256="0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
            gz_sha256="42bd18137a62d5998cdeae52bf3a0676ac6b706f5cf8439b47bb5b151ae3dccf",
        ),
    )


DATASET_FILES: dict[str, DatasetSpec] = {
    "mnist": DatasetSpec(
        name="mnist",
        title="MNIST",
        mirrors=(
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
            "http://yann.lecun.com/exdb/mnist/",
        ),
        files=_mnist_files(),
    ),
    "fashion-mnist": DatasetSpec(
        name="fashion-mnist",
        title="Fashion-MNIST",
        mirrors=(
            "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
            "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
        ),
        files=_fashion_files(),
    ),
}

_ALIASES: dict[str, str] = {
    "mnist": "mnist",
    "fashion-mnist": "fashion-mnist",
    "fashion_mnist": "fashion-mnist",
    "fashionmnist": "fashion-mnist",
    "fashion": "fashion-mnist",
}


def builtin_dataset(spec: str) -> str | None:
    """The canonical name ("mnist", "fashion-mnist") when `spec` names a built-in dataset, else None.

    The one answer to "is this a built-in dataset": "mnist" (any accepted spelling) is the built-in dataset even
    when a folder of that name exists, while "./mnist" or "data/mnist" is that folder.
    """
    if not spec or "/" in spec or "\\" in spec:
        return None
    return _ALIASES.get(spec.strip().lower())


def canonical_name(name: str) -> str:
    """Map the accepted spellings ("fashion_mnist", "Fashion") to "mnist" or "fashion-mnist"."""
    key = name.strip().lower()
    if key not in _ALIASES:
        raise DataError(f"unknown dataset {name!r}; the built-in datasets are: {', '.join(DATASET_FILES)}")
    return _ALIASES[key]


# ---------------------------------------------------------------- verification


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_file(path: Path, spec: FileSpec) -> str | None:
    """None when `path` holds `spec`'s data, else the reason it does not (for messages).

    Every read is bounded by the size `spec` implies: a mismatching or hostile download is never inflated past it.
    """
    try:
        if spec.gz_sha256 is not None and _sha256_file(path) == spec.gz_sha256:
            return None
        if spec.sha256 is not None:
            found = content_sha256(path, max_bytes=spec.contents_bytes)
            if found != spec.sha256:
                return f"{path}: wrong contents (SHA-256 of the decompressed data is {found}, expected {spec.sha256})"
            return None
        # No known hash: fall back to structural checks, which still catch truncation and wrong files.
        shape = read_idx_header(path).dims
        if shape != spec.shape:
            return f"{path}: expected {spec.kind} of shape {spec.shape}, found {shape}"
        read_idx(path)  # now known to be of the expected, small size
    except (DataError, OSError) as exc:
        return str(exc)
    return None


# ---------------------------------------------------------------- download


def _check_cancel(cancel: CancelFn | None, name: str) -> None:
    if cancel is not None and cancel():
        raise DownloadCancelled(f"download of {name} cancelled")


def _content_length(response: object) -> int | None:
    value = getattr(response, "headers", {}).get("Content-Length")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


class DownloadTooLarge(DataError):
    """A mirror sent (or announced) more bytes than any honest copy of the file has."""


def _stream_to(
    url: str, part: Path, spec: FileSpec, progress: ProgressFn | None, cancel: CancelFn | None, timeout: float
) -> None:
    import urllib.request  # here, not at the top: the app imports this package at startup and rarely downloads

    name, limit = spec.name, spec.max_download_bytes
    request = urllib.request.Request(url, headers={"User-Agent": "ganstudio"})
    with urllib.request.urlopen(request, timeout=timeout) as response, open(part, "wb") as out:
        total = _content_length(response)
        if total is not None and total > limit:
            raise DownloadTooLarge(f"the server announces {total:,} bytes, more than the {limit:,} this file can be")
        done = 0
        if progress is not None:
            progress(name, 0, total)
        while True:
            _check_cancel(cancel, name)
            chunk = response.read(CHUNK_BYTES)
            if not chunk:
                break
            done += len(chunk)
            if done > limit:
                raise DownloadTooLarge(f"the server sent more than the {limit:,} bytes this file can be")
            out.write(chunk)
            if progress is not None:
                progress(name, done, total)
    if total is not None and done != total:
        # urllib does not always raise when a server closes the connection early.
        raise ConnectionError(f"connection closed after {done:,} of {total:,} bytes")


def _failure_reason(exc: BaseException) -> str:
    import urllib.error

    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP error {exc.code} ({exc.reason})"
    if isinstance(exc, urllib.error.URLError):
        return f"cannot connect ({exc.reason})"
    return str(exc) or type(exc).__name__


def _remove_quietly(path: Path) -> None:
    # Leaving a stray .part behind beats hiding the real error behind a cleanup failure.
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)


def _try_mirror(
    url: str, spec: FileSpec, target: Path, progress: ProgressFn | None, cancel: CancelFn | None, timeout: float
) -> str | None:
    """Fetch one URL into `target`; None on success, else why it failed."""
    from http.client import HTTPException

    part = target.with_name(target.name + ".part")
    try:
        _stream_to(url, part, spec, progress, cancel, timeout)
        reason = verify_file(part, spec)
        if reason is None:
            # Rename only once verified, so a present file is always a good file.
            os.replace(part, target)
        return reason
    except DownloadCancelled:
        raise
    except (OSError, HTTPException, ValueError, DataError) as exc:  # ValueError: malformed mirror URL
        return _failure_reason(exc)
    except MemoryError:
        return "ran out of memory while checking the download"
    except Exception as exc:  # whatever one mirror does wrong, the next mirror still gets its turn
        return f"unexpected {type(exc).__name__}: {exc}"
    finally:
        # Covers failure, bad hash and cancellation (DownloadCancelled propagates through here).
        _remove_quietly(part)


def _join(mirror: str, name: str) -> str:
    return mirror if mirror.endswith(name) else mirror.rstrip("/") + "/" + name


def _offline_message(spec: DatasetSpec, dest_dir: Path, missing: list[FileSpec], failures: list[str]) -> str:
    lines = [f"Could not download {spec.title}: every mirror failed."]
    lines += [f"  {f}" for f in failures]
    lines.append(
        f"If this computer is offline or the mirrors are blocked, get these files elsewhere "
        f"(for example from {spec.mirrors[0]}) and put them, still gzipped, in the folder {dest_dir}:"
    )
    lines += [f"  {f.name}" for f in missing]
    lines.append(
        f"Or keep them in any folder and point GAN Studio at it with the --data-dir option "
        f"or the {DATA_ENV_VAR} environment variable."
    )
    return "\n".join(lines)


def _download_file(
    spec: DatasetSpec,
    file: FileSpec,
    dest_dir: Path,
    mirrors: Sequence[str],
    progress: ProgressFn | None,
    cancel: CancelFn | None,
    timeout: float,
) -> list[str]:
    """Fetch one file trying mirror after mirror; the failures, empty on success."""
    failures: list[str] = []
    target = dest_dir / file.name
    for mirror in mirrors:
        _check_cancel(cancel, file.name)
        url = _join(mirror, file.name)
        reason = _try_mirror(url, file, target, progress, cancel, timeout)
        if reason is None:
            return []
        failures.append(f"{url}: {reason}")
    return failures


def download_dataset(
    name: str,
    dest_dir: Path,
    progress: ProgressFn | None = None,
    mirrors: Sequence[str] | None = None,
    cancel: CancelFn | None = None,
    timeout: float = 30,
) -> Path:
    """Make `dest_dir` hold all files of dataset `name`, downloading the missing or damaged ones.

    progress(filename, bytes_done, bytes_total_or_None) is called as bytes arrive;
    cancel() is polled between chunks. Returns `dest_dir`.
    """
    spec = DATASET_FILES[canonical_name(name)]
    dest_dir = Path(dest_dir)
    try:
        dest_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"cannot create the download folder {dest_dir} ({exc.strerror or exc})") from exc
    urls = tuple(mirrors) if mirrors is not None else spec.mirrors
    for i, file in enumerate(spec.files):
        _check_cancel(cancel, file.name)
        target = dest_dir / file.name
        if target.is_file() and verify_file(target, file) is None:
            continue
        failures = _download_file(spec, file, dest_dir, urls, progress, cancel, timeout)
        if failures:
            missing = [f for f in spec.files[i:] if verify_file(dest_dir / f.name, f) is not None]
            raise DataError(_offline_message(spec, dest_dir, missing, failures))
    return dest_dir
