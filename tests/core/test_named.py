"""Finding and loading MNIST / Fashion-MNIST: search order, split choice, messages, resizing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ganstudio.core.data import (
    DataError,
    ImageDataset,
    convert_channels,
    load_dataset,
    load_named_dataset,
    locate_dataset,
    named,
    read_split,
    resize_dataset,
    write_idx,
)
from tests.data_paths import shared_mnist

SHARED_MNIST = shared_mnist()
needs_shared = pytest.mark.skipif(
    not (SHARED_MNIST / "t10k-images-idx3-ubyte.gz").is_file(),
    reason=f"shared MNIST test files not found in {SHARED_MNIST}",
)


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No env var, an empty private cache and no system folders, so only what a test sets up is found."""
    monkeypatch.delenv("GANSTUDIO_DATA", raising=False)
    cache = tmp_path / "cache"
    monkeypatch.setattr(named, "user_cache_root", lambda: cache)
    monkeypatch.setattr(named, "SYSTEM_DIRS", {})
    return cache


def make_split(folder: Path, split: str, n: int = 6, gz: bool = True, seed: int = 0) -> None:
    """A tiny but well-formed IDX pair; the loader checks structure, not hashes."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    prefix = "train" if split == "train" else "t10k"
    suffix = ".gz" if gz else ""
    write_idx(folder / f"{prefix}-images-idx3-ubyte{suffix}", rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), gz)
    write_idx(folder / f"{prefix}-labels-idx1-ubyte{suffix}", (np.arange(n) % 10).astype(np.uint8), gz)


def test_nothing_found(tmp_path: Path) -> None:
    assert locate_dataset("mnist") is None
    with pytest.raises(DataError) as info:
        load_named_dataset("mnist", data_dir=tmp_path / "given")
    message = str(info.value)
    assert str(tmp_path / "given") in message
    assert str(tmp_path / "cache" / "datasets" / "mnist") in message
    assert "train-images-idx3-ubyte.gz" in message and "--data-dir" in message and "GANSTUDIO_DATA" in message


def test_explicit_dir_beats_env_and_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isolated: Path) -> None:
    make_split(tmp_path / "explicit", "train")
    make_split(tmp_path / "env", "train")
    make_split(isolated / "datasets" / "mnist", "train")
    monkeypatch.setenv("GANSTUDIO_DATA", str(tmp_path / "env"))
    assert locate_dataset("mnist", tmp_path / "explicit") == (tmp_path / "explicit", "train")
    assert locate_dataset("mnist") == (tmp_path / "env", "train")
    monkeypatch.delenv("GANSTUDIO_DATA")
    assert locate_dataset("mnist") == (isolated / "datasets" / "mnist", "train")


def test_env_var_with_name_subfolder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_split(tmp_path / "env" / "fashion-mnist", "test")
    monkeypatch.setenv("GANSTUDIO_DATA", str(tmp_path / "env"))
    assert locate_dataset("fashion_mnist") == (tmp_path / "env" / "fashion-mnist", "test")
    assert locate_dataset("mnist") is None  # the fashion files are not MNIST's


def test_explicit_dir_with_name_subfolder(tmp_path: Path) -> None:
    make_split(tmp_path / "data" / "mnist", "train")
    assert locate_dataset("mnist", tmp_path / "data") == (tmp_path / "data" / "mnist", "train")


def test_incomplete_pair_does_not_qualify(tmp_path: Path) -> None:
    make_split(tmp_path / "d", "train")
    (tmp_path / "d" / "train-labels-idx1-ubyte.gz").unlink()
    assert locate_dataset("mnist", tmp_path / "d") is None


def test_train_preferred_over_test(tmp_path: Path) -> None:
    make_split(tmp_path / "d", "test", n=4)
    make_split(tmp_path / "d", "train", n=7)
    lines: list[str] = []
    ds = load_named_dataset("mnist", data_dir=tmp_path / "d", log=lines.append)
    assert ds.split == "train" and len(ds) == 7
    assert lines == [f"mnist: using the train split (7 images) from {tmp_path / 'd'}"]


def test_test_split_fallback_is_logged(tmp_path: Path) -> None:
    make_split(tmp_path / "d", "test", n=4, gz=False)  # decompressed files are accepted too
    lines: list[str] = []
    ds = load_named_dataset("mnist", data_dir=tmp_path / "d", log=lines.append)
    assert ds.split == "test"
    assert ds.images.shape == (4, 1, 28, 28) and ds.images.dtype == np.uint8
    assert ds.labels.dtype == np.int64
    assert "test split" in lines[0] and "train split not found" in lines[0] and str(tmp_path / "d") in lines[0]


def test_original_dotted_names_are_accepted(tmp_path: Path) -> None:
    make_split(tmp_path / "d", "test", gz=False)
    for kind in ("images-idx3", "labels-idx1"):
        old = tmp_path / "d" / f"t10k-{kind}-ubyte"
        old.rename(old.with_name(f"t10k-{kind.replace('-idx', '.idx')}-ubyte"))
    assert locate_dataset("mnist", tmp_path / "d") == (tmp_path / "d", "test")
    assert len(load_named_dataset("mnist", data_dir=tmp_path / "d")) == 6


def test_class_names(tmp_path: Path) -> None:
    make_split(tmp_path / "d", "train")
    assert load_named_dataset("mnist", data_dir=tmp_path / "d").class_names == tuple("0123456789")
    fashion = load_named_dataset("fashion", data_dir=tmp_path / "d")
    assert fashion.name == "fashion-mnist"
    assert fashion.class_names[0] == "T-shirt/top" and fashion.class_names[-1] == "Ankle boot"
    assert len(fashion.class_names) == 10


def test_mismatched_counts(tmp_path: Path) -> None:
    make_split(tmp_path / "d", "train", n=6)
    write_idx(tmp_path / "d" / "train-labels-idx1-ubyte.gz", np.zeros(5, dtype=np.uint8), gz=True)
    with pytest.raises(DataError, match=r"6 images but .* 5 labels"):
        load_named_dataset("mnist", data_dir=tmp_path / "d")


def test_label_out_of_range(tmp_path: Path) -> None:
    make_split(tmp_path / "d", "train", n=3)
    label_file = tmp_path / "d" / "train-labels-idx1-ubyte.gz"
    write_idx(label_file, np.array([1, 2, 11], dtype=np.uint8), gz=True)
    with pytest.raises(DataError, match="label 11 is out of range") as info:
        load_named_dataset("mnist", data_dir=tmp_path / "d")
    assert str(label_file) in str(info.value)


def test_wrong_image_shape(tmp_path: Path) -> None:
    make_split(tmp_path / "d", "train", n=3)
    image_file = tmp_path / "d" / "train-images-idx3-ubyte.gz"
    write_idx(image_file, np.zeros((3, 32, 32), dtype=np.uint8), gz=True)
    with pytest.raises(DataError, match="28x28") as info:
        load_named_dataset("mnist", data_dir=tmp_path / "d")
    assert str(image_file) in str(info.value)


def test_download_when_missing_goes_to_cache(monkeypatch: pytest.MonkeyPatch, isolated: Path) -> None:
    seen: list[Path] = []

    def fake_download(name: str, dest: Path, **_: object) -> Path:
        seen.append(dest)
        make_split(dest, "train")
        return dest

    monkeypatch.setattr(named, "download_dataset", fake_download)
    lines: list[str] = []
    ds = load_named_dataset("mnist", download=True, log=lines.append)
    assert seen == [isolated / "datasets" / "mnist"]
    assert ds.split == "train" and "just downloaded" in lines[-1]  # after the line saying where it goes


def _shared_has_train_split() -> bool:
    return (SHARED_MNIST / "train-labels-idx1-ubyte.gz").exists()


@needs_shared
def test_real_shared_folder_prefers_the_train_split() -> None:
    """Training uses the train split when the folder holds it, and the test split only when it is alone."""
    lines: list[str] = []
    ds = load_named_dataset("mnist", data_dir=SHARED_MNIST, log=lines.append)
    expected = ("train", 60_000) if _shared_has_train_split() else ("test", 10_000)
    assert (ds.split, len(ds)) == expected and ds.images.shape[1:] == (1, 28, 28)
    assert set(np.unique(ds.labels).tolist()) == set(range(10))
    assert lines[0].startswith(f"mnist: using the {expected[0]} split ({expected[1]:,} images) from ")


@needs_shared
def test_real_shared_test_split_reads_alone() -> None:
    ds = read_split("mnist", SHARED_MNIST, "test")
    assert ds.split == "test" and ds.images.shape == (10_000, 1, 28, 28)
    assert set(np.unique(ds.labels).tolist()) == set(range(10))


def _tiny(n: int = 3, c: int = 1, size: int = 28) -> ImageDataset:
    images = np.random.default_rng(1).integers(0, 256, (n, c, size, size), dtype=np.uint8)
    return ImageDataset(images, np.zeros(n, dtype=np.int64), tuple("0123456789"), "mnist", "train")


@pytest.mark.parametrize("size", [28, 32, 64])
def test_resize(size: int) -> None:
    ds = resize_dataset(_tiny(), size)
    assert ds.images.shape == (3, 1, size, size) and ds.images.dtype == np.uint8
    assert ds.class_names == tuple("0123456789") and ds.split == "train"


def test_resize_keeps_a_flat_image_flat() -> None:
    ds = _tiny()
    flat = ImageDataset(np.full_like(ds.images, 77), ds.labels, ds.class_names, ds.name, ds.split)
    assert (resize_dataset(flat, 64).images == 77).all()


def test_convert_channels() -> None:
    grey = _tiny()
    rgb = convert_channels(grey, 3)
    assert rgb.images.shape == (3, 3, 28, 28)
    np.testing.assert_array_equal(rgb.images[:, 0], grey.images[:, 0])
    np.testing.assert_array_equal(rgb.images[:, 2], grey.images[:, 0])
    np.testing.assert_array_equal(convert_channels(rgb, 1).images, grey.images)


def test_load_dataset_dispatch_named(tmp_path: Path) -> None:
    make_split(tmp_path / "d", "train")
    ds = load_dataset("fashion-mnist", image_size=32, channels=3, data_dir=tmp_path / "d")
    assert ds.images.shape == (6, 3, 32, 32)
    assert ds.name == "fashion-mnist"


def test_load_dataset_dispatch_folder_path(tmp_path: Path) -> None:
    # "./mnist" is a folder path, not the built-in dataset.
    with pytest.raises(DataError, match="folder not found"):
        load_dataset(str(tmp_path / "mnist"))


def test_mnist_files_do_not_pass_for_fashion_mnist(tmp_path, monkeypatch):
    """Both datasets use the same file names; the labels' contents tell them apart."""
    if not (SHARED_MNIST / "t10k-labels-idx1-ubyte.gz").exists():
        pytest.skip("shared MNIST files not found")
    monkeypatch.setenv("GANSTUDIO_DATA", str(SHARED_MNIST))
    monkeypatch.setattr("ganstudio.core.data.named.SYSTEM_DIRS", {})
    monkeypatch.setattr("ganstudio.core.data.named.user_cache_root", lambda: tmp_path / "cache")
    expected_split = "train" if _shared_has_train_split() else "test"
    assert locate_dataset("mnist") == (SHARED_MNIST, expected_split)
    assert locate_dataset("fashion-mnist") is None
    with pytest.raises(DataError, match="Fashion-MNIST was not found"):
        load_named_dataset("fashion-mnist")
