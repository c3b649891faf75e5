"""Saving from the app when the disk is full or read-only: a dialog names the file and the cause, the previous
file is kept and no temp file is left."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from ganstudio.gui import dialogs
from ganstudio.runtime import imaging


@pytest.mark.parametrize(("code", "words"), [(errno.ENOSPC, "disk full"), (errno.EROFS, "read-only file system")])
def test_save_image_on_a_full_or_read_only_disk(
    make_window, tiny_onnx, tmp_path: Path, monkeypatch, errors, code, words
):
    folder = tmp_path / "pictures"
    folder.mkdir()
    target = folder / "sample.png"
    target.write_bytes(b"the previous picture")
    window = make_window(tiny_onnx)
    monkeypatch.setattr(dialogs, "ask_save_path", lambda *args, **kwargs: str(target))

    def fail(src: object, dst: object) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(imaging.os, "replace", fail)
    window.save_image_dialog()
    assert errors == [("Cannot save image", f"cannot write {target}: {words}")]
    assert target.read_bytes() == b"the previous picture"
    assert [p.name for p in folder.iterdir()] == ["sample.png"]
