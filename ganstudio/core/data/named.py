"""Finding and loading the built-in datasets, MNIST and Fashion-MNIST.

Search order for a dataset's files (the first folder holding a complete pair wins):
  1. the explicit `data_dir` (the --data-dir option), the files directly in it or in `<name>/`
  2. the folder named by the GANSTUDIO_DATA environment variable, likewise
  3. the user cache, `<user_cache_dir("ganstudio")>/datasets/<name>`, where downloads go
  4. system folders, e.g. /usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist)
A folder qualifies with the train pair (split "train") or else the t10k pair (split "test").
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
from PIL import Image

from ganstudio.core.data.dataset import DataError, ImageDataset
from ganstudio.core.data.download import (
    DATA_ENV_VAR,
    DATASET_FILES,
    CancelFn,
    FileSpec,
    ProgressFn,
    canonical_name,
    download_dataset,
)
from ganstudio.core.data.idx import content_sha256, read_idx
from ganstudio.paths import user_cache_root

CLASS_NAMES: dict[str, tuple[str, ...]] = {
    "mnist": tuple(str(d) for d in range(10)),
    "fashion-mnist": (
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ),
}

# Read-only folders where distributions install the datasets.
SYSTEM_DIRS: dict[str, tuple[Path, ...]] = {
    "fashion-mnist": (Path("/usr/share/datasets/fashion-mnist"),),
}

SPLITS: tuple[str, ...] = ("train", "test")


def _ignore(_: str) -> None:
    pass


def default_download_dir(name: str) -> Path:
    """Where downloads of dataset `name` go."""
    return user_cache_root() / "datasets" / canonical_name(name)


def search_locations(name: str, data_dir: Path | None = None) -> list[tuple[Path, str]]:
    """Candidate folders in search order, each with a word on where it came from (for messages)."""
    name = canonical_name(name)
    found: list[tuple[Path, str]] = []
    if data_dir is not None:
        found += [(Path(data_dir), "--data-dir"), (Path(data_dir) / name, "--data-dir")]
    env = os.environ.get(DATA_ENV_VAR, "").strip()
    if env:
        found += [(Path(env), DATA_ENV_VAR), (Path(env) / name, DATA_ENV_VAR)]
    found.append((default_download_dir(name), "download cache"))
    found += [(p, "system") for p in SYSTEM_DIRS.get(name, ())]
    unique: dict[Path, str] = {}
    for path, origin in found:
        unique.setdefault(path, origin)
    return list(unique.items())


def _candidate_names(file: FileSpec) -> tuple[str, ...]:
    # Users gunzip the files, and the original site spells them "train-images.idx3-ubyte".
    stem = file.name.removesuffix(".gz")
    dotted = stem.replace("-idx", ".idx")
    return (file.name, stem, dotted, dotted + ".gz")


def find_file(folder: Path, file: FileSpec) -> Path | None:
    return next((folder / n for n in _candidate_names(file) if (folder / n).is_file()), None)


def find_pair(name: str, folder: Path, split: str) -> tuple[Path, Path] | None:
    """The (images, labels) files of `split` in `folder`, or None unless both are there."""
    spec = DATASET_FILES[canonical_name(name)]
    image_spec, label_spec = spec.file(split, "images"), spec.file(split, "labels")
    if image_spec is None or label_spec is None:
        return None
    images, labels = find_file(folder, image_spec), find_file(folder, label_spec)
    if images is None or labels is None:
        return None
    return images, labels


# The largest published labels file: a bigger one is neither dataset's, and is not inflated to find that out.
_LABELS_MAX_BYTES = max(8 + f.items for spec in DATASET_FILES.values() for f in spec.files if f.kind == "labels")


def other_dataset_of(name: str, label_path: Path, split: str) -> str | None:
    """The other built-in dataset whose labels file this is, or None.

    MNIST and Fashion-MNIST use the very same file names, so a folder of MNIST files would otherwise pass for
    Fashion-MNIST (and the reverse). The labels files are small (10-60 kB), so hashing one is cheap; its
    contents tell the datasets apart for certain.
    """
    try:
        digest = content_sha256(label_path, max_bytes=_LABELS_MAX_BYTES)
    except (OSError, DataError):
        return None  # unreadable files are reported when the split is read
    for other, spec in DATASET_FILES.items():
        label_spec = spec.file(split, "labels")
        if other != canonical_name(name) and label_spec is not None and label_spec.sha256 == digest:
            return other
    return None


def recognise_idx_folder(folder: Path) -> str | None:
    """The built-in dataset whose IDX files lie in `folder` (or its `<name>/` subfolder), or None.

    Either split suffices, gzipped or not. Both datasets use the same file names, so the labels' hash says which
    it is; labels matching neither dataset's published files are taken for MNIST (both load the same way).
    """
    folder = Path(folder)
    for name in DATASET_FILES:
        for place in (folder, folder / name):
            for split in SPLITS:
                pair = find_pair(name, place, split)
                if pair is not None:
                    return other_dataset_of(name, pair[1], split) or name
    return None


def locate_dataset(name: str, data_dir: Path | None = None) -> tuple[Path, str] | None:
    """The first folder, in search order, holding the train pair or else the test pair of this dataset."""
    for folder, _origin in search_locations(name, data_dir):
        for split in SPLITS:
            pair = find_pair(name, folder, split)
            if pair is not None and other_dataset_of(name, pair[1], split) is None:
                return folder, split
    return None


def _not_found_message(name: str, data_dir: Path | None) -> str:
    spec = DATASET_FILES[name]
    lines = [f"{spec.title} was not found. GAN Studio looked in:"]
    lines += [f"  {path}  ({origin})" for path, origin in search_locations(name, data_dir)]
    train = [f.name for f in spec.files if f.split == "train"]
    test = [f.name for f in spec.files if f.split == "test"]
    lines.append(
        f"A folder qualifies if it holds {' and '.join(train)}, or the test pair alone: {' and '.join(test)} "
        "(gzipped or not)."
    )
    lines.append(
        f"To get them, let GAN Studio download them (into {default_download_dir(name)}), "
        f"or download them yourself from {spec.mirrors[0]} and choose their folder as the Data folder in the "
        f"Train tab (the --data-dir option of the command line, or the {DATA_ENV_VAR} environment variable)."
    )
    return "\n".join(lines)


def _check_arrays(images: np.ndarray, labels: np.ndarray, image_path: Path, label_path: Path, num_classes: int) -> None:
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
        raise DataError(
            f"{image_path}: expected 28x28 unsigned-byte images, found {images.dtype} data of shape {images.shape}"
        )
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise DataError(f"{label_path}: expected one unsigned-byte label per image, found shape {labels.shape}")
    if len(images) != len(labels):
        raise DataError(f"{image_path} holds {len(images):,} images but {label_path} holds {len(labels):,} labels")
    if len(labels) and int(labels.max()) >= num_classes:
        raise DataError(f"{label_path}: label {int(labels.max())} is out of range 0..{num_classes - 1}")


def read_split(name: str, folder: Path, split: str) -> ImageDataset:
    """Read one split of a built-in dataset from `folder` as (N, 1, 28, 28) uint8."""
    name = canonical_name(name)
    pair = find_pair(name, folder, split)
    if pair is None:
        raise DataError(f"{folder}: the {split} files of {DATASET_FILES[name].title} are not there")
    image_path, label_path = pair
    images, labels = read_idx(image_path), read_idx(label_path)
    classes = CLASS_NAMES[name]
    _check_arrays(images, labels, image_path, label_path, len(classes))
    return ImageDataset(images[:, None], labels.astype(np.int64), classes, name, split)


def load_named_dataset(
    name: str,
    data_dir: Path | None = None,
    download: bool = False,
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
    log: Callable[[str], None] = _ignore,
) -> ImageDataset:
    """Load MNIST or Fashion-MNIST, preferring the train split, downloading it if allowed."""
    name = canonical_name(name)
    found = locate_dataset(name, data_dir)
    downloaded = False
    if found is None:
        if not download:
            raise DataError(_not_found_message(name, data_dir))
        target = default_download_dir(name)
        log(f"{DATASET_FILES[name].title} was not found on this computer; downloading it into {target}")
        found = (download_dataset(name, target, progress=progress, cancel=cancel), "train")
        downloaded = True
    folder, split = found
    dataset = read_split(name, folder, split)
    log(_usage_line(dataset, folder, downloaded))
    return dataset


def _usage_line(dataset: ImageDataset, folder: Path, downloaded: bool) -> str:
    line = f"{dataset.name}: using the {dataset.split} split ({len(dataset):,} images) from {folder}"
    if downloaded:
        line += " (just downloaded)"
    if dataset.split != "train":
        line += " — train split not found"
    return line


def _resize_plane(plane: np.ndarray, size: int) -> np.ndarray:
    resized = Image.fromarray(plane).resize((size, size), Image.Resampling.BICUBIC)
    return np.asarray(resized, dtype=np.uint8)


def resize_dataset(dataset: ImageDataset, size: int) -> ImageDataset:
    """Resize every image to size x size (bicubic), so 28/32/64-pixel models can all train on MNIST.

    Resizing rather than padding 28 -> 32 keeps the digit filling the frame, which is
    what the 32 and 64 architectures see on other datasets.
    """
    if size < 1:
        raise ValueError(f"image size must be positive, got {size}")
    if dataset.image_size == size and dataset.images.shape[3] == size:
        return dataset
    n, c = dataset.images.shape[:2]
    out = np.empty((n, c, size, size), dtype=np.uint8)
    for i in range(n):
        for ch in range(c):
            out[i, ch] = _resize_plane(dataset.images[i, ch], size)
    return replace(dataset, images=out)


def convert_channels(dataset: ImageDataset, channels: int) -> ImageDataset:
    """Make a dataset 1- or 3-channel: grey is repeated into RGB, RGB is reduced to luminance."""
    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 or 3, got {channels}")
    have = dataset.channels
    if have == channels:
        return dataset
    if have == 1:
        return replace(dataset, images=np.repeat(dataset.images, 3, axis=1))
    if have == 3:
        # ITU-R 601-2 luma, the same weights PIL's convert("L") uses.
        weights = np.array([0.299, 0.587, 0.114], dtype=np.float32).reshape(1, 3, 1, 1)
        grey = (dataset.images.astype(np.float32) * weights).sum(axis=1, keepdims=True)
        return replace(dataset, images=np.clip(np.rint(grey), 0, 255).astype(np.uint8))
    raise ValueError(f"cannot convert {have}-channel images to {channels} channels")
