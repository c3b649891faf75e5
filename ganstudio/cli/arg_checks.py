"""argparse types that refuse impossible values while the command line is parsed, before anything is loaded."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from ganstudio.core.config import budget_amount_error


def budget_type(name: str, kind: type) -> Callable[[str], float | int]:
    """The type of --steps / --epochs / --minutes: a number above 0. A typed 0 is refused rather than read as "the
    default budget", which is what an omitted flag means."""

    def parse(text: str) -> float | int:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a number, got {text!r}") from None
        error = budget_amount_error(name, value)
        if error is not None:
            raise argparse.ArgumentTypeError(error)
        return value

    parse.__name__ = kind.__name__  # argparse names the type in some messages
    return parse
