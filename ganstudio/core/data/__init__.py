"""The data layer: built-in datasets (MNIST, Fashion-MNIST) and image folders.

Everything here is Qt-free; the GUI passes plain callables for progress, cancel and log.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ganstudio.core.data.dataset import DataError, ImageDataset
from ganstudio.core.data.download import (
    DATA_ENV_VAR,
    DATASET_FILES,
    DatasetSpec,
    DownloadCancelled,
    FileSpec,
    builtin_dataset,
    canonical_name,
    download_dataset,
)
from ganstudio.core.data.folder import MIN_IMAGES, load_image_folder
from ganstudio.core.data.idx import read_idx, write_idx
from ganstudio.core.data.named import (
    CLASS_NAMES,
    convert_channels,
    default_download_dir,
    load_named_dataset,
    locate_dataset,
    read_split,
    recognise_idx_folder,
    resize_dataset,
)

__all__ = [
    "CLASS_NAMES",
    "DATASET_FILES",
    "DATA_ENV_VAR",
    "DataError",
    "DatasetSpec",
    "DownloadCancelled",
    "FileSpec",
    "ImageDataset",
    "builtin_dataset",
    "canonical_name",
    "convert_channels",
    "default_download_dir",
    "download_dataset",
    "load_dataset",
    "load_image_folder",
    "load_named_dataset",
    "locate_dataset",
    "read_idx",
    "read_split",
    "recognise_idx_folder",
    "resize_dataset",
    "write_idx",
]


def _ignore(_: str) -> None:
    pass


def load_dataset(
    spec: str,
    image_size: int = 28,
    channels: int = 1,
    data_dir: Path | None = None,
    download: bool = False,
    progress: Callable[[str, int, int | None], None] | None = None,
    cancel: Callable[[], bool] | None = None,
    log: Callable[[str], None] = _ignore,
) -> ImageDataset:
    """Load "mnist", "fashion-mnist" (and spellings like "fashion_mnist") or a folder of images.

    A folder must hold at least MIN_IMAGES readable images: training cannot run on fewer.
    Built-in datasets are resized from 28 to `image_size` and repeated to 3 channels when
    asked, so every architecture can train on them. `progress(what, done, total)` reports
    download bytes or loaded images; `cancel` applies to downloads and to decoding a folder. A folder is decoded
    once into a memory-mapped cache (core/folder_cache.py) that later loads of the unchanged folder reuse.
    """
    if builtin_dataset(spec) is None:
        from ganstudio.core.folder_cache import load_cached_folder

        path = Path(spec).expanduser()
        return load_cached_folder(
            path, image_size, channels, log=log, progress=progress, cancel=cancel, min_images=MIN_IMAGES
        )
    dataset = load_named_dataset(spec, data_dir=data_dir, download=download, progress=progress, cancel=cancel, log=log)
    if image_size != dataset.image_size:
        log(f"{dataset.name}: resizing {dataset.image_size}x{dataset.image_size} images to {image_size}x{image_size}")
        dataset = resize_dataset(dataset, image_size)
    return convert_channels(dataset, channels)
