"""Strict reader and writer for the IDX format MNIST and Fashion-MNIST ship in.

Layout: two zero bytes, a dtype code, the number of dimensions, one big-endian
uint32 per dimension, then the row-major payload (big-endian for multi-byte types).
Files may be gzipped; we detect that by the gzip magic bytes, because users
rename and decompress these files by hand and the suffix often lies.

Reading streams: the header is read and checked against sane limits before any
payload, and inflation stops once more bytes arrive than the header declares, so
a tiny gzip bomb (or a header that lies) can never inflate gigabytes into memory.
"""

from __future__ import annotations

import gzip
import hashlib
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from ganstudio.core.data.dataset import DataError

GZIP_MAGIC = b"\x1f\x8b"

# The dtype codes the IDX specification defines; multi-byte types are big-endian.
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

_CODE_FOR_KIND: dict[tuple[str, int], int] = {(dt.kind, dt.itemsize): code for code, dt in IDX_DTYPES.items()}

# Limits a header must respect before a single payload byte is read. The largest IDX data set in use, EMNIST
# ByClass (697,932 images of 28x28, 547 MB), fits them with room to spare; a header beyond them is damaged or a bomb.
MAX_ITEMS = 1_000_000  # the first dimension
MAX_DIM = 1024  # every other dimension
MAX_NDIM = 8
MAX_PAYLOAD_BYTES = 1 << 30  # 1 GiB
CHUNK_BYTES = 1 << 20  # inflate in 1 MiB steps
TRAILING_PROBE_BYTES = 16 << 20  # trailing bytes counted exactly up to this much, then "more than"
DEFLATE_MAX_RATIO = 1032  # deflate's ceiling (RFC 1951: 258 bytes per 2-bit code); no gzip file inflates further


@dataclass(frozen=True)
class IdxHeader:
    dtype: np.dtype
    dims: tuple[int, ...]

    @property
    def size(self) -> int:
        """Header bytes: the magic number and one uint32 per dimension."""
        return 4 + 4 * len(self.dims)

    @property
    def payload_bytes(self) -> int:
        expected = self.dtype.itemsize
        for d in self.dims:  # Python ints: absurd dimensions cannot overflow
            expected *= d
        return expected

    @property
    def what(self) -> str:
        return "pixel data" if len(self.dims) >= 3 else "label data" if len(self.dims) == 1 else "data"


def is_gzip(path: Path) -> bool:
    """True when the file starts with the gzip magic bytes, whatever its name."""
    try:
        with open(path, "rb") as f:
            return f.read(2) == GZIP_MAGIC
    except OSError as exc:
        raise DataError(f"{path}: cannot read the file ({exc.strerror or exc})") from exc


@contextmanager
def open_contents(path: Path) -> Iterator[BinaryIO]:
    """The file's contents as a stream, inflated as it is read when the file is gzipped.

    Read errors, including a corrupted or cut gzip stream, become DataError naming the file.
    """
    path = Path(path)
    compressed = is_gzip(path)
    try:
        with gzip.open(path, "rb") if compressed else open(path, "rb") as stream:
            yield stream  # type: ignore[misc]
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        # EOFError is how gzip reports a stream cut short (an interrupted download).
        raise DataError(f"{path}: corrupted gzip stream ({_reason(exc)}); delete the file and get it again") from exc
    except OSError as exc:
        raise DataError(f"{path}: cannot read the file ({exc.strerror or exc})") from exc


def content_sha256(path: Path, max_bytes: int) -> str:
    """SHA-256 of the (decompressed) contents, read in chunks; DataError once more than `max_bytes` arrive."""
    digest = hashlib.sha256()
    total = 0
    with open_contents(path) as stream:
        while block := stream.read(CHUNK_BYTES):
            total += len(block)
            if total > max_bytes:
                raise DataError(f"{path}: more than {max_bytes:,} bytes of contents, expected at most {max_bytes:,}")
            digest.update(block)
    return digest.hexdigest()


def _reason(exc: BaseException) -> str:
    if isinstance(exc, EOFError):
        return "the compressed data ends too early"
    return str(exc) or type(exc).__name__


def _read_exactly(stream: BinaryIO, n: int) -> bytes:
    parts, got = [], 0
    while got < n:
        block = stream.read(n - got)
        if not block:
            break
        parts.append(block)
        got += len(block)
    return b"".join(parts)


def read_header(stream: BinaryIO, path: Path) -> IdxHeader:
    """Read and check the magic number and dimensions, leaving the stream at the payload."""
    magic = _read_exactly(stream, 4)
    code, ndim = _parse_magic(magic, path)
    raw_dims = _read_exactly(stream, 4 * ndim)
    if len(raw_dims) < 4 * ndim:
        raise DataError(
            f"{path}: truncated, the IDX header of {ndim} dimensions needs {4 + 4 * ndim} bytes "
            f"but the file has {4 + len(raw_dims)}"
        )
    dims = tuple(int.from_bytes(raw_dims[4 * i : 4 * i + 4], "big") for i in range(ndim))
    header = IdxHeader(IDX_DTYPES[code], dims)
    _check_limits(header, path)
    return header


def _parse_magic(data: bytes, path: Path) -> tuple[int, int]:
    if len(data) < 4:
        raise DataError(
            f"{path}: truncated, an IDX file starts with a 4-byte magic number but the file has {len(data)} bytes"
        )
    zero0, zero1, code, ndim = data[:4]
    if zero0 != 0 or zero1 != 0:
        found = " ".join(f"{b:02x}" for b in data[:4])
        raise DataError(f"{path}: not an IDX file (it starts with bytes {found}, expected 00 00 <type> <dimensions>)")
    if code not in IDX_DTYPES:
        known = ", ".join(f"0x{c:02x}" for c in IDX_DTYPES)
        raise DataError(f"{path}: not a valid IDX file (unknown data type code 0x{code:02x}; known codes: {known})")
    if ndim == 0:
        raise DataError(f"{path}: not a valid IDX file (it declares 0 dimensions)")
    if ndim > MAX_NDIM:
        raise DataError(f"{path}: not a usable IDX file (it declares {ndim} dimensions, at most {MAX_NDIM} allowed)")
    return code, ndim


def _check_limits(header: IdxHeader, path: Path) -> None:
    shape = " x ".join(map(str, header.dims))
    if header.dims[0] > MAX_ITEMS:
        raise DataError(f"{path}: the header declares {header.dims[0]:,} items, more than the {MAX_ITEMS:,} allowed")
    if any(d > MAX_DIM for d in header.dims[1:]):
        raise DataError(f"{path}: the header declares items of {shape}; no dimension may exceed {MAX_DIM}")
    if header.payload_bytes > MAX_PAYLOAD_BYTES:
        raise DataError(
            f"{path}: the header declares {shape} ({header.payload_bytes:,} bytes), "
            f"more than the {MAX_PAYLOAD_BYTES:,} bytes allowed"
        )


def _read_payload(stream: BinaryIO, header: IdxHeader, path: Path) -> np.ndarray:
    """Exactly the payload the header declares, into one preallocated buffer; nothing more is inflated."""
    expected = header.payload_bytes
    buffer = np.empty(expected, dtype=np.uint8)
    view = buffer.data  # a memoryview: readinto fills the array in place
    found = 0
    while found < expected:
        n = stream.readinto(view[found : found + CHUNK_BYTES])  # type: ignore[attr-defined]
        if not n:
            raise DataError(f"{path}: truncated, expected {expected:,} bytes of {header.what}, found {found:,}")
        found += n
    trailing = _count_trailing(stream)
    if trailing:
        exact = trailing <= TRAILING_PROBE_BYTES
        raise _trailing_error(path, header, min(trailing, TRAILING_PROBE_BYTES), exact)
    return buffer


def _trailing_error(path: Path, header: IdxHeader, trailing: int, exact: bool) -> DataError:
    more = "" if exact else "more than "
    expected = header.payload_bytes
    return DataError(
        f"{path}: {more}{trailing:,} bytes of trailing data, expected {expected:,} bytes of {header.what}, "
        f"found {more}{expected + trailing:,} (the header says {' x '.join(map(str, header.dims))})"
    )


def _count_trailing(stream: BinaryIO) -> int:
    """Bytes after the payload, counted up to just past TRAILING_PROBE_BYTES and then no further."""
    count = 0
    while count <= TRAILING_PROBE_BYTES:
        block = stream.read(CHUNK_BYTES)
        if not block:
            break
        count += len(block)
    return count


def _as_array(buffer: np.ndarray, header: IdxHeader) -> np.ndarray:
    # A writable native-endian array, so callers may modify it and math is not slowed by byte swaps.
    array = buffer.view(header.dtype).reshape(header.dims)
    if header.dtype.itemsize > 1:
        array = array.byteswap(inplace=True).view(header.dtype.newbyteorder("="))
    return array


def _check_file_size(path: Path, header: IdxHeader, compressed: bool) -> None:
    """A file's size tells, before any payload is read, whether it can hold what its header declares: exactly
    for a raw file, as deflate's maximum ratio for a gzipped one."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise DataError(f"{path}: cannot read the file ({exc.strerror or exc})") from exc
    expected = header.payload_bytes
    if compressed:
        if expected > size * DEFLATE_MAX_RATIO:
            raise DataError(
                f"{path}: truncated, a gzip file of {size:,} bytes cannot hold the {expected:,} bytes of "
                f"{header.what} its header declares"
            )
        return
    found = size - header.size
    if found < expected:
        raise DataError(f"{path}: truncated, expected {expected:,} bytes of {header.what}, found {found:,}")
    if found > expected:
        raise _trailing_error(path, header, found - expected, exact=True)


def read_idx_header(path: Path) -> IdxHeader:
    """Only the header of a raw or gzipped IDX file (checked against the limits); reads a few bytes."""
    path = Path(path)
    with open_contents(path) as stream:
        return read_header(stream, path)


def read_idx(path: Path) -> np.ndarray:
    """Read a raw or gzipped IDX file into a native-endian array of the shape its header gives."""
    path = Path(path)
    compressed = is_gzip(path)
    with open_contents(path) as stream:
        header = read_header(stream, path)
        _check_file_size(path, header, compressed)
        buffer = _read_payload(stream, header, path)
    return _as_array(buffer, header)


def idx_bytes(array: np.ndarray) -> bytes:
    """Encode an array as IDX bytes (uncompressed)."""
    array = np.asarray(array)
    code = _CODE_FOR_KIND.get((array.dtype.kind, array.dtype.itemsize))
    if code is None:
        raise ValueError(f"IDX cannot store dtype {array.dtype}")
    if not 1 <= array.ndim <= 255:
        raise ValueError(f"IDX needs 1 to 255 dimensions, got {array.ndim}")
    header = bytes([0, 0, code, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + np.ascontiguousarray(array, dtype=IDX_DTYPES[code]).tobytes()


def write_idx(path: Path, array: np.ndarray, gz: bool = False) -> None:
    """Write `array` as an IDX file, gzipped when `gz` is true."""
    data = idx_bytes(array)
    if gz:
        # mtime=0 keeps the output byte-identical across runs, which tests rely on for hashing.
        data = gzip.compress(data, compresslevel=6, mtime=0)
    Path(path).write_bytes(data)
