"""Cyclic garbage is collected on the UI thread, never on a worker thread (see gui/main_thread_gc.py)."""

from __future__ import annotations

import gc
import threading
from typing import ClassVar

from PySide6.QtWidgets import QApplication, QWidget

from ganstudio.gui.app import create_application
from ganstudio.gui.main_thread_gc import MainThreadGarbageCollector


class _Cyclic(QWidget):
    collected_on: ClassVar[list[str]] = []

    def __init__(self) -> None:
        super().__init__()
        self.me = self  # a reference cycle: only the cyclic collector frees it

    def __del__(self) -> None:
        _Cyclic.collected_on.append(threading.current_thread().name)


def test_the_app_turns_automatic_collection_off_and_collects_on_its_timer(qtbot) -> None:
    app = create_application([])
    collectors = [c for c in app.children() if isinstance(c, MainThreadGarbageCollector)]
    assert len(collectors) == 1 and not gc.isenabled()
    create_application([])  # a second call adds no second collector
    assert len([c for c in app.children() if isinstance(c, MainThreadGarbageCollector)]) == 1

    _Cyclic.collected_on.clear()
    _Cyclic()  # now garbage, held only by its cycle
    done = threading.Event()

    def allocate() -> None:  # a worker that allocates far past gen-0's threshold, as training does
        junk = [[] for _ in range(50 * gc.get_threshold()[0])]
        del junk
        done.set()

    worker = threading.Thread(target=allocate, name="worker")
    worker.start()
    worker.join(10)
    assert done.is_set() and _Cyclic.collected_on == []  # the worker's allocations collected nothing
    kept = [[] for _ in range(2 * gc.get_threshold()[0])]  # live allocations past gen-0's threshold ...
    qtbot.waitUntil(lambda: bool(_Cyclic.collected_on), timeout=5000)  # ... make the UI thread's timer collect
    del kept
    assert _Cyclic.collected_on == [threading.main_thread().name]
    assert isinstance(QApplication.instance(), QApplication)
