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


# The measurements behind each description: docs/decisions/playground-presets.md (seed 0, 10,000 samples).
_PLAIN_RING = PlaygroundConfig(dist="ring8", loss="bce")
_SPECTRAL_RING = PlaygroundConfig(
    dist="ring8",
    loss="bce",
    spectral_norm=True,
    d_steps=2,
    g_lr=5e-4,
    d_lr=5e-4,
    lr_half_life=4000,
    ema_decay=0.99,
)

PRESETS: tuple[Preset, ...] = (
    Preset(
        "Mode collapse",
        "A plain non-saturating GAN on the ring: after 2,000 G steps its points sit on 4 of the 8 modes.",
        _PLAIN_RING,
        steps=2000,
    ),
    Preset(
        "Fixed by spectral norm",
        "The same GAN with a spectrally normalised D that takes 2 steps per G step, smaller steps (5e-4, halving "
        "every 4,000 G steps) and the points drawn from an average of G's weights (EMA 0.99): all 8 modes from "
        "1,000 G steps on, and as the rate falls the points tighten onto them: 92.2% within 3 std of a mode after "
        "5,000 G steps on this seed (89.3-92.2% on seeds 0-4, mean 91.1%).",
        _SPECTRAL_RING,
        steps=5000,
    ),
    Preset(
        "Collapse and cure, side by side",
        "Compare: the plain GAN (A) collapses onto a few modes while the spectrally normalised one (B) covers all 8.",
        _PLAIN_RING,
        compare=_SPECTRAL_RING,
        steps=2000,
    ),
    Preset(
        "Grid of 25: mode collapse",
        "The plain GAN on the 5x5 grid: after 2,000 G steps it covers 3 of 25 modes, most of its points "
        "stranded between them (13 of 25 by 3,000 steps).",
        PlaygroundConfig(dist="grid25", loss="bce"),
        steps=2000,
    ),
)


def find_preset(name: str) -> Preset:
    for preset in PRESETS:
        if preset.name == name:
            return preset
    raise KeyError(name)
