"""The one base class for errors a user may see.

Every error that the CLI prints as one line and the GUI shows in a dialog derives from `GanStudioError`, so both
front ends catch one type instead of matching class names. Torch-free and Qt-free: every layer may import it.
"""

from __future__ import annotations


class GanStudioError(Exception):
    """A failure the user can act on; `str(error)` is the whole message, written for a person."""


def describe_error(exc: BaseException) -> str:
    """A message for the user: expected errors as they are, others with their type name."""
    if isinstance(exc, GanStudioError):
        return str(exc)
    if isinstance(exc, MemoryError):
        return "out of memory: try a smaller batch size, image size or model width"
    return f"{type(exc).__name__}: {exc}"
