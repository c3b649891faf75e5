"""Hostile image folders: a FIFO or a device named *.png is skipped without being opened (it used to hang the
loader forever), and a 13000 x 13000 PNG is skipped from its header with bounded memory; both are counted."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from PIL import Image

from ganstudio.core.data.folder import MAX_IMAGE_PIXELS, SkippedFile, load_image
from tests.core.bombs import RSS_LIMIT_MB, huge_png, run_measured

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="FIFOs, /dev/zero and /proc (Linux)")

_LOAD = """
from pathlib import Path
from ganstudio.core.data.folder import load_image_folder
lines = []
dataset = load_image_folder(Path({root!r}), 28, 1, log=lines.append)
result = {{"n": len(dataset.images), "log": lines}}
"""


def _folder_with_two_images(tmp_path: Path) -> Path:
    root = tmp_path / "faces"
    root.mkdir()
    for name in ("a.png", "b.png"):
        Image.new("L", (40, 30), 128).save(root / name)
    return root


def test_pipes_and_devices_are_skipped_without_being_opened(tmp_path: Path) -> None:
    root = _folder_with_two_images(tmp_path)
    os.mkfifo(root / "c-pipe.png")
    (root / "d-zero.png").symlink_to("/dev/zero")
    result = run_measured(_LOAD.format(root=str(root)), timeout=60)["result"]  # a hang here is the bug
    assert result["n"] == 2
    assert [line for line in result["log"] if line.startswith("skipped")] == [
        "skipped 2 unreadable files (e.g. c-pipe.png: not a regular file (a named pipe)); "
        "of these, 2 not a regular file"
    ]


@pytest.mark.slow
def test_a_13000_pixel_png_is_skipped_from_its_header_with_bounded_memory(tmp_path: Path) -> None:
    root = _folder_with_two_images(tmp_path)
    huge_png(root / "c-huge.png", 13000)
    assert (root / "c-huge.png").stat().st_size < 1 << 20
    report = run_measured(_LOAD.format(root=str(root)), timeout=60)
    assert report["result"]["n"] == 2
    assert [line for line in report["result"]["log"] if line.startswith("skipped")] == [
        "skipped 1 unreadable file (e.g. c-huge.png: image too large (more than 64,000,000 pixels)); "
        "of these, 1 over 64 megapixels"
    ]
    assert report["peak_rss_mb"] < RSS_LIMIT_MB


def test_the_pixel_limit_is_read_from_the_header(tmp_path: Path) -> None:
    path = huge_png(tmp_path / "big.png", 8100)  # 65.6 MP: over the limit, under PIL's own error threshold
    assert MAX_IMAGE_PIXELS < 8100 * 8100
    with pytest.raises(SkippedFile, match=r"image too large \(8,100 x 8,100 pixels, more than 64,000,000 pixels\)"):
        load_image(path, 28, 1)
