"""Named Playground settings that show one idea each, measured in docs/decisions/playground-presets.md.

A preset with `compare` opens Compare mode: the same data and seed trained two ways, side by side.
"""

from __future__ import annotations

from dataclasses import dataclass

from ganstudio.core.playground.config import PlaygroundConfig


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    config: PlaygroundConfig
    compare: PlaygroundConfig | None = None  # the second side of a comparison
    steps: int = 0  # G steps after which the effect is clear (the measured number in the decision record)


PRESETS: tuple[Preset, ...] = ()


def find_preset(name: str) -> Preset:
    for preset in PRESETS:
        if preset.name == name:
            return preset
    raise KeyError(name)
