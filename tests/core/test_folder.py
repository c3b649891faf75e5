"""Image-folder loader with generated PNG/JPEG/BMP files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ganstudio.core.data import DataError, load_dataset, load_image_folder


def save(
    path: Path,
    size: tuple[int, int] = (40, 30),
    colour: object = (200, 30, 30),
    mode: str = "RGB",
    fmt: str | None = None,
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, colour).save(path, format=fmt)  # type: ignore[arg-type]
    return path


@pytest.fixture()
def classes(tmp_path: Path) -> Path:
    root = tmp_path / "pets"
    save(root / "cat" / "a.png")
    save(root / "cat" / "b.JPG", fmt="JPEG")
    save(root / "cat" / "deeper" / "c.bmp", size=(12, 50))  # nested: still a cat
    save(root / "dog" / "d.JpEg", size=(300, 200), fmt="JPEG")
    save(root / "dog" / "e.PNG", size=(16, 16), mode="L", colour=90)
    (root / "dog" / "notes.txt").write_text("not an image")
    (root / "empty").mkdir()  # no images: not a class
    save(root / ".hidden" / "x.png")  # hidden folders are skipped
    return root


@pytest.mark.parametrize("size", [28, 32, 64])
@pytest.mark.parametrize("channels", [1, 3])
def test_subfolders_are_classes(classes: Path, size: int, channels: int) -> None:
    lines: list[str] = []
    ds = load_image_folder(classes, size, channels, log=lines.append)
    assert ds.class_names == ("cat", "dog")
    assert ds.images.shape == (5, channels, size, size) and ds.images.dtype == np.uint8
    assert ds.labels.tolist() == [0, 0, 0, 1, 1]  # sorted paths: cat/a, cat/b, cat/deeper/c, dog/d, dog/e
    assert ds.name == str(classes) and ds.split == ""
    assert "loaded 5 images in 2 classes (cat, dog)" in lines[-1]


def test_rgb_and_grey_conversion(tmp_path: Path) -> None:
    save(tmp_path / "red.png", colour=(255, 0, 0))
    rgb = load_image_folder(tmp_path, 28, 3)
    assert tuple(rgb.images[0, :, 5, 5]) == (255, 0, 0)
    grey = load_image_folder(tmp_path, 28, 1)
    assert grey.images.shape == (1, 1, 28, 28)
    assert grey.images[0, 0, 5, 5] == 76  # ITU-R 601 luma of pure red


def test_unlabelled_without_subfolders(tmp_path: Path) -> None:
    save(tmp_path / "one.png")
    save(tmp_path / "two.bmp")
    ds = load_image_folder(tmp_path, 32, 3)
    assert ds.class_names == () and ds.labels.tolist() == [0, 0]
    assert ds.num_classes == 0


def test_root_images_ignored_when_subfolders_exist(tmp_path: Path) -> None:
    save(tmp_path / "stray.png")
    save(tmp_path / "a" / "x.png")
    lines: list[str] = []
    ds = load_image_folder(tmp_path, 28, 1, log=lines.append)
    assert len(ds) == 1 and ds.class_names == ("a",)
    assert any("ignored 1 images lying directly in" in line for line in lines)


def test_corrupt_files_are_skipped_and_counted(classes: Path) -> None:
    (classes / "cat" / "broken.png").write_bytes(b"definitely not a png")
    (classes / "dog" / "broken2.jpg").write_bytes(b"\xff\xd8\xff garbage")
    jpeg = (classes / "dog" / "d.JpEg").read_bytes()
    (classes / "dog" / "truncated.jpg").write_bytes(jpeg[: len(jpeg) // 3])
    lines: list[str] = []
    ds = load_image_folder(classes, 28, 3, log=lines.append)
    assert len(ds) == 5
    skipped = [line for line in lines if line.startswith("skipped")]
    assert len(skipped) == 1
    assert skipped[0].startswith("skipped 3 unreadable files (e.g. cat/broken.png: cannot identify image")


def test_class_with_only_unreadable_files_is_dropped(tmp_path: Path) -> None:
    save(tmp_path / "a" / "ok.png")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "bad.png").write_bytes(b"junk")
    save(tmp_path / "c" / "ok.png")
    lines: list[str] = []
    ds = load_image_folder(tmp_path, 28, 1, log=lines.append)
    assert ds.class_names == ("a", "c") and ds.labels.tolist() == [0, 1]
    assert any("no readable image: b" in line for line in lines)


def test_alpha_composited_over_white(tmp_path: Path) -> None:
    save(tmp_path / "clear.png", mode="RGBA", colour=(255, 0, 0, 0))
    half = tmp_path / "half.png"
    save(half, mode="RGBA", colour=(0, 0, 0, 128))
    ds = load_image_folder(tmp_path, 28, 3)
    clear, half_px = ds.images[0, :, 3, 3], ds.images[1, :, 3, 3]  # sorted: clear, half
    assert tuple(clear) == (255, 255, 255)
    assert all(120 <= v <= 135 for v in half_px)


def test_palette_and_16_bit(tmp_path: Path) -> None:
    palette = Image.new("P", (20, 20), 1)
    palette.putpalette([0, 0, 0, 10, 200, 30] + [0] * 762)
    palette.save(tmp_path / "p.png")
    Image.fromarray(np.full((20, 20), 65535, dtype=np.uint16)).save(tmp_path / "w16.png")
    ds = load_image_folder(tmp_path, 28, 3)
    assert tuple(ds.images[0, :, 0, 0]) == (10, 200, 30)
    assert tuple(ds.images[1, :, 0, 0]) == (255, 255, 255)


def test_resize_shorter_side_then_center_crop(tmp_path: Path) -> None:
    # 60x20: left third black, middle white, right third black. Shorter side -> 28 keeps only the middle.
    pixels = np.zeros((20, 60), dtype=np.uint8)
    pixels[:, 20:40] = 255
    Image.fromarray(pixels).save(tmp_path / "wide.png")
    ds = load_image_folder(tmp_path, 28, 1)
    assert ds.images.shape == (1, 1, 28, 28)
    assert ds.images[0, 0, :, 4:24].min() >= 250


def test_mixed_sizes_all_become_square(tmp_path: Path) -> None:
    for i, size in enumerate([(5, 5), (1000, 30), (30, 700), (64, 64), (65, 63)]):
        save(tmp_path / f"{i}.png", size=size)
    ds = load_image_folder(tmp_path, 64, 3)
    assert ds.images.shape == (5, 3, 64, 64)
    assert (ds.images[:, 0] >= 190).all()  # the red channel of the solid colour survives every resize


def test_progress_reported(tmp_path: Path) -> None:
    for i in range(3):
        save(tmp_path / f"{i}.png")
    calls: list[tuple[str, int, int | None]] = []
    load_image_folder(tmp_path, 28, 1, progress=lambda *a: calls.append(a))
    assert calls[-1] == ("loading images", 3, 3)


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="folder not found") as info:
        load_image_folder(tmp_path / "nope", 28, 1)
    assert str(tmp_path / "nope") in str(info.value)


def test_file_instead_of_folder(tmp_path: Path) -> None:
    path = save(tmp_path / "a.png")
    with pytest.raises(DataError, match="not a folder"):
        load_image_folder(path, 28, 1)


def test_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "readme.txt").write_text("hi")
    with pytest.raises(DataError, match="no PNG, JPEG or BMP images") as info:
        load_image_folder(tmp_path, 28, 1)
    assert str(tmp_path) in str(info.value)


def test_no_readable_image(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(b"junk")
    (tmp_path / "b.jpg").write_bytes(b"")
    with pytest.raises(DataError, match="none of the 2 image files could be read") as info:
        load_image_folder(tmp_path, 28, 1)
    assert "a.png" in str(info.value)


def test_load_dataset_dispatches_to_folder(classes: Path) -> None:
    ds = load_dataset(str(classes), image_size=32, channels=3)
    assert ds.images.shape == (5, 3, 32, 32) and ds.class_names == ("cat", "dog")


def test_bad_arguments(tmp_path: Path) -> None:
    save(tmp_path / "a.png")
    with pytest.raises(ValueError):
        load_image_folder(tmp_path, 28, 2)
    with pytest.raises(ValueError):
        load_image_folder(tmp_path, 0, 1)
