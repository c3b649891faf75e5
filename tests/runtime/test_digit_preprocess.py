"""MNIST-style preprocessing: any picture -> 28x28, ink bounding box 20 px, centre of mass in the middle."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ganstudio.core.data import named
from ganstudio.runtime.digit_preprocess import DigitImageError, as_gray, load_picture, mnist_style
from tests.data_paths import shared_mnist


def _ink_box(digit: np.ndarray) -> tuple[int, int]:
    rows = np.flatnonzero((digit > 0.1).any(axis=1))
    cols = np.flatnonzero((digit > 0.1).any(axis=0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def _centre_of_mass(digit: np.ndarray) -> tuple[float, float]:
    ys, xs = np.indices(digit.shape)
    return float((ys * digit).sum() / digit.sum()), float((xs * digit).sum() / digit.sum())


def test_a_dark_digit_on_light_paper_becomes_white_on_black_20px_and_centred():
    page = np.full((300, 200), 240, np.uint8)  # light paper, off-centre tall stroke and a bar
    page[40:200, 120:140] = 10
    page[40:60, 90:160] = 10
    digit = mnist_style(page)
    assert digit.shape == (28, 28) and digit.dtype == np.float32
    assert digit.max() == pytest.approx(1.0, abs=0.05) and digit[0].max() == 0.0  # white ink, black border
    assert max(_ink_box(digit)) in (20, 21)  # the longest side scaled to 20 px (antialiasing may add a pixel)
    cy, cx = _centre_of_mass(digit)
    assert abs(cy - 14) <= 0.75 and abs(cx - 14) <= 0.75  # where MNIST puts it


def test_light_ink_on_dark_paper_is_not_inverted():
    page = np.zeros((100, 100), np.float32)
    page[20:80, 45:55] = 1.0
    digit = mnist_style(page)
    assert digit[14, 13:15].max() > 0.5 and digit[0, 0] == 0.0


def test_a_real_mnist_digit_comes_back_nearly_unchanged(tmp_path: Path):
    """MNIST's own digits were made this way: redoing it from an enlarged, inverted, shifted copy matches."""
    ds = named.read_split("mnist", shared_mnist(), "test")
    correlations = []
    for original in ds.images[:20, 0]:
        page = np.full((400, 300), 255, np.uint8)
        big = np.asarray(Image.fromarray(255 - original).resize((280, 280), Image.Resampling.BILINEAR))
        page[100:380, 10:290] = np.minimum(page[100:380, 10:290], big)
        path = tmp_path / "digit.png"
        Image.fromarray(page).save(path)
        redone = mnist_style(load_picture(path))
        correlations.append(np.corrcoef(redone.ravel(), original.ravel().astype(np.float32))[0, 1])
    assert np.median(correlations) > 0.9


def test_a_transparent_png_uses_its_alpha_as_ink(tmp_path: Path):
    rgba = np.zeros((60, 60, 4), np.uint8)
    rgba[10:50, 25:35] = (0, 0, 0, 255)  # black strokes on a transparent (also black) background
    path = tmp_path / "drawn.png"
    Image.fromarray(rgba, "RGBA").save(path)
    digit = mnist_style(load_picture(path))
    assert _ink_box(digit)[0] == 20


def test_an_empty_picture_and_an_unreadable_file_raise_digit_image_errors(tmp_path: Path):
    with pytest.raises(DigitImageError, match="no ink"):
        mnist_style(np.full((50, 50), 200, np.uint8))
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not an image")
    with pytest.raises(DigitImageError, match="not an image"):
        load_picture(bad)
    with pytest.raises(DigitImageError, match="not found"):
        load_picture(tmp_path / "missing.png")


def test_as_gray_accepts_channels_first_and_last():
    rgb = np.zeros((3, 10, 12), np.float32)
    assert as_gray(rgb).shape == (10, 12)
    assert as_gray(np.zeros((10, 12, 3), np.uint8)).shape == (10, 12)
