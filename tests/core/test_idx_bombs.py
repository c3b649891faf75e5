"""Gzip bombs and lying IDX headers: rejected with a clear message while peak memory stays bounded.

Each file is a few hundred kB that inflates to 512 MiB; the reader must stop long before that. Linux only:
the peak is read from /proc/self/status.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from ganstudio.core.data import DataError, read_idx
from ganstudio.core.data.idx import MAX_PAYLOAD_BYTES, read_idx_header
from tests.core.bombs import RSS_LIMIT_MB, gzip_bomb, idx_header, run_measured

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="peak memory from /proc (Linux only)")

_READ = """
from pathlib import Path
from ganstudio.core.data import DataError, read_idx
try:
    result = list(read_idx(Path({path!r})).shape)
except DataError as exc:
    result = str(exc)
"""


def _read_measured(path: Path) -> tuple[object, float]:
    report = run_measured(_READ.format(path=str(path)))
    return report["result"], report["peak_rss_mb"]


def test_huge_dimensions_are_refused_before_inflating(tmp_path: Path) -> None:
    bomb = gzip_bomb(tmp_path / "bomb-idx3-ubyte.gz", idx_header(0x08, (100_000, 1000, 1000)), zero_mib=512)
    assert bomb.stat().st_size < 1 << 20
    message, peak = _read_measured(bomb)
    assert isinstance(message, str) and "1,073,741,824 bytes allowed" in message and str(bomb) in message
    assert peak < RSS_LIMIT_MB


def test_a_header_that_lies_stops_inflating_past_what_it_declares(tmp_path: Path) -> None:
    bomb = gzip_bomb(tmp_path / "liar-idx3-ubyte.gz", idx_header(0x08, (10, 28, 28)), zero_mib=512)
    message, peak = _read_measured(bomb)
    assert isinstance(message, str) and "more than 16,777,216 bytes of trailing data" in message
    assert "the header says 10 x 28 x 28" in message
    assert peak < RSS_LIMIT_MB


def test_a_declared_size_the_file_cannot_hold_is_refused_up_front(tmp_path: Path) -> None:
    # 1,000,000 x 32 x 32 is within the limits, but no deflate stream of this size inflates to 1 GB.
    bomb = gzip_bomb(tmp_path / "short-idx3-ubyte.gz", idx_header(0x08, (1_000_000, 32, 32)), zero_mib=256)
    message, peak = _read_measured(bomb)
    assert isinstance(message, str) and "cannot hold" in message
    assert peak < RSS_LIMIT_MB


@pytest.mark.parametrize(
    ("dims", "expected"),
    [
        ((2_000_000,), "declares 2,000,000 items, more than the 1,000,000 allowed"),
        ((10, 2000, 2), "no dimension may exceed 1024"),
        ((1_000_000, 1024, 1024), f"more than the {MAX_PAYLOAD_BYTES:,} bytes allowed"),
    ],
)
def test_header_limits(tmp_path: Path, dims: tuple[int, ...], expected: str) -> None:
    path = tmp_path / "h-idx-ubyte"
    path.write_bytes(idx_header(0x08, dims))
    with pytest.raises(DataError, match=expected):
        read_idx_header(path)
    with pytest.raises(DataError, match=expected):
        read_idx(path)


def test_too_many_dimensions(tmp_path: Path) -> None:
    path = tmp_path / "nd-idx-ubyte"
    path.write_bytes(idx_header(0x08, (1,) * 9) + b"\0")
    with pytest.raises(DataError, match="declares 9 dimensions, at most 8"):
        read_idx(path)


def test_multi_byte_types_come_back_native_and_writable(tmp_path: Path) -> None:
    values = np.arange(-6, 6, dtype=np.int32).reshape(3, 4)
    path = tmp_path / "i4-idx2-ubyte"
    path.write_bytes(idx_header(0x0C, (3, 4)) + values.astype(">i4").tobytes())
    back = read_idx(path)
    assert back.dtype.isnative and back.flags.writeable
    np.testing.assert_array_equal(back, values)
