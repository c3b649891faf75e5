"""Test setup for the whole suite: no test may leave a Python thread running.

tests/gui/conftest.py checks QThreads for the GUI tests; this checks plain Python threads (threading.Thread)
everywhere, because a leaked worker keeps using the CPU and the data it holds while later tests run, and makes
their failures hard to read. A thread counts when the test's body started it and it is still alive once the
test's fixtures are torn down (plus a short grace period for threads told to stop at teardown).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Generator

import pytest

_GRACE_SECONDS = 2.0  # a thread told to stop at teardown may need a moment to return


def _running_threads(before: set[threading.Thread]) -> list[threading.Thread]:
    # Dummy threads stand for threads Python did not start (a QThread that ran Python code): they never
    # leave threading's table, so they cannot be judged here; tests/gui/conftest.py checks QThreads.
    return [
        t
        for t in threading.enumerate()
        if t not in before
        and t is not threading.main_thread()
        and not isinstance(t, threading._DummyThread)
        and t.is_alive()
    ]


_THREADS_BEFORE = pytest.StashKey[set[threading.Thread]]()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item: pytest.Item) -> None:
    # After setup: threads that module- or session-scoped fixtures start (a local HTTP server) live on
    # legitimately until their scope ends; what the test itself starts must be gone after its teardown.
    item.stash[_THREADS_BEFORE] = set(threading.enumerate())


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, object, object]:
    result = yield  # the test's fixtures are torn down by now
    before = item.stash.get(_THREADS_BEFORE, set())
    deadline = time.monotonic() + _GRACE_SECONDS
    leaked = _running_threads(before)
    while leaked and time.monotonic() < deadline:
        time.sleep(0.05)
        leaked = _running_threads(before)
    if leaked:
        names = ", ".join(repr(t.name) for t in leaked)
        raise AssertionError(f"{item.nodeid} left {len(leaked)} Python thread(s) running: {names}")
    return result


@pytest.fixture(autouse=True)
def _folder_cache_in_tmp(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Image folders loaded by tests are decoded into a per-test cache, never the user's (core/folder_cache.py)."""
    monkeypatch.setenv("GANSTUDIO_FOLDER_CACHE", str(tmp_path_factory.mktemp("folder-cache")))
