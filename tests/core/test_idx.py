"""IDX reader: the real MNIST test files, raw and gzipped, and every way a file can be broken."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from ganstudio.core.data import DataError, read_idx, write_idx
from ganstudio.core.data.idx import idx_bytes
from tests.data_paths import shared_mnist

SHARED_MNIST = shared_mnist()
T10K_IMAGES = SHARED_MNIST / "t10k-images-idx3-ubyte.gz"
T10K_LABELS = SHARED_MNIST / "t10k-labels-idx1-ubyte.gz"

needs_shared = pytest.mark.skipif(
    not (T10K_IMAGES.is_file() and T10K_LABELS.is_file()),
    reason=f"shared MNIST test files not found in {SHARED_MNIST}",
)


@pytest.fixture()
def small_images() -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, size=(5, 28, 28), dtype=np.uint8)


@needs_shared
def test_real_mnist_test_images() -> None:
    images = read_idx(T10K_IMAGES)
    assert images.shape == (10_000, 28, 28)
    assert images.dtype == np.uint8
    assert images.max() == 255 and images.min() == 0
    assert images.flags.writeable


@needs_shared
def test_real_mnist_test_labels() -> None:
    labels = read_idx(T10K_LABELS)
    assert labels.shape == (10_000,)
    assert set(np.unique(labels).tolist()) == set(range(10))


@needs_shared
def test_raw_and_gz_give_the_same_array(tmp_path: Path) -> None:
    raw = tmp_path / "t10k-labels-idx1-ubyte"
    raw.write_bytes(gzip.decompress(T10K_LABELS.read_bytes()))
    np.testing.assert_array_equal(read_idx(raw), read_idx(T10K_LABELS))


def test_gzip_detected_by_magic_not_suffix(tmp_path: Path, small_images: np.ndarray) -> None:
    lying = tmp_path / "images-idx3-ubyte"  # gzipped, but no .gz suffix
    write_idx(lying, small_images, gz=True)
    np.testing.assert_array_equal(read_idx(lying), small_images)
    raw_named_gz = tmp_path / "images-idx3-ubyte.gz"  # raw, but a .gz suffix
    write_idx(raw_named_gz, small_images, gz=False)
    np.testing.assert_array_equal(read_idx(raw_named_gz), small_images)


@pytest.mark.parametrize("dtype", ["uint8", "int8", ">i2", ">i4", ">f4", ">f8", "<i4", "<f8"])
def test_round_trip_standard_dtypes(tmp_path: Path, dtype: str) -> None:
    base = np.arange(24).reshape(2, 3, 4)
    array = (base if dtype == "uint8" else base - 5).astype(dtype)  # negatives where the type allows
    path = tmp_path / "a.idx"
    write_idx(path, array, gz=False)
    back = read_idx(path)
    assert back.shape == array.shape
    assert back.dtype.isnative
    np.testing.assert_array_equal(back, array)


def test_truncated_file(tmp_path: Path, small_images: np.ndarray) -> None:
    path = tmp_path / "cut-idx3-ubyte"
    path.write_bytes(idx_bytes(small_images)[:-10])
    with pytest.raises(DataError) as info:
        read_idx(path)
    message = str(info.value)
    assert str(path) in message
    assert "truncated, expected 3,920 bytes of pixel data, found 3,910" in message


def test_trailing_garbage(tmp_path: Path, small_images: np.ndarray) -> None:
    path = tmp_path / "long-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(idx_bytes(small_images) + b"garbage"))
    with pytest.raises(DataError, match="7 bytes of trailing data") as info:
        read_idx(path)
    assert str(path) in str(info.value)
    assert "expected 3,920 bytes of pixel data, found 3,927" in str(info.value)


def test_truncated_header(tmp_path: Path) -> None:
    path = tmp_path / "hdr-idx3-ubyte"
    path.write_bytes(bytes([0, 0, 8, 3, 0, 0]))
    with pytest.raises(DataError, match="truncated") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty-idx1-ubyte"
    path.write_bytes(b"")
    with pytest.raises(DataError, match="truncated"):
        read_idx(path)


def test_bad_magic(tmp_path: Path, small_images: np.ndarray) -> None:
    path = tmp_path / "bad-idx3-ubyte"
    path.write_bytes(b"\x01\x00" + idx_bytes(small_images)[2:])
    with pytest.raises(DataError, match="not an IDX file") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_unknown_dtype_code(tmp_path: Path, small_images: np.ndarray) -> None:
    path = tmp_path / "code-idx3-ubyte"
    path.write_bytes(b"\x00\x00\x07\x03" + idx_bytes(small_images)[4:])
    with pytest.raises(DataError, match="unknown data type code 0x07"):
        read_idx(path)


def test_foreign_file_png_renamed(tmp_path: Path) -> None:
    from PIL import Image

    path = tmp_path / "train-images-idx3-ubyte"
    Image.new("L", (8, 8)).save(path, format="PNG")
    with pytest.raises(DataError, match="not an IDX file") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_corrupted_gzip_stream(tmp_path: Path, small_images: np.ndarray) -> None:
    path = tmp_path / "broken-idx3-ubyte.gz"
    data = bytearray(gzip.compress(idx_bytes(small_images)))
    data[len(data) // 2 : len(data) // 2 + 8] = b"\xff" * 8
    path.write_bytes(bytes(data))
    with pytest.raises(DataError, match="corrupted gzip stream") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_cut_gzip_stream(tmp_path: Path, small_images: np.ndarray) -> None:
    path = tmp_path / "cut-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(idx_bytes(small_images))[:100])
    with pytest.raises(DataError, match="corrupted gzip stream") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope-idx1-ubyte"
    with pytest.raises(DataError) as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_write_rejects_unsupported_dtype(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        write_idx(tmp_path / "x", np.zeros(3, dtype=np.uint16))
