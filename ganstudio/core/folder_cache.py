"""Folders larger than memory: decode an image folder once into a memory-mapped uint8 .npy, then train from it.

The cache entry of a folder is keyed by a hash of its sorted (relative path, size, mtime_ns) list and the chosen
image size and channels, so adding, removing or editing an image, or asking for another size, builds a new entry
(and the folder's older entry is deleted). An entry is built in a temporary folder and renamed into place, so a
crash or a cancel never leaves a half-written entry that a later run would trust. Decoding is folder.py's own
(load_image_folder with `allocate` pointing at the file); a second run only lists and stats the files.

Training reads batches straight from the file (`MappedImages`): a batch is 128 reads of 12 KB from the page
cache, a few milliseconds at most beside a step of tens to hundreds, so DataLoader worker processes would add
inter-process copies and their own memory for little (docs/decisions/folder-cache.md). Nothing read stays in the
process, so its resident memory stays small however large the file is; the kernel keeps what fits in its page
cache for the next epoch.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import mmap
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ganstudio.core.data.dataset import ImageDataset
from ganstudio.core.data.download import DownloadCancelled
from ganstudio.core.data.folder import PROGRESS_LABEL, ProgressFn, _image_files, load_image_folder
from ganstudio.paths import user_cache_root

if TYPE_CHECKING:  # torch is imported when training starts, not when a folder is loaded
    import torch

CACHE_ENV_VAR = "GANSTUDIO_FOLDER_CACHE"  # overrides where decoded folders are kept
CACHE_VERSION = 1  # bump when the entry layout or the decoding changes, so old entries are rebuilt
IN_MEMORY_BYTES = 512 * 2**20  # a cached folder up to this size is copied to the training device, not streamed
RELEASE_BYTES = 32 * 2**20  # while decoding, hand written pages back to the kernel after this many bytes
_IMAGES, _LABELS, _META = "images.npy", "labels.npy", "meta.json"


class DecodeCancelled(DownloadCancelled):
    """The user cancelled decoding a folder into the cache; nothing was kept."""


def cache_root() -> Path:
    override = os.environ.get(CACHE_ENV_VAR, "").strip()
    return Path(override).expanduser() if override else user_cache_root() / "folders"


def folder_key(root: Path, files: list[Path], image_size: int, channels: int) -> str:
    """The cache key: the folder's sorted (relative path, size, mtime_ns) list and the decoding parameters."""
    h = hashlib.sha256(f"v{CACHE_VERSION}/{image_size}/{channels}\n".encode())
    for file in files:
        st = file.stat()
        h.update(f"{file.relative_to(root).as_posix()}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:24]


def _root_tag(root: Path) -> str:
    """Names every entry of one folder, so a rebuild can delete that folder's stale entries."""
    return hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:12]


def load_cached_folder(
    path: Path,
    image_size: int,
    channels: int,
    log: Callable[[str], None] = lambda _: None,
    progress: ProgressFn | None = None,
    cancel: Callable[[], bool] | None = None,
    min_images: int = 1,
    root_dir: Path | None = None,
) -> ImageDataset:
    """An image folder as an ImageDataset whose images are a read-only memory-mapped array.

    The first call decodes (progress("loading images", done, total), `cancel` checked as often); later calls
    with an unchanged folder open the cached file at once and repeat the log lines of the decode. Fewer than
    `min_images` readable images is load_image_folder's DataError.
    """
    root = Path(path)
    if not root.is_dir():
        return load_image_folder(root, image_size, channels, log=log)  # raises its "not found" / "not a folder"
    files = _image_files(root)
    if not files:
        return load_image_folder(root, image_size, channels, log=log)  # raises its "no images" message
    base = Path(root_dir) if root_dir is not None else cache_root()
    entry = base / f"{_root_tag(root)}-{folder_key(root, files, image_size, channels)}"
    dataset = _open_entry(entry, root)
    if dataset is not None and len(dataset) >= min_images:
        meta = json.loads((entry / _META).read_text())
        for line in meta["log"]:
            log(line)
        log(f"(decoded earlier: {len(dataset):,} images read from the cache in {entry.parent})")
        return dataset
    _build_entry(entry, root, image_size, channels, log, progress, cancel, min_images)
    _delete_stale_entries(entry)
    dataset = _open_entry(entry, root)
    assert dataset is not None, "a cache entry just built could not be opened"
    return dataset


def _open_entry(entry: Path, root: Path) -> ImageDataset | None:
    """The dataset of a complete cache entry, or None when there is none (or it is unreadable)."""
    try:
        meta = json.loads((entry / _META).read_text())
        images = np.load(entry / _IMAGES, mmap_mode="r")
        labels = np.load(entry / _LABELS)
        count = int(meta["count"])
        return ImageDataset(images[:count], labels[:count], tuple(meta["class_names"]), str(root), "")
    except (OSError, ValueError, KeyError, TypeError):  # missing, half-deleted or from an incompatible version
        return None


def _build_entry(
    entry: Path,
    root: Path,
    image_size: int,
    channels: int,
    log: Callable[[str], None],
    progress: ProgressFn | None,
    cancel: Callable[[], bool] | None,
    min_images: int,
) -> None:
    entry.parent.mkdir(parents=True, exist_ok=True)
    tmp = entry.parent / f"{entry.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    lines: list[str] = []
    writer: list[np.memmap] = []
    touched = [0]

    def allocate(shape: tuple[int, int, int, int]) -> np.ndarray:
        array = np.lib.format.open_memmap(tmp / _IMAGES, mode="w+", dtype=np.uint8, shape=shape)
        writer.append(array)
        return array

    def on_progress(what: str, done: int, total: int | None) -> None:
        if cancel is not None and cancel():
            raise DecodeCancelled(f"decoding {root} was cancelled; nothing was cached")
        if writer and what == PROGRESS_LABEL:  # written pages go to disk and leave this process's memory
            row_bytes = int(np.prod(writer[0].shape[1:]))
            if done * row_bytes - touched[0] >= RELEASE_BYTES:
                writer[0].flush()
                release_pages(writer[0])
                touched[0] = done * row_bytes
        if progress is not None:
            progress(what, done, total)

    def keep_line(line: str) -> None:
        lines.append(line)
        log(line)

    try:
        if cancel is not None and cancel():
            raise DecodeCancelled(f"decoding {root} was cancelled; nothing was cached")
        dataset = load_image_folder(
            root, image_size, channels, log=keep_line, progress=on_progress, min_images=min_images, allocate=allocate
        )
        count, class_names = len(dataset), list(dataset.class_names)
        writer[0].flush()
        np.save(tmp / _LABELS, dataset.labels)
        del dataset
        writer.clear()
        meta = {"version": CACHE_VERSION, "count": count, "class_names": class_names, "log": lines, "root": str(root)}
        (tmp / _META).write_text(json.dumps(meta, indent=1))
        try:
            tmp.rename(entry)
        except OSError:  # another process (a rank on this machine) finished the same entry first: use theirs
            if _open_entry(entry, root) is None:
                raise
    finally:
        writer.clear()
        shutil.rmtree(tmp, ignore_errors=True)


def _delete_stale_entries(entry: Path) -> None:
    """Remove the same folder's entries for an older state of it (a changed file list makes a new key)."""
    tag = entry.name.split("-")[0]
    for other in entry.parent.glob(f"{tag}-*"):
        if other != entry and ".tmp-" not in other.name:
            shutil.rmtree(other, ignore_errors=True)


def release_pages(array: np.ndarray) -> None:
    """Drop a memory-mapped array's resident pages from this process (they stay in the kernel's page cache, and
    are read back on the next access). No-op where the platform has no MADV_DONTNEED."""
    mapping = getattr(array, "_mmap", None)
    advice = getattr(mmap, "MADV_DONTNEED", None)
    if mapping is not None and advice is not None:
        with contextlib.suppress(OSError, ValueError):
            mapping.madvise(advice)


class MappedImages:
    """(N, C, H, W) uint8 images in a cached .npy, indexed like the in-memory tensor the trainer uses:
    `images[idx]` with a tensor of indices gives a uint8 tensor on the training device.

    Rows are read with one pread per image into the batch, not through the mapping: a page fault maps the pages
    around the one asked for as well (Linux's fault-around), so gathering through the mapping grows the process
    towards the file's size, and dropping the pages after each batch costs more faults than the reads do
    (2.2 ms for 128 rows of 12 KB by pread, on the 2-core VM with other jobs running). Where there is no
    os.preadv (Windows) the mapping is used, and its pages are dropped after each batch.
    """

    def __init__(self, array: np.memmap, device: torch.device) -> None:
        self.array = array
        self.device = device
        self.row_bytes = int(np.prod(array.shape[1:]))
        self._fd: int | None = None
        if hasattr(os, "preadv") and array.filename and array.flags.c_contiguous:
            self._fd = os.open(array.filename, os.O_RDONLY)
            self._offset = int(array.offset)  # our arrays are the .npy's rows from the first one on

    def __del__(self) -> None:
        if getattr(self, "_fd", None) is not None:
            os.close(self._fd)  # type: ignore[arg-type]

    def __len__(self) -> int:
        return len(self.array)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.array.shape)

    def __getitem__(self, idx: torch.Tensor) -> torch.Tensor:
        import torch

        wanted = idx.cpu().numpy()
        rows = np.empty((len(wanted), *self.array.shape[1:]), dtype=np.uint8)
        if self._fd is not None:
            for i in np.argsort(wanted, kind="stable").tolist():  # in file order: kinder to disks and readahead
                os.preadv(self._fd, [rows[i]], self._offset + int(wanted[i]) * self.row_bytes)
        else:
            rows[...] = self.array[wanted]
            release_pages(self.array)
        batch = torch.from_numpy(rows)
        return batch.to(self.device, non_blocking=True) if self.device.type != "cpu" else batch


def image_source(dataset: ImageDataset, device: torch.device) -> torch.Tensor | MappedImages:
    """The trainer's images: a uint8 tensor on `device`, or, for a cached folder too large to copy there,
    batches read from its memory-mapped file."""
    import torch

    images = dataset.images
    if isinstance(images, np.memmap):
        if images.nbytes > IN_MEMORY_BYTES:
            return MappedImages(images, device)
        mapped, images = images, np.array(images)  # a small cached folder: one read into memory, then as fast as ever
        release_pages(mapped)  # and the file's pages are not counted twice
    return torch.from_numpy(images).to(device)
