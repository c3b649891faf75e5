"""Crafted hostile inputs built in milliseconds: gzip bombs, and running a loader in a child process whose peak
memory is measured (VmHWM), so a test can assert that a tiny file never inflates into gigabytes."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

ZERO_MEMBER_BYTES = 16 << 20  # each gzip member inflates to 16 MiB of zeros and is ~16 kB on disk
RSS_LIMIT_MB = 300
_ROOT = Path(__file__).resolve().parents[2]


def idx_header(code: int, dims: tuple[int, ...]) -> bytes:
    return bytes([0, 0, code, len(dims)]) + b"".join(d.to_bytes(4, "big") for d in dims)


def gzip_bomb(path: Path, prefix: bytes, zero_mib: int) -> Path:
    """`prefix` then `zero_mib` MiB of zeros, gzipped as concatenated members (valid gzip, read as one stream)."""
    member = gzip.compress(bytes(ZERO_MEMBER_BYTES), compresslevel=9, mtime=0)
    with open(path, "wb") as out:
        out.write(gzip.compress(prefix, mtime=0))
        for _ in range(zero_mib * (1 << 20) // ZERO_MEMBER_BYTES):
            out.write(member)
    return path


def run_measured(code: str, timeout: float = 120) -> dict:
    """Run `code` in a fresh interpreter; it must set `result` (a JSON-able value). Returns
    {"result": ..., "peak_rss_mb": ...}; peak RSS is the child's maximum resident set size.

    Linux's VmHWM, not getrusage's ru_maxrss: a child started by vfork/exec from a large process (a long pytest
    session) reports the parent's peak as its own ru_maxrss."""
    wrapper = (
        "import json\n" + code + "\nwith open('/proc/self/status') as _s:\n"
        "    _peak = next(int(line.split()[1]) for line in _s if line.startswith('VmHWM:'))\n"
        "print(json.dumps({'result': result, 'peak_rss_mb': _peak / 1024}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", wrapper], capture_output=True, text=True, timeout=timeout, cwd=_ROOT, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    import struct
    import zlib

    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def huge_png(path: Path, side: int) -> Path:
    """A valid side x side greyscale PNG of zeros: a few hundred kB on disk, side**2 bytes once decoded."""
    import struct
    import zlib

    compressor = zlib.compressobj(9)
    row_block = bytes(side + 1) * 256  # 256 rows, each a filter byte and `side` pixels
    body = []
    for start in range(0, side, 256):
        rows = min(256, side - start)
        body.append(compressor.compress(row_block[: rows * (side + 1)]))
    body.append(compressor.flush())
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)  # 8-bit greyscale, no interlace
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", b"".join(body))
        + _png_chunk(b"IEND", b"")
    )
    return path
