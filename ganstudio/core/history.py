"""Per-step loss history in growable numpy buffers (amortised O(1) append, saved in checkpoints)."""

from __future__ import annotations

import numpy as np

COLUMNS = ("step", "seconds", "d_loss", "g_loss", "d_real", "d_fake", "gradient_penalty")


class History:
    def __init__(self, capacity: int = 1024) -> None:
        self._data = np.zeros((capacity, len(COLUMNS)), np.float64)
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def append(
        self,
        step: int,
        seconds: float,
        d_loss: float,
        g_loss: float,
        d_real: float,
        d_fake: float,
        gradient_penalty: float,
    ) -> None:
        if self._size == len(self._data):
            self._data = np.concatenate([self._data, np.zeros_like(self._data)])  # double when full
        self._data[self._size] = (step, seconds, d_loss, g_loss, d_real, d_fake, gradient_penalty)
        self._size += 1

    def column(self, name: str) -> np.ndarray:
        return self._data[: self._size, COLUMNS.index(name)]

    def arrays(self) -> dict[str, np.ndarray]:
        return {name: self.column(name).copy() for name in COLUMNS}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> History:
        history = cls()
        if not arrays:
            return history
        n = len(arrays["step"])
        history._data = np.zeros((max(1024, 2 * n), len(COLUMNS)), np.float64)
        for i, name in enumerate(COLUMNS):
            if name in arrays:
                history._data[:n, i] = arrays[name]
        history._size = n
        return history
