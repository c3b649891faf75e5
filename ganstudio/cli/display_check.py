"""Whether the desktop app can open a window here, asked before Qt is touched.

Without a display Qt prints plugin messages and aborts the process (exit 134) the moment a QApplication is made;
nothing can catch that. So `ganstudio` (no command) checks first and explains: where the display is missing, or
which system library Qt's X11 plugin lacks, and that the headless commands work anyway. Qt-free and torch-free.
"""

from __future__ import annotations

import ctypes.util
import os
import sys

HEADLESS_HINT = "the headless commands still work: see `ganstudio --help` (train, sample, interpolate, info, ...)"
# Qt 6.5+ loads its X11 (xcb) plugin only with libxcb-cursor; most desktops have it, minimal installs do not.
XCB_CURSOR_LIBRARY = "xcb-cursor"


def display_problem(environ: dict[str, str] | None = None, platform: str | None = None) -> str | None:
    """None when a window can be shown (or we cannot tell), else what is missing and what to do about it."""
    env = os.environ if environ is None else environ
    if not (platform or sys.platform).startswith("linux"):
        return None  # Windows and macOS always have their native platform plugin
    chosen = env.get("QT_QPA_PLATFORM", "").split(":")[0].strip()
    if chosen and chosen not in ("xcb", "wayland"):
        return None  # offscreen, vnc, eglfs ...: the user picked a platform that needs no desktop session
    if not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY"):
        return (
            "no display to open the desktop app on (neither DISPLAY nor WAYLAND_DISPLAY is set; over SSH use "
            f"`ssh -X`, or run it in a desktop session); {HEADLESS_HINT}"
        )
    x11_only = not env.get("WAYLAND_DISPLAY") or chosen == "xcb"
    if x11_only and ctypes.util.find_library(XCB_CURSOR_LIBRARY) is None:
        return (
            "Qt's X11 plugin needs the libxcb-cursor library, which is not installed (Debian/Ubuntu: "
            f"`sudo apt install libxcb-cursor0`; Fedora: `sudo dnf install xcb-util-cursor`); {HEADLESS_HINT}"
        )
    return None
