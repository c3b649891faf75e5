"""Strict reader and writer for the IDX format MNIST and Fashion-MNIST ship in.

Layout: two zero bytes, a dtype code, the number of dimensions, one big-endian
uint32 per dimension, then the row-major payload (big-endian for multi-byte types).
Files may be gzipped; we detect that by the gzip magic bytes, because users
rename and decompress these files by hand and the suffix often lies.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

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


def is_gzip(path: Path) -> bool:
    """True when the file starts with the gzip magic bytes, whatever its name."""
    try:
        with open(path, "rb") as f:
            return f.read(2) == GZIP_MAGIC
    except OSError as exc:
        raise DataError(f"{path}: cannot read the file ({exc.strerror or exc})") from exc


def read_bytes(path: Path) -> bytes:
    """The file's contents, decompressed when it is gzipped."""
    path = Path(path)
    compressed = is_gzip(path)
    try:
        if not compressed:
            return path.read_bytes()
        with gzip.open(path, "rb") as f:
            return f.read()
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        # EOFError is how gzip reports a stream cut short (an interrupted download).
        raise DataError(f"{path}: corrupted gzip stream ({_reason(exc)}); delete the file and get it again") from exc
    except OSError as exc:
        raise DataError(f"{path}: cannot read the file ({exc.strerror or exc})") from exc


def _reason(exc: BaseException) -> str:
    if isinstance(exc, EOFError):
        return "the compressed data ends too early"
    return str(exc) or type(exc).__name__


def parse_idx(data: bytes, path: Path) -> np.ndarray:
    """Decode IDX bytes; `path` only names the file in error messages."""
    code, ndim = _parse_magic(data, path)
    dims = _parse_dims(data, ndim, path)
    dtype = IDX_DTYPES[code]
    header = 4 + 4 * ndim
    _check_payload_size(len(data) - header, dims, dtype, path)
    array = np.frombuffer(data, dtype=dtype, offset=header).reshape(dims)
    # A writable native-endian copy, so callers may modify it and math is not slowed by byte swaps.
    return array.astype(dtype.newbyteorder("="))


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
    return code, ndim


def _parse_dims(data: bytes, ndim: int, path: Path) -> tuple[int, ...]:
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(
            f"{path}: truncated, the IDX header of {ndim} dimensions needs {header} bytes but the file has {len(data)}"
        )
    return tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))


def _check_payload_size(found: int, dims: tuple[int, ...], dtype: np.dtype, path: Path) -> None:
    # Python ints, so that absurd dimensions in a corrupt header cannot overflow.
    expected = dtype.itemsize
    for d in dims:
        expected *= d
    what = "pixel data" if len(dims) >= 3 else "label data" if len(dims) == 1 else "data"
    if found < expected:
        raise DataError(f"{path}: truncated, expected {expected:,} bytes of {what}, found {found:,}")
    if found > expected:
        raise DataError(
            f"{path}: {found - expected:,} bytes of trailing data, expected {expected:,} bytes of {what}, "
            f"found {found:,} (the header says {' x '.join(map(str, dims))})"
        )


def read_idx(path: Path) -> np.ndarray:
    """Read a raw or gzipped IDX file into a native-endian array of the shape its header gives."""
    path = Path(path)
    return parse_idx(read_bytes(path), path)


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
