"""Choosing the torch device and CPU thread count."""

from __future__ import annotations

import torch

from ganstudio.core.config import ConfigError


def _has_mps() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps and mps.is_available())


def check_device(preference: str) -> None:
    """Raise ConfigError when an explicitly chosen device is not available here: cheap, so the front ends ask
    before loading any data."""
    if preference == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device 'cuda' was asked for but no CUDA GPU is available; choose auto or cpu", "device")
    if preference == "mps" and not _has_mps():
        raise ConfigError("device 'mps' was asked for but Apple MPS is not available; choose auto or cpu", "device")


def pick_device(preference: str = "auto") -> torch.device:
    """CUDA, then Apple MPS, then CPU for "auto"; an explicit choice that is unavailable is an error."""
    if preference == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps") if _has_mps() else torch.device("cpu")
    check_device(preference)
    return torch.device(preference)


def set_cpu_threads(threads: int) -> None:
    """0 keeps torch's default; otherwise pin intra-op threads so training leaves cores for the UI."""
    if threads > 0:
        torch.set_num_threads(threads)
