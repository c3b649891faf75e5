"""Choosing the torch device and CPU thread count."""

from __future__ import annotations

import torch


def pick_device(preference: str = "auto") -> torch.device:
    """CUDA, then Apple MPS, then CPU for "auto"; an explicit choice that is unavailable is an error."""
    mps = getattr(torch.backends, "mps", None)
    has_mps = bool(mps and mps.is_available())
    if preference == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps") if has_mps else torch.device("cpu")
    if preference == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device 'cuda' was asked for but no CUDA GPU is available")
    if preference == "mps" and not has_mps:
        raise RuntimeError("device 'mps' was asked for but Apple MPS is not available")
    return torch.device(preference)


def set_cpu_threads(threads: int) -> None:
    """0 keeps torch's default; otherwise pin intra-op threads so training leaves cores for the UI."""
    if threads > 0:
        torch.set_num_threads(threads)
