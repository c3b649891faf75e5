"""The folder cache: decode once into a memory-mapped .npy, reuse it while the folder is unchanged, rebuild when it
changes, cancel cleanly, and train from the mapping exactly as from memory."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from ganstudio.core import folder_cache
from ganstudio.core.data import folder, load_dataset
from ganstudio.core.data.download import DownloadCancelled
from ganstudio.core.folder_cache import DecodeCancelled, MappedImages, image_source, load_cached_folder
from ganstudio.core.training import Trainer
from tests.core.helpers import tiny_model, tiny_train


def _folder(root: Path, n: int = 20, size: int = 12) -> Path:
    rng = np.random.default_rng(1)
    for i in range(n):
        cls = root / ("cats" if i % 2 else "dogs")
        cls.mkdir(parents=True, exist_ok=True)
        Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8)).save(cls / f"{i:03d}.png")
    return root


def _entries(cache: Path) -> list[Path]:
    return sorted(p for p in cache.iterdir()) if cache.exists() else []


def test_first_load_decodes_into_a_mapped_file_and_the_second_reuses_it(tmp_path, monkeypatch):
    data, cache = _folder(tmp_path / "data"), tmp_path / "cache"
    in_memory = folder.load_image_folder(data, 16, 3)
    lines: list[str] = []
    first = load_cached_folder(data, 16, 3, log=lines.append, root_dir=cache)
    assert isinstance(first.images, np.memmap)
    np.testing.assert_array_equal(first.images, in_memory.images)
    np.testing.assert_array_equal(first.labels, in_memory.labels)
    assert first.class_names == ("cats", "dogs")
    assert len(_entries(cache)) == 1

    def no_decoding(*args, **kwargs):
        raise AssertionError("an unchanged folder was decoded again")

    monkeypatch.setattr(folder, "load_image", no_decoding)
    again: list[str] = []
    second = load_cached_folder(data, 16, 3, log=again.append, root_dir=cache)
    np.testing.assert_array_equal(second.images, in_memory.images)
    assert second.class_names == first.class_names
    assert again[: len(lines)] == lines  # the decode's log lines are repeated, then where the images came from
    assert "decoded earlier" in again[-1]


def test_a_changed_folder_or_size_gets_a_new_entry_and_the_stale_one_goes(tmp_path):
    data, cache = _folder(tmp_path / "data"), tmp_path / "cache"
    load_cached_folder(data, 16, 3, root_dir=cache)
    (before,) = _entries(cache)
    victim = data / "cats" / "001.png"
    os.utime(victim, ns=(victim.stat().st_atime_ns, victim.stat().st_mtime_ns + 10**9))
    changed = load_cached_folder(data, 16, 3, root_dir=cache)
    (after,) = _entries(cache)
    assert after != before and len(changed) == 20
    (data / "dogs" / "000.png").unlink()
    assert len(load_cached_folder(data, 16, 3, root_dir=cache)) == 19
    assert load_cached_folder(data, 8, 1, root_dir=cache).images.shape == (19, 1, 8, 8)


def test_unreadable_files_are_skipped_and_counted_in_the_cached_dataset(tmp_path):
    data, cache = _folder(tmp_path / "data"), tmp_path / "cache"
    (data / "cats" / "broken.png").write_bytes(b"not a png")
    lines: list[str] = []
    ds = load_cached_folder(data, 16, 3, log=lines.append, root_dir=cache)
    assert len(ds) == 20 and ds.images.shape[0] == 20
    assert any("skipped 1 unreadable file" in line for line in lines)
    assert len(load_cached_folder(data, 16, 3, root_dir=cache)) == 20


def test_cancel_leaves_nothing_behind_and_is_a_download_style_cancel(tmp_path, monkeypatch):
    monkeypatch.setattr(folder, "PROGRESS_EVERY", 4)
    data, cache = _folder(tmp_path / "data"), tmp_path / "cache"
    seen: list[int] = []

    def progress(what, done, total):
        seen.append(done)

    with pytest.raises(DecodeCancelled):
        load_cached_folder(data, 16, 3, progress=progress, cancel=lambda: len(seen) >= 2, root_dir=cache)
    assert issubclass(DecodeCancelled, DownloadCancelled)  # the app already treats these as "the user cancelled"
    assert seen == [4, 8]
    assert _entries(cache) == []
    assert len(load_cached_folder(data, 16, 3, root_dir=cache)) == 20


def test_load_dataset_goes_through_the_cache(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv(folder_cache.CACHE_ENV_VAR, str(cache))
    ds = load_dataset(str(_folder(tmp_path / "data")), image_size=16, channels=3)
    assert isinstance(ds.images, np.memmap) and len(_entries(cache)) == 1


def test_mapped_images_gather_rows_in_the_asked_order(tmp_path):
    ds = load_cached_folder(_folder(tmp_path / "data"), 16, 3, root_dir=tmp_path / "cache")
    mapped = MappedImages(ds.images, torch.device("cpu"))
    idx = torch.tensor([7, 2, 19, 2, 0])
    np.testing.assert_array_equal(mapped[idx].numpy(), ds.images[[7, 2, 19, 2, 0]])
    assert len(mapped) == 20


@pytest.mark.slow
def test_training_streams_a_large_cached_folder_exactly_as_from_memory(tmp_path, monkeypatch):
    ds = load_cached_folder(_folder(tmp_path / "data", n=40), 28, 1, root_dir=tmp_path / "cache")
    in_memory = folder.load_image_folder(tmp_path / "data", 28, 1)

    def train(dataset):
        trainer = Trainer(tiny_model(), tiny_train(batch_size=8, steps=5), dataset)
        list(trainer.run(export_on_finish=False))
        return trainer

    monkeypatch.setattr(folder_cache, "IN_MEMORY_BYTES", 0)  # stream even this small folder
    streamed = train(ds)
    assert isinstance(streamed.images, MappedImages)
    assert isinstance(image_source(in_memory, torch.device("cpu")), torch.Tensor)
    reference = train(in_memory)
    for a, b in zip(streamed.generator.parameters(), reference.generator.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
