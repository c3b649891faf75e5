"""Loading a user's folder of images (PNG, JPEG, BMP) as a training set.

Labelling follows torchvision's ImageFolder convention:
* If the folder has immediate subfolders holding images, each such subfolder is a
  class (sorted by name) and every image below it, at any depth, belongs to it.
  Images lying directly in the root are then ignored (and the log says how many),
  because they belong to no class and guessing one would corrupt a conditional GAN.
* Otherwise the dataset is unlabelled: class_names == () and all labels are 0.
Hidden files and folders (names starting with ".") are skipped, as are files with
other extensions. Unreadable images are skipped and counted, never fatal, and so are pipes, sockets and devices
named like images (never opened: a FIFO would block forever) and images over MAX_IMAGE_PIXELS (judged from the
header, before decoding).
"""

from __future__ import annotations

import os
import stat
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from ganstudio.core.config import MIN_BATCH
from ganstudio.core.data.dataset import DataError, ImageDataset
from ganstudio.core.data.named import recognise_idx_folder

IMAGE_SUFFIXES: frozenset[str] = frozenset({".png", ".jpg", ".jpeg", ".bmp"})
PROGRESS_EVERY = 64  # images between progress reports: often enough for a bar, rare enough for a GUI
PROGRESS_LABEL = "loading images"
MIN_IMAGES = MIN_BATCH  # one image makes batches of one, which batch normalisation cannot train on

ProgressFn = Callable[[str, int, int | None], None]
AllocateFn = Callable[[tuple[int, int, int, int]], np.ndarray]  # (N, C, H, W) -> a uint8 array to decode into

# Larger images are skipped before decoding: 64 MP is an 8000 x 8000 photo (about 200 MB as RGB while it is
# resized), far beyond what a 64 x 64 training image needs. PIL checks the same limit when it opens a file.
MAX_IMAGE_PIXELS = 64_000_000
Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS

# Why a file was skipped, for the summary line; anything else is "unreadable".
NOT_REGULAR = "not a regular file"
TOO_LARGE = f"over {MAX_IMAGE_PIXELS // 1_000_000} megapixels"


class SkippedFile(Exception):
    """A file in the folder that is deliberately not loaded; `kind` is NOT_REGULAR or TOO_LARGE."""

    def __init__(self, reason: str, kind: str) -> None:
        super().__init__(reason)
        self.kind = kind


def _too_large(size: tuple[int, int] | None) -> str:
    shown = f"{size[0]:,} x {size[1]:,} pixels, " if size else ""
    return f"image too large ({shown}more than {MAX_IMAGE_PIXELS:,} pixels)"


def _ignore(_: str) -> None:
    pass


@dataclass(frozen=True)
class _Plan:
    files: list[tuple[Path, int]]  # (image file, label)
    class_names: tuple[str, ...]
    ignored_in_root: int


def _is_image(name: str) -> bool:
    return not name.startswith(".") and Path(name).suffix.lower() in IMAGE_SUFFIXES


def _image_files(folder: Path) -> list[Path]:
    """Image files below `folder`, sorted so that the dataset order is reproducible."""
    found: list[Path] = []
    # os.walk does not follow directory symlinks, so a link loop cannot hang the loader.
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        found += [Path(dirpath) / f for f in filenames if _is_image(f)]
    return sorted(found)


_SPECIAL_FILES = ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a device"))


def _check_regular(path: Path) -> None:
    """Raise SkippedFile unless `path` (after symlinks) is a regular file: opening a FIFO named x.png blocks
    forever, and a device such as /dev/zero never ends. Decided by stat alone, without opening anything."""
    mode = os.stat(path).st_mode
    if not stat.S_ISREG(mode):
        kind = next((name for test, name in _SPECIAL_FILES if test(mode)), "not a file")
        raise SkippedFile(f"not a regular file ({kind})", NOT_REGULAR)


def _plan(root: Path, files: list[Path]) -> _Plan:
    top = [f.relative_to(root).parts for f in files]
    class_names = tuple(sorted({parts[0] for parts in top if len(parts) > 1}))
    if not class_names:
        return _Plan([(f, 0) for f in files], (), 0)
    index = {name: i for i, name in enumerate(class_names)}
    labelled = [(f, index[p[0]]) for f, p in zip(files, top, strict=True) if len(p) > 1]
    return _Plan(labelled, class_names, len(files) - len(labelled))


def _check_folder(path: Path) -> None:
    if not path.exists():
        raise DataError(f"{path}: folder not found")
    if not path.is_dir():
        raise DataError(f"{path}: not a folder (choose the folder that holds the images)")


def _idx_hint(root: Path) -> str:
    """Advice for a folder of MNIST / Fashion-MNIST IDX files chosen as an image folder."""
    name = recognise_idx_folder(root)
    if name is None:
        return ""
    return (
        f". It holds the IDX files of {name}: choose {name} as the dataset with this folder as its data folder "
        f"(--dataset {name} --data-dir {root} on the command line)"
    )


_SIXTEEN_BIT_MODES = frozenset({"I", "I;16", "I;16B", "I;16L", "I;16N"})


def _to_8bit(im: Image.Image) -> Image.Image:
    # convert("L") clips 16-bit values at 255, turning most 16-bit greyscale PNGs white.
    values = np.asarray(im, dtype=np.float64)
    if values.size and values.max() > 255:
        values = values / 257.0
    return Image.fromarray(np.clip(np.rint(values), 0, 255).astype(np.uint8))


def _flatten(im: Image.Image, mode: str) -> Image.Image:
    """Convert to `mode` ("L" or "RGB"), compositing any transparency over white."""
    if im.mode in _SIXTEEN_BIT_MODES:
        im = _to_8bit(im)
    has_alpha = im.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in im.info
    if has_alpha:
        # Transparent backgrounds are usually meant as white (icons, sprites); black would invert them.
        rgba = im.convert("RGBA")
        im = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba)
    return im if im.mode == mode else im.convert(mode)


def _resize_crop(im: Image.Image, size: int) -> Image.Image:
    """Scale the shorter side to `size`, then cut the centred size x size square."""
    w, h = im.size
    scale = size / min(w, h)
    nw, nh = max(size, round(w * scale)), max(size, round(h * scale))
    if (nw, nh) != (w, h):
        # reducing_gap lets big photos shrink by fast box reduction before the bicubic pass.
        im = im.resize((nw, nh), Image.Resampling.BICUBIC, reducing_gap=3.0)
    left, top = (nw - size) // 2, (nh - size) // 2
    return im.crop((left, top, left + size, top + size))


def load_image(path: Path, image_size: int, channels: int) -> np.ndarray:
    """One image file as a (channels, size, size) uint8 array; raises SkippedFile for a file that is not regular
    or holds more than MAX_IMAGE_PIXELS, and whatever PIL raises for a damaged one."""
    _check_regular(path)
    mode = "L" if channels == 1 else "RGB"
    with warnings.catch_warnings():
        # PIL warns between MAX_IMAGE_PIXELS and twice that, and fails beyond: its warning would only be noise,
        # since the check below skips the same images (with their size), and its error becomes the same skip.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            im = Image.open(path)
        except Image.DecompressionBombError:
            raise SkippedFile(_too_large(None), TOO_LARGE) from None
    with im:
        width, height = im.size  # from the header: nothing is decoded yet
        if width * height > MAX_IMAGE_PIXELS:
            raise SkippedFile(_too_large((width, height)), TOO_LARGE)
        # JPEG only: decode at a reduced DCT scale that is still >= the target size.
        im.draft(mode, (image_size, image_size))
        square = _resize_crop(_flatten(im, mode), image_size)
        pixels = np.asarray(square, dtype=np.uint8)
    return pixels[None] if channels == 1 else pixels.transpose(2, 0, 1)


def _describe(exc: BaseException) -> str:
    # PIL's messages repeat the full path; the log already names the file.
    if isinstance(exc, UnidentifiedImageError):
        return "cannot identify image"
    if isinstance(exc, Image.DecompressionBombError):
        return _too_large(None)
    return str(exc) or type(exc).__name__


def _drop_empty_classes(
    labels: np.ndarray, class_names: tuple[str, ...], log: Callable[[str], None]
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Remove classes left without images (all unreadable), renumbering the others."""
    if not class_names:
        return labels, class_names
    present = np.unique(labels)
    if len(present) == len(class_names):
        return labels, class_names
    missing = [class_names[i] for i in range(len(class_names)) if i not in set(present.tolist())]
    log(f"left out class folders with no readable image: {', '.join(missing)}")
    remap = np.full(len(class_names), -1, dtype=np.int64)
    remap[present] = np.arange(len(present))
    return remap[labels], tuple(class_names[i] for i in present)


def _check_enough(root: Path, count: int, needed: int, what: str) -> None:
    if 0 < count < needed:  # none at all has messages of its own
        raise DataError(
            f"{root}: {count} {what}{'s' if count != 1 else ''} to train on; a GAN needs at least {needed} "
            "(batch normalisation takes statistics over a batch), and in practice hundreds"
        )


def _check_args(image_size: int, channels: int) -> None:
    if image_size < 1:
        raise ValueError(f"image_size must be positive, got {image_size}")
    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 or 3, got {channels}")


def load_image_folder(
    path: Path,
    image_size: int,
    channels: int,
    log: Callable[[str], None] = _ignore,
    progress: ProgressFn | None = None,
    min_images: int = 1,
    allocate: AllocateFn | None = None,
) -> ImageDataset:
    """Load every PNG/JPEG/BMP below `path` as (N, channels, image_size, image_size) uint8.

    progress("loading images", done, total) is called every few dozen files. Fewer than `min_images` files (found,
    then readable) is a DataError; training asks for MIN_IMAGES. `allocate` gives the array the images are decoded
    into (default: one in memory); core/folder_cache.py passes a memory-mapped file, which then holds the
    readable images at its front.
    """
    _check_args(image_size, channels)
    root = Path(path)
    _check_folder(root)
    files = _image_files(root)
    if not files:
        raise DataError(f"{root}: no PNG, JPEG or BMP images in this folder or its subfolders{_idx_hint(root)}")
    plan = _plan(root, files)
    _check_enough(root, len(plan.files), min_images, "image file")  # before minutes of decoding
    if plan.ignored_in_root:
        log(
            f"ignored {plan.ignored_in_root:,} images lying directly in {root}: "
            f"its subfolders define the classes, so only images inside them are used"
        )
    images, labels, failures = _load_all(root, plan, image_size, channels, progress, allocate)
    if failures:
        log(_skipped_line(failures))
    if len(images) == 0:
        example = f" (e.g. {failures[0].text})" if failures else ""
        raise DataError(f"{root}: none of the {len(plan.files):,} image files could be read{example}")
    _check_enough(root, len(images), min_images, "readable image")
    labels, class_names = _drop_empty_classes(labels, plan.class_names, log)
    log(_summary_line(root, len(images), class_names, image_size, channels))
    return ImageDataset(images, labels, class_names, str(root), "")


def _load_all(
    root: Path, plan: _Plan, image_size: int, channels: int, progress: ProgressFn | None, allocate: AllocateFn | None
) -> tuple[np.ndarray, np.ndarray, list[_Skip]]:
    total = len(plan.files)
    shape = (total, channels, image_size, image_size)
    images = allocate(shape) if allocate is not None else np.empty(shape, dtype=np.uint8)
    labels = np.empty(total, dtype=np.int64)
    failures: list[_Skip] = []
    count = 0
    for done, (file, label) in enumerate(plan.files, start=1):
        try:
            images[count] = load_image(file, image_size, channels)
            labels[count] = label
            count += 1
        except SkippedFile as exc:
            failures.append(_Skip(f"{file.relative_to(root)}: {exc}", exc.kind))
        except Exception as exc:  # PIL's decoders raise many types on corrupt input
            failures.append(_Skip(f"{file.relative_to(root)}: {_describe(exc)}"))
        if progress is not None and (done % PROGRESS_EVERY == 0 or done == total):
            progress(PROGRESS_LABEL, done, total)
    if count < total:
        # Copies, so the unused tail of the preallocated buffer is freed (a file given by `allocate` keeps it).
        images, labels = (images[:count] if allocate else images[:count].copy()), labels[:count].copy()
    return images, labels, failures


@dataclass(frozen=True)
class _Skip:
    text: str  # "cat/x.png: cannot identify image"
    kind: str = ""  # NOT_REGULAR, TOO_LARGE or "" (unreadable)


def _skipped_line(failures: list[_Skip]) -> str:
    """ "skipped 3 unreadable files (e.g. a.png: ...); of these, 1 not a regular file, 1 over 64 megapixels" """
    noun = "file" if len(failures) == 1 else "files"
    line = f"skipped {len(failures):,} unreadable {noun} (e.g. {failures[0].text})"
    kinds = [(kind, sum(f.kind == kind for f in failures)) for kind in (NOT_REGULAR, TOO_LARGE)]
    counted = [f"{n:,} {kind}" for kind, n in kinds if n]
    return line + (f"; of these, {', '.join(counted)}" if counted else "")


def _summary_line(root: Path, n: int, class_names: tuple[str, ...], size: int, channels: int) -> str:
    colour = "greyscale" if channels == 1 else "RGB"
    if class_names:
        shown = ", ".join(class_names[:10]) + (", ..." if len(class_names) > 10 else "")
        labelled = f"in {len(class_names)} classes ({shown})"
    else:
        labelled = "unlabelled"
    return f"loaded {n:,} images {labelled} from {root} as {size}x{size} {colour}"
