"""A folder of MNIST / Fashion-MNIST IDX files is recognised (either split, gzipped or not; the labels' hash says
which dataset), the messages say what to do with one, and a download says where its files go."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import numpy as np
import pytest

from ganstudio.core.data import DataError, load_dataset, load_named_dataset, named, recognise_idx_folder, write_idx
from ganstudio.core.data.download import DATASET_FILES
from tests.core.test_named import isolated, make_split  # noqa: F401  (isolated: an autouse fixture)
from tests.data_paths import shared_mnist


@pytest.mark.parametrize("split", ["train", "test"])
@pytest.mark.parametrize("gz", [True, False])
def test_either_split_gzipped_or_not_is_recognised(tmp_path: Path, split: str, gz: bool) -> None:
    make_split(tmp_path / "files", split, gz=gz)
    assert recognise_idx_folder(tmp_path / "files") == "mnist"


def test_a_name_subfolder_is_recognised_and_others_are_not(tmp_path: Path) -> None:
    make_split(tmp_path / "datasets" / "mnist", "test")
    assert recognise_idx_folder(tmp_path / "datasets") == "mnist"
    (tmp_path / "pictures").mkdir()
    (tmp_path / "pictures" / "a.png").write_bytes(b"")
    assert recognise_idx_folder(tmp_path / "pictures") is None
    assert recognise_idx_folder(tmp_path / "missing") is None
    only_images = tmp_path / "half"
    make_split(only_images, "test")
    (only_images / "t10k-labels-idx1-ubyte.gz").unlink()
    assert recognise_idx_folder(only_images) is None  # a pair is needed


def test_fashion_mnist_is_told_apart_by_the_labels_hash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    labels = (np.arange(6) % 10).astype(np.uint8)
    make_split(tmp_path / "files", "test", gz=False)
    write_idx(tmp_path / "files" / "t10k-labels-idx1-ubyte", labels)
    digest = hashlib.sha256((tmp_path / "files" / "t10k-labels-idx1-ubyte").read_bytes()).hexdigest()
    fashion = DATASET_FILES["fashion-mnist"]
    files = tuple(
        dataclasses.replace(f, sha256=digest) if (f.split, f.kind) == ("test", "labels") else f for f in fashion.files
    )
    monkeypatch.setitem(DATASET_FILES, "fashion-mnist", dataclasses.replace(fashion, files=files))
    assert recognise_idx_folder(tmp_path / "files") == "fashion-mnist"


def test_the_shared_mnist_files_are_mnist() -> None:
    folder = shared_mnist()
    if not (folder / "t10k-labels-idx1-ubyte.gz").exists():
        pytest.skip("shared MNIST files not found")
    assert recognise_idx_folder(folder) == "mnist"


def test_an_idx_folder_loaded_as_images_says_what_to_choose(tmp_path: Path) -> None:
    make_split(tmp_path / "files", "test")
    with pytest.raises(DataError) as info:
        load_dataset(str(tmp_path / "files"))
    message = str(info.value)
    assert "no PNG, JPEG or BMP" in message and "IDX files of mnist" in message and "data folder" in message


def test_not_found_says_the_test_pair_alone_suffices(tmp_path: Path) -> None:
    with pytest.raises(DataError) as info:
        load_named_dataset("mnist", data_dir=tmp_path / "given")
    message = str(info.value)
    assert "or the test pair alone: t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz" in message
    assert "Data folder" in message


def test_a_download_says_where_the_files_go(monkeypatch: pytest.MonkeyPatch, isolated: Path) -> None:  # noqa: F811
    def fake_download(name: str, dest: Path, **_: object) -> Path:
        make_split(dest, "train")
        return dest

    monkeypatch.setattr(named, "download_dataset", fake_download)
    lines: list[str] = []
    load_named_dataset("mnist", download=True, log=lines.append)
    target = isolated / "datasets" / "mnist"
    assert lines[0] == f"MNIST was not found on this computer; downloading it into {target}"
