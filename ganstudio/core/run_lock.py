"""An exclusive lock on a run folder, held by the one process that trains into it.

The OS lock (flock on POSIX, msvcrt.locking on Windows) belongs to an open file, so it disappears with the
process however it ends, kill -9 included: no stale lock to clean up. The lock file holds the holder's PID so the
refusal can name it. Torch-free and Qt-free: the CLI and the app take the lock before loading any data.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from types import TracebackType

from ganstudio.errors import GanStudioError

LOCK_NAME = ".ganstudio.lock"
_WINDOWS_LOCK_OFFSET = 2**30  # msvcrt locks bytes; locking one far past the PID leaves the PID readable


class RunFolderLockedError(GanStudioError):
    """Another process trains into this run folder; `pid` is its process id when known."""

    def __init__(self, folder: Path, pid: int | None) -> None:
        holder = f"process {pid}" if pid else "another process"
        super().__init__(
            f"{folder} is in use by another GAN Studio run ({holder}); wait for it to finish, stop it, "
            "or choose another folder"
        )
        self.folder = folder
        self.pid = pid


class RunFolderLock:
    """`with RunFolderLock(folder):` holds the folder's lock; raises RunFolderLockedError when it is taken."""

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder)
        self.path = self.folder / LOCK_NAME
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> RunFolderLock:
        if self._fd is not None:
            return self
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            if not _try_lock(fd):
                pid = _read_pid(fd)
                os.close(fd)
                raise RunFolderLockedError(self.folder, pid)
            # The previous holder may have removed the file between our open and our lock; a lock on a removed
            # file protects nothing, so try again on the file that is there now.
            if _same_file(fd, self.path):
                break
            os.close(fd)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return self

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        if sys.platform != "win32":  # removed while still locked, so no other process can lock the old file
            with contextlib.suppress(OSError):
                self.path.unlink()
        os.close(fd)  # closing drops the OS lock
        if sys.platform == "win32":
            with contextlib.suppress(OSError):
                self.path.unlink()

    def __enter__(self) -> RunFolderLock:
        return self.acquire()

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.release()


def _try_lock(fd: int) -> bool:
    if sys.platform == "win32":
        import msvcrt

        os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        finally:
            os.lseek(fd, 0, os.SEEK_SET)
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _same_file(fd: int, path: Path) -> bool:
    try:
        on_disk = os.stat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (held.st_dev, held.st_ino) == (on_disk.st_dev, on_disk.st_ino)


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0) if hasattr(os, "pread") else b""
        return int(text.decode().strip()) if text.strip() else None
    except (OSError, ValueError):
        return None
