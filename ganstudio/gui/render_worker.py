"""Generator inference off the UI thread, latest-wins (stylegan3's AsyncRenderer idea, in Qt).

    UI thread                                   render thread (RenderWorker)
    ---------                                   ----------------------------
    RenderService.submit(channel, backend, z)   pending[channel] = newest request   (older pending replaced)
        -> worker.post(request)  (locks a dict)  _drain(): pop newest per channel, generate(), emit result
    RenderService._on_result(result)  <-------  result_ready(RenderResult)           (queued signal)
        drops it when older than what the channel already showed or than the last invalidate()

Each *channel* ("current", "grid", "strip", ...) has at most one pending request, so a slider drag that posts
hundreds of requests renders only as fast as the model allows and always ends on the last value, while a grid
batch never gets thrown away by a slider move. Only plain data crosses threads: numpy arrays and frozen
dataclasses (plus the backend object the UI hands over, which only this thread runs).

The same thread also runs one-off jobs (opening a model file, building a live-training generator) in FIFO
order before any render, so loading never blocks the UI either. The lock / wake / drain / stop machinery is
`LatestWinsWorker` (latest_wins.py), shared with the live metrics. Shutdown is cooperative: a stop flag, then
QThread.quit() and wait(); never terminate().
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import logging
import math
import time
import weakref
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from ganstudio.gui.latest_wins import LatestWinsWorker
from ganstudio.runtime.backends import blend_classes

log = logging.getLogger(__name__)

_SERVICES: weakref.WeakSet[RenderService] = weakref.WeakSet()


@atexit.register
def _shutdown_services() -> None:
    """A script that never closed its window must not end with "QThread destroyed while running"."""
    for service in list(_SERVICES):
        with contextlib.suppress(RuntimeError):  # its Qt objects are already gone
            service.shutdown()


# Channels drained first are the ones the user is dragging: the current sample before the batch views.
CHANNEL_PRIORITY = ("current", "grid", "keys", "strip")


@dataclass(frozen=True)
class RenderRequest:
    request_id: int
    channel: str
    backend: Any  # a GeneratorBackend; only the render thread calls it
    z: np.ndarray  # (N, latent_dim) float32, truncation already applied
    labels: np.ndarray | None  # (N,) int64 for class-conditional models
    blend: tuple[int, float] | None = None  # (label_b, t): morph every label towards label_b by t in [0, 1]
    tag: Any = None  # caller data handed back with the result (e.g. the raw latents behind a grid)


@dataclass(frozen=True)
class RenderResult:
    request: RenderRequest
    images: np.ndarray | None  # (N, C, H, W) float32 in [0, 1]; None on error
    ms: float  # wall time of the generator call(s)
    error: str | None = None
    blend_mode: str = ""  # "embedding" (a real morph), "crossfade" (pixel mix) or "" (no blend)


def render(request: RenderRequest) -> RenderResult:
    """Run one request synchronously (the worker calls this; tests may too)."""
    backend = request.backend
    start = time.perf_counter()
    try:
        mode = ""
        if request.blend is not None and request.labels is not None and request.blend[1] > 0.0:
            label_b, t = request.blend
            images, mode = blend_classes(backend, request.z, request.labels, label_b, t)
        else:
            images = backend.generate(request.z, request.labels)
        images = np.asarray(images, np.float32)
        return RenderResult(request, images, (time.perf_counter() - start) * 1000.0, None, mode)
    except Exception as exc:  # a model that fails to run must not take the thread down
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return RenderResult(request, None, (time.perf_counter() - start) * 1000.0, message)


@dataclass(frozen=True)
class _Job:
    """A one-off call run on the render thread before any render (job_id -1: report nothing)."""

    job_id: int
    fn: Callable[[], Any]


class RenderWorker(LatestWinsWorker):
    """Lives in the render thread. `post`, `post_job` and `retire` are called from the UI thread.

    What waits: the newest request per channel (latest wins within a channel, channels never replace each
    other) and a FIFO of one-off jobs, which run first. Renders may be paced (`set_min_interval`).
    """

    result_ready = Signal(object)  # RenderResult
    job_done = Signal(int, object, object)  # job id, return value, error message (str) or None

    def __init__(self) -> None:
        super().__init__()
        self._requests: dict[str, RenderRequest] = {}
        self._jobs: deque[_Job] = deque()
        self._min_interval = 0.0  # seconds between render starts; 0 = render as fast as requests come
        self._last_render = -math.inf

    def post(self, request: RenderRequest) -> None:
        self.submit(request)

    def post_job(self, job_id: int, fn: Callable[[], Any]) -> None:
        self._post(lambda: self._jobs.append(_Job(job_id, fn)))

    def retire(self, backend: Any) -> None:
        """Close `backend` in the render thread after the render in flight; drop its pending requests."""
        with self._lock:
            for channel in [c for c, r in self._requests.items() if r.backend is backend]:
                del self._requests[channel]
        self.post_job(-1, getattr(backend, "close", lambda: None))

    def set_min_interval(self, seconds: float) -> None:
        with self._lock:
            self._min_interval = max(0.0, seconds)

    # ------------------------------------------------------------- LatestWinsWorker hooks (under the lock)
    def _store_locked(self, job: Any) -> None:
        self._requests[job.channel] = job  # latest wins: an older pending request of its channel is dropped

    def _take_locked(self) -> RenderRequest | _Job | None:
        if self._jobs:
            return self._jobs.popleft()
        for channel in (*CHANNEL_PRIORITY, *self._requests):
            if channel in self._requests:
                return self._requests.pop(channel)
        return None

    def _clear_locked(self) -> None:
        self._requests.clear()
        self._jobs.clear()

    def _wait_locked(self) -> float:
        """Seconds to wait before the next render may start; 0 when a job is queued (a job posted during a wait
        runs when that wait ends, at most one interval later)."""
        if self._min_interval <= 0 or self._jobs or not self._requests:
            return 0.0
        return self._last_render + self._min_interval - time.perf_counter()

    # ------------------------------------------------------------- the render thread
    def _process(self, job: RenderRequest | _Job) -> None:
        if isinstance(job, RenderRequest):
            self._last_render = time.perf_counter()
            self.result_ready.emit(render(job))
            return
        try:
            value, error = job.fn(), None
        except Exception as exc:
            value, error = None, str(exc).strip() or type(exc).__name__
            log.debug("render thread job failed", exc_info=True)
        if job.job_id >= 0:
            self.job_done.emit(job.job_id, value, error)


class RenderService(QObject):
    """The UI-side owner of the render thread: numbers requests, filters stale results, runs jobs."""

    rendered = Signal(object)  # RenderResult that is still current for its channel (may carry an error)
    job_finished = Signal(int, object, object)  # job id, value, error

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ids = itertools.count(1)
        self._shown: dict[str, int] = {}  # newest request id already delivered, per channel
        self._floor = 0  # results of requests older than this are dropped (set by invalidate)
        self._worker = RenderWorker()
        self._worker.result_ready.connect(self._on_result)
        self._worker.job_done.connect(self.job_finished)
        self._running = True
        self._thread = self._worker.start_thread("ganstudio-render")
        _SERVICES.add(self)

    def submit(
        self,
        channel: str,
        backend: Any,
        z: np.ndarray,
        labels: np.ndarray | None = None,
        blend: tuple[int, float] | None = None,
        tag: Any = None,
    ) -> int:
        """Queue a render; it replaces any not-yet-started request on the same channel. Returns its id."""
        request_id = next(self._ids)
        z = np.ascontiguousarray(z, np.float32).copy()  # the caller may keep editing its own array
        labels = None if labels is None else np.ascontiguousarray(labels, np.int64).copy()
        if self._running:
            self._worker.post(RenderRequest(request_id, channel, backend, z, labels, blend, tag))
        return request_id

    def run_job(self, fn: Callable[[], Any]) -> int:
        """Run `fn()` in the render thread; `job_finished(id, value, error)` reports back."""
        job_id = next(self._ids)
        if self._running:
            self._worker.post_job(job_id, fn)
        return job_id

    def set_min_interval(self, seconds: float) -> None:
        """Start renders at most once per `seconds` (0: no limit). Requests in between coalesce, latest wins."""
        self._worker.set_min_interval(seconds)

    def invalidate(self) -> None:
        """Drop every result of a request made before now (e.g. the model changed)."""
        self._floor = next(self._ids)

    def retire(self, backend: Any) -> None:
        """Close a backend that is no longer used, in the render thread, once no render needs it."""
        if backend is not None and self._running:
            self._worker.retire(backend)

    def is_running(self) -> bool:
        return self._running and self._thread.isRunning()

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Stop the render thread cooperatively; returns False if it did not finish in time."""
        if not self._running:
            return True
        self._running = False
        self._worker.stop()
        self._thread.quit()
        finished = self._thread.wait(timeout_ms)
        if not finished:
            log.warning("render thread did not stop within %d ms", timeout_ms)
        return finished

    @Slot(object)
    def _on_result(self, result: RenderResult) -> None:
        request = result.request
        if request.request_id < self._floor or request.request_id <= self._shown.get(request.channel, 0):
            return  # stale: a newer result was shown already, or the world changed since it was asked for
        self._shown[request.channel] = request.request_id
        self.rendered.emit(result)
