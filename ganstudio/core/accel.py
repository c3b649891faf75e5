"""Speed options for training on a GPU: bf16 mixed precision and torch.compile, both off by default.

`accelerate(module, ...)` returns a module whose forward runs under bf16 autocast and/or through torch.compile,
sharing `module`'s parameters (checkpoints keep saving `module` itself). Where an option cannot apply it is a
no-op with one message: bf16 autocast only on a CUDA GPU that supports bf16 (on a CPU it is slower than float32
for networks this small), and a compile that fails falls back to the eager module for the rest of the run.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

log = logging.getLogger(__name__)
# torch.compile's default backend; tests put a failing one here to check the fallback
COMPILE_BACKEND: str | Callable[..., Any] = "inductor"


def bf16_supported(device: torch.device) -> bool:
    return device.type == "cuda" and torch.cuda.is_available() and torch.cuda.is_bf16_supported()


def autocast_context(device: torch.device, enabled: bool) -> contextlib.AbstractContextManager[Any]:
    """bf16 autocast on a CUDA device that has it; nothing otherwise."""
    if enabled and bf16_supported(device):
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


class AcceleratedForward(nn.Module):
    """`inner`'s forward under autocast and/or torch.compile; outputs come back as float32 so that losses and
    the next network's input keep full precision.

    The compiled forward is tried first; if compiling fails (no C compiler for inductor, an unsupported op,
    an old GPU) the error is logged once and this module runs `inner` eagerly from then on.
    """

    def __init__(self, inner: nn.Module, device: torch.device, mixed_precision: bool, compile_: bool) -> None:
        super().__init__()
        self.inner = inner
        self.device = device
        self.mixed_precision = mixed_precision and bf16_supported(device)
        self._compiled: Callable[..., Any] | None = torch.compile(inner, backend=COMPILE_BACKEND) if compile_ else None
        self.compile_error: str | None = None

    @property
    def compiled(self) -> bool:
        return self._compiled is not None

    def forward(self, *args: Any) -> torch.Tensor:
        with autocast_context(self.device, self.mixed_precision):
            if self._compiled is not None:
                try:
                    out = self._compiled(*args)
                except Exception as exc:  # torch.compile raises many types (BackendCompilerFailed, ...)
                    self._compiled = None
                    self.compile_error = _reason(exc)
                    log.warning("torch.compile failed, training without it: %s", self.compile_error)
                    out = self.inner(*args)
            else:
                out = self.inner(*args)
        return out.float()


def _reason(exc: BaseException) -> str:
    """The root cause of a compile failure in one line (dynamo wraps the backend's error in its own)."""
    inner = getattr(exc, "inner_exception", None) or exc.__cause__ or exc
    text = " ".join(str(inner).split())
    return f"{type(inner).__name__}: {text}"[:300]


def accelerate(module: nn.Module, device: torch.device, mixed_precision: bool, compile_: bool) -> nn.Module:
    """`module` itself when neither option applies (the usual CPU case), else an AcceleratedForward over it."""
    if not compile_ and not (mixed_precision and bf16_supported(device)):
        return module
    return AcceleratedForward(module, device, mixed_precision, compile_)


def describe(device: torch.device, mixed_precision: bool, compile_: bool) -> str | None:
    """A log line for options asked for that do not apply here, or None."""
    if mixed_precision and not bf16_supported(device):
        return f"mixed precision (bf16) needs a CUDA GPU that supports bf16; training in float32 on {device.type}"
    return None
