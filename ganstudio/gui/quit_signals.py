"""`kill PID` (SIGTERM), a closed terminal or logout (SIGHUP) and Ctrl+C in the launching terminal close the app the
way its Quit does: a running training saves its checkpoint, settings are written, threads and the Playground's
process stop; then the app exits with 128 + the signal's number, as the command line does (cli/stop_signals.py).
A second signal while that runs ends the process at once.

Python runs a signal handler only when the interpreter gets control, and Qt's event loop keeps the main thread in
C++; `signal.set_wakeup_fd` writes a byte to a socket when a signal arrives, and a QSocketNotifier on the other
end wakes the event loop, so the handler runs within one event-loop turn.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
from collections.abc import Callable
from types import FrameType

from PySide6.QtCore import QObject, QSocketNotifier, QTimer

from ganstudio.cli.stop_signals import STOP_SIGNALS


class QuitOnSignals(QObject):
    """Calls `quit(exit_code)` on the first stop signal; a second one exits at once with that code."""

    def __init__(self, quit: Callable[[int], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._quit = quit
        self.received: int | None = None
        self._reader, self._writer = socket.socketpair()
        for end in (self._reader, self._writer):
            end.setblocking(False)
        self._previous_fd = signal.set_wakeup_fd(self._writer.fileno())
        self._notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._drain)
        self._previous = {signum: signal.signal(signum, self._handle) for signum in STOP_SIGNALS}

    def _drain(self) -> None:
        with contextlib.suppress(OSError):
            while self._reader.recv(64):
                pass

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.received is not None:
            os._exit(128 + self.received)  # asked twice: do not wait for the save
        self.received = signum
        QTimer.singleShot(0, lambda: self._quit(128 + signum))

    def uninstall(self) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)
        signal.set_wakeup_fd(self._previous_fd)
        self._notifier.setEnabled(False)
        self._reader.close()
        self._writer.close()
