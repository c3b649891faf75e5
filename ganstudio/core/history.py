"""The loss columns, declared once, and the growable table that stores them.

`LOSS_COLUMNS` is the one list of what every training step reports: the trainer stacks the values in this order,
StepMetrics carries them under these keys, and the checkpoint, the divergence message, the CLI progress line
and the app's plots all iterate it. `ColumnTable` is the one growable buffer (amortised O(1) append by doubling);
`History` is the per-step history saved in checkpoints, and the app's plot history builds on the same table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class LossColumn:
    key: str  # StepMetrics attribute, history column and checkpoint tensor name
    label: str  # plot legends
    short: str  # the CLI progress line
    name: str  # in sentences: "the discriminator loss became NaN"
    plot: str  # the plot it is drawn in: "Loss", "D output" or "Penalty"
    digits: int = 3  # decimals on the progress line
    optional: bool = False  # NaN when the objective does not use it; not a sign of divergence


LOSS_COLUMNS: tuple[LossColumn, ...] = (
    LossColumn("d_loss", "D loss", "D", "discriminator loss", "Loss"),
    LossColumn("g_loss", "G loss", "G", "generator loss", "Loss"),
    LossColumn("d_real", "D(x)", "D(x)", "D(x)", "D output", digits=2),
    LossColumn("d_fake", "D(G(z))", "D(G(z))", "D(G(z))", "D output", digits=2),
    LossColumn("gradient_penalty", "gradient penalty", "gp", "gradient penalty", "Penalty", optional=True),
)
LOSS_KEYS = tuple(c.key for c in LOSS_COLUMNS)
COLUMNS = ("step", "seconds", *LOSS_KEYS)


def first_bad_loss(losses: Sequence[float]) -> LossColumn | None:
    """The first required column whose value is NaN or infinite (losses in LOSS_COLUMNS order), else None."""
    for column, value in zip(LOSS_COLUMNS, losses, strict=False):
        if not column.optional and not np.isfinite(value):
            return column
    return None


class ColumnTable:
    """Named float64 columns in one array that doubles when full; views of it are handed out, never copies."""

    def __init__(self, columns: Iterable[str], capacity: int = 1024, fill: float = 0.0) -> None:
        self.columns = tuple(columns)
        self._fill = fill
        self._data = np.full((max(1, capacity), len(self.columns)), fill, np.float64)
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def clear(self, capacity: int = 1024) -> None:
        self._data = np.full((capacity, len(self.columns)), self._fill, np.float64)
        self._size = 0

    def append_rows(self, rows: np.ndarray) -> np.ndarray:
        """Add (n, len(columns)) rows; returns the view of the new rows in the table (to fill in place)."""
        rows = np.asarray(rows, dtype=np.float64).reshape(-1, len(self.columns))
        needed = self._size + len(rows)
        if needed > len(self._data):
            capacity = len(self._data)
            while capacity < needed:
                capacity *= 2
            grown = np.full((capacity, len(self.columns)), self._fill, np.float64)
            grown[: self._size] = self._data[: self._size]
            self._data = grown
        block = self._data[self._size : needed]
        block[:] = rows
        self._size = needed
        return block

    def column(self, name: str) -> np.ndarray:
        return self._data[: self._size, self.columns.index(name)]

    def rows(self) -> np.ndarray:
        return self._data[: self._size]

    def keep_every_other(self) -> None:
        """Drop every other row, into a fresh array so that views handed out before never change under them."""
        kept = self._data[: self._size : 2]
        fresh = np.full_like(self._data, self._fill)
        fresh[: len(kept)] = kept
        self._data, self._size = fresh, len(kept)


class History(ColumnTable):
    """Per-step losses of a run (COLUMNS), saved in checkpoints."""

    def __init__(self, capacity: int = 1024) -> None:
        super().__init__(COLUMNS, capacity)

    def append(self, step: int, seconds: float, *losses: float) -> None:
        if len(losses) != len(LOSS_COLUMNS):
            raise ValueError(f"expected {len(LOSS_COLUMNS)} losses ({', '.join(LOSS_KEYS)}), got {len(losses)}")
        self.append_rows(np.array([(step, seconds, *losses)]))

    def arrays(self) -> dict[str, np.ndarray]:
        return {name: self.column(name).copy() for name in COLUMNS}

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> History:
        """Rebuild from saved columns; a column missing from an older file is left at 0."""
        history = cls()
        if not arrays:
            return history
        n = len(arrays["step"])
        rows = np.zeros((n, len(COLUMNS)), np.float64)
        for i, name in enumerate(COLUMNS):
            if name in arrays:
                rows[:, i] = arrays[name]
        history.clear(max(1024, 2 * n))
        history.append_rows(rows)
        return history
