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


def one_thread_here() -> None:
    """Run this thread's torch ops on one CPU thread, leaving other threads' counts alone.

    For the Playground's tiny networks (a few 128-unit layers) splitting each op across cores costs more than it
    gains, and on a busy 2-core machine two threads made its training several times slower. torch's CPU builds
    use the OpenMP backend, where the count is a per-thread setting (omp_set_num_threads of the calling thread):
    an image run on the Train tab's thread keeps the count core/training.py gave it, and the main thread keeps
    torch's default. (torch also remembers the number for threads it starts itself later; the Playground's render
    thread and the Train tab's thread are started by Qt and set their own; the Playground's training process calls
    this on its one thread.)
    """
    torch.set_num_threads(1)
