"""`ganstudio` without a display: a clear message and exit 1, not Qt's plugin messages and an abort (exit 134)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ganstudio.cli import display_check
from ganstudio.cli.display_check import display_problem

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the check is for Linux desktops")
def test_no_display_exits_with_a_message_before_qt_starts() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    code = (
        "import sys; from ganstudio.cli.main import main; rc = main([]); "
        "assert 'PySide6' not in sys.modules; sys.exit(rc)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("error: no display to open the desktop app on")
    assert "ganstudio --help" in done.stderr and done.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("env", "platform", "expected"),
    [
        ({}, "linux", "no display"),
        ({"DISPLAY": ":0"}, "linux", None),
        ({"WAYLAND_DISPLAY": "wayland-0"}, "linux", None),
        ({"QT_QPA_PLATFORM": "offscreen"}, "linux", None),
        ({"QT_QPA_PLATFORM": "xcb"}, "linux", "no display"),
        ({}, "win32", None),
        ({}, "darwin", None),
    ],
)
def test_when_a_window_can_be_shown(env: dict[str, str], platform: str, expected: str | None) -> None:
    problem = display_problem(env, platform)
    assert (problem is None) if expected is None else (problem is not None and expected in problem)


def test_a_missing_xcb_cursor_library_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(display_check.ctypes.util, "find_library", lambda name: None)
    problem = display_problem({"DISPLAY": ":0"}, "linux")
    assert problem is not None and "libxcb-cursor0" in problem
    assert display_problem({"WAYLAND_DISPLAY": "wayland-0"}, "linux") is None  # Wayland does not need it
