"""Any picture of a digit -> a 28x28 image made the way MNIST's were (numpy + Pillow; no torch, no Qt).

LeCun, Cortes and Burges describe the MNIST preprocessing (http://yann.lecun.com/exdb/mnist/): "The original
black and white (bilevel) images from NIST were size normalized to fit in a 20x20 pixel box while preserving
their aspect ratio. The resulting images contain grey levels as a result of the anti-aliasing technique used by
the normalization algorithm. The images were centered in a 28x28 image by computing the center of mass of the
pixels, and translating the image so as to position this point at the center of the 28x28 field."

`mnist_style` does exactly that for a photo, a scan or a canvas drawing: grayscale, light ink on a dark
background (inverted when the background is light), crop to the ink, longest side to 20 px with antialiasing,
pasted into 28x28 by the centre of mass. Other sizes keep the same 20/28 proportion.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from ganstudio.errors import GanStudioError

MNIST_SIZE = 28
MNIST_BOX = 20  # the digit's longest side inside the 28x28 field
INK_THRESHOLD = 0.1  # fraction of the brightest ink: fainter pixels are paper noise, not the digit's extent


class DigitImageError(GanStudioError):
    """A picture that cannot be made into a digit image (unreadable, or no ink on it)."""


def load_picture(path: Path | str) -> np.ndarray:
    """Any image file Pillow reads -> float32 (H, W) gray in [0, 1], ink as drawn (dark or light).

    A picture with a transparent background (alpha that varies) gives its alpha: the strokes are what is opaque.
    """
    path = Path(path)
    try:
        with Image.open(path) as image:
            image.load()
            return picture_to_gray(image)
    except FileNotFoundError:
        raise DigitImageError(f"{path}: file not found") from None
    except (UnidentifiedImageError, OSError) as exc:
        raise DigitImageError(f"{path}: not an image Pillow can read ({exc})") from exc


def picture_to_gray(image: Image.Image) -> np.ndarray:
    """A Pillow image -> float32 (H, W) in [0, 1]; alpha becomes the ink when the background is transparent."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        alpha = np.asarray(image.convert("RGBA"), np.float32)[..., 3] / 255.0
        if alpha.min() < 0.5:  # a transparent background: the strokes are the opaque pixels
            return alpha
    return np.asarray(image.convert("L"), np.float32) / 255.0


def as_gray(picture: np.ndarray) -> np.ndarray:
    """(H, W), (H, W, 1|3|4) or (1|3, H, W) arrays, uint8 or float in [0, 1] -> float32 (H, W) in [0, 1]."""
    arr = np.asarray(picture)
    if arr.ndim == 3 and arr.shape[0] in (1, 3) and arr.shape[-1] not in (1, 3, 4):
        arr = np.moveaxis(arr, 0, -1)  # channels first -> last
    if arr.dtype.kind in "ui":
        arr = arr.astype(np.float32) / (255.0 if arr.max(initial=0) > 1 else 1.0)
    arr = arr.astype(np.float32, copy=False)
    if arr.ndim == 3:
        if arr.shape[-1] == 4:
            alpha = arr[..., 3]
            if alpha.min() < 0.5:
                return np.clip(alpha, 0.0, 1.0)
            arr = arr[..., :3]
        arr = arr.mean(axis=-1) if arr.shape[-1] == 3 else arr[..., 0]
    if arr.ndim != 2 or min(arr.shape) < 1:
        raise DigitImageError(f"expected a 2-D picture (height, width[, channels]), got shape {np.shape(picture)}")
    return np.clip(arr, 0.0, 1.0)


def ink_of(gray: np.ndarray) -> np.ndarray:
    """Gray (H, W) -> ink (H, W) in [0, 1], 0 = background: inverted when the background (the border) is light."""
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    background = float(np.median(border))
    ink = (background - gray) if background > 0.5 else (gray - background)
    ink = np.clip(ink, 0.0, None)
    peak = float(ink.max(initial=0.0))
    if peak <= 1e-3:
        raise DigitImageError("the picture has no ink on it: draw or open a digit first")
    return (ink / peak).astype(np.float32)


def mnist_style(picture: np.ndarray, size: int = MNIST_SIZE) -> np.ndarray:
    """Any picture (see as_gray) -> float32 (size, size) in [0, 1], white digit on black, made like MNIST."""
    ink = ink_of(as_gray(picture))
    rows = np.flatnonzero((ink > INK_THRESHOLD).any(axis=1))
    cols = np.flatnonzero((ink > INK_THRESHOLD).any(axis=0))
    crop = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]

    box = max(1, round(size * MNIST_BOX / MNIST_SIZE))
    height, width = crop.shape
    scale = box / max(height, width)
    new_w, new_h = max(1, round(width * scale)), max(1, round(height * scale))
    # Pillow's "F" mode keeps the grey levels; LANCZOS is the antialiasing filter for shrinking and enlarging.
    scaled = np.asarray(Image.fromarray(crop, mode="F").resize((new_w, new_h), Image.Resampling.LANCZOS))
    scaled = np.clip(scaled, 0.0, 1.0).astype(np.float32)

    mass = float(scaled.sum())
    if mass <= 0.0:
        raise DigitImageError("the picture has no ink on it: draw or open a digit first")
    ys, xs = np.indices(scaled.shape, dtype=np.float64)
    com_y, com_x = float((ys * scaled).sum() / mass), float((xs * scaled).sum() / mass)
    # MNIST puts the centre of mass at pixel index 14 of 0..27 (size / 2; measured on its test digits, mean
    # 14.1), an integer translation; it is clamped so the whole digit stays inside the field.
    centre = size / 2.0
    top = int(np.clip(round(centre - com_y), 0, size - new_h))
    left = int(np.clip(round(centre - com_x), 0, size - new_w))
    out = np.zeros((size, size), np.float32)
    out[top : top + new_h, left : left + new_w] = scaled
    return out


def as_model_input(digit: np.ndarray, channels: int) -> np.ndarray:
    """(H, W) digit -> (1, channels, H, W) float32, the layout a generator outputs."""
    return np.repeat(digit[None, None].astype(np.float32), channels, axis=1)
