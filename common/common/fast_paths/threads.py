"""The threads of fast paths' sync answers (common/fast_paths): a pool handing calls over on a queue."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import queue
import threading

from django.conf import settings


class _Threads:
    """The threads of fast paths' sync answers: one per call in progress, as Django's handler gives
    each request one, made only when none is idle, and at most as many as the requests a process
    admits at once (a slow dependency, say Redis paused, holds no more requests back than on
    Django's path). A call is handed over on a queue and its result posted back to the loop: a third
    of what `loop.run_in_executor` costs per call, which chains two futures through callbacks."""

    def __init__(self, limit: int):
        self.limit, self.started = limit, 0
        self.calls: queue.SimpleQueue = queue.SimpleQueue()
        self.idle = threading.Semaphore(0)
        self.lock = threading.Lock()

    def call(self, function) -> asyncio.Future:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self.calls.put((loop, future, function))
        if not self.idle.acquire(blocking=False):
            with self.lock:
                if self.started < self.limit:
                    self.started += 1
                    threading.Thread(target=self._work, name=f"fast-path-{self.started}", daemon=True).start()
        return future

    def _work(self) -> None:
        while True:
            loop, future, function = self.calls.get()
            try:
                outcome = (function(), None)
            except BaseException as exc:  # handed to the awaiting request, as an executor does
                outcome = (None, exc)
            loop.call_soon_threadsafe(_settle, future, *outcome)
            del loop, future, function, outcome
            self.idle.release()


def _settle(future: asyncio.Future, result, exc: BaseException | None) -> None:
    if future.cancelled():
        return
    if exc is not None:
        future.set_exception(exc)
    else:
        future.set_result(result)


@functools.cache
def _threads() -> _Threads:
    return _Threads(settings.MAX_INFLIGHT_REQUESTS)


async def blocking(function, /, *args, **kwargs):
    """`function(*args, **kwargs)` on a thread of the pool, in the calling request's context (its
    request id is in the logs the call writes)."""
    return await _threads().call(functools.partial(contextvars.copy_context().run, function, *args, **kwargs))
