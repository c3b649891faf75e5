"""Which latent dimensions get a slider: the first DEFAULT_VISIBLE_DIMS, all of them, or the user's own list
("0-7, 12"). Plain state with a change callback, like the other exploration models. numpy-free."""

from __future__ import annotations

from ganstudio.runtime.events import Callbacks

DEFAULT_VISIBLE_DIMS = 16


def parse_dims(text: str, latent_dim: int) -> list[int]:
    """'0-7, 12, 20-23' -> [0..7, 12, 20..23] (deduplicated, ordered). Raises ValueError with a reason."""
    dims: list[int] = []
    for part in filter(None, (p.strip() for p in text.replace(";", ",").split(","))):
        lo_text, dash, hi_text = part.partition("-")
        try:
            lo = int(lo_text)
            hi = int(hi_text) if dash else lo
        except ValueError:
            raise ValueError(f"'{part}' is not a dimension or a range like 0-15") from None
        if lo > hi:
            lo, hi = hi, lo
        if lo < 0 or hi >= latent_dim:
            raise ValueError(f"'{part}' is outside 0..{latent_dim - 1}")
        dims.extend(d for d in range(lo, hi + 1) if d not in dims)
    if not dims:
        raise ValueError("no dimensions given")
    return dims


def format_dims(dims: list[int]) -> str:
    """The inverse of parse_dims, with ranges collapsed."""
    parts: list[str] = []
    start: int | None = None
    for i, d in enumerate(dims):
        start = d if start is None else start
        if i + 1 == len(dims) or dims[i + 1] != d + 1:
            parts.append(str(d) if start == d else f"{start}-{d}")
            start = None
    return ", ".join(parts)


class DimensionChoice:
    """Which latent dimensions get a slider: all of them, a custom list, or the first 16."""

    def __init__(self) -> None:
        self.changed: Callbacks[[]] = Callbacks()  # latent_dim, show_all or the custom list changed
        self._latent_dim = 0
        self._custom: list[int] | None = None
        self._show_all = False

    @property
    def latent_dim(self) -> int:
        return self._latent_dim

    @property
    def show_all(self) -> bool:
        return self._show_all

    @property
    def dims(self) -> list[int]:
        if self._show_all:
            return list(range(self._latent_dim))
        if self._custom is not None:
            return list(self._custom)
        return list(range(min(DEFAULT_VISIBLE_DIMS, self._latent_dim)))

    def set_latent_dim(self, latent_dim: int) -> None:
        if latent_dim == self._latent_dim:
            return
        self._latent_dim = latent_dim
        if self._custom is not None and any(d >= latent_dim for d in self._custom):
            self._custom = None
        self.changed.emit()

    def set_show_all(self, show: bool) -> None:
        if show != self._show_all:
            self._show_all = show
            self.changed.emit()

    def set_custom(self, dims: list[int] | None) -> None:
        """Choose the dimensions shown (None: the first 16); leaves "show all"."""
        self._custom = list(dims) if dims else None
        self._show_all = False
        self.changed.emit()

    def apply_text(self, text: str) -> None:
        """Dimensions typed by the user ('0-15, 20'); raises ValueError saying what is wrong."""
        if not self._latent_dim or self._show_all:
            return
        dims = parse_dims(text, self._latent_dim)
        if dims != self.dims:
            self.set_custom(dims)
