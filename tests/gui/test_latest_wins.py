"""The latest-wins worker base shared by the renderer and the live metrics: newest job wins, cooperative stop."""

from __future__ import annotations

import os
import threading

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt, QThread, Signal

from ganstudio.gui.latest_wins import LatestWinsWorker


class Recorder(LatestWinsWorker):
    """Records the jobs it runs; job "block" waits until released (or stopped) and reports what it saw."""

    done = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.started = threading.Event()
        self.release = threading.Event()
        self.seen_interruption = False

    def _process(self, job: object) -> None:
        if job == "block":
            self.started.set()
            while not self.release.wait(0.01):
                if self.cancelled():
                    self.seen_interruption = QThread.currentThread().isInterruptionRequested()
                    break
        self.done.emit(job)


def start(qtbot) -> tuple[Recorder, QThread, list]:
    worker = Recorder()
    ran: list = []
    worker.done.connect(ran.append)
    thread = worker.start_thread("test-latest-wins")
    worker.drained.connect(thread.quit, Qt.ConnectionType.DirectConnection)
    assert thread.objectName() == "test-latest-wins" and thread.isRunning()
    return worker, thread, ran


def test_only_the_newest_waiting_job_runs_after_the_one_in_flight(qtbot):
    worker, thread, ran = start(qtbot)
    try:
        worker.submit("block")
        assert worker.started.wait(10)
        for i in range(100):  # each replaces the previous one while "block" runs
            worker.submit(i)
        assert worker.busy()
        worker.release.set()
        qtbot.waitUntil(lambda: not worker.busy(), timeout=10_000)
        qtbot.waitUntil(lambda: len(ran) == 2, timeout=10_000)
        assert ran == ["block", 99]
    finally:
        worker.finish()
        assert thread.wait(10_000)


def test_finish_runs_what_waits_then_reports_drained(qtbot):
    worker, thread, ran = start(qtbot)
    with qtbot.waitSignal(worker.drained, timeout=10_000):
        worker.submit("a")
        worker.finish()
    assert worker.finishing()
    assert thread.wait(10_000)  # drained quit the thread
    assert ran == ["a"]


def test_stop_drops_waiting_jobs_and_interrupts_the_one_in_flight(qtbot):
    worker, thread, ran = start(qtbot)
    worker.submit("block")
    assert worker.started.wait(10)
    worker.submit("dropped")
    worker.stop()
    assert worker.cancelled()
    assert thread.wait(10_000)  # the job saw cancelled(), returned, and drained quit the thread
    qtbot.wait(50)  # deliver the queued done signals
    assert ran == ["block"] and worker.seen_interruption
    worker.submit("after stop")  # ignored, not an error
    assert not worker.busy()
