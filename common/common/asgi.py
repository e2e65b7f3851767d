"""The services' ASGI application: Django's handler with request threads that are reused.

Django runs each request in a `ThreadSensitiveContext` of its own, so a sync view gets a thread
of its own: asgiref starts a new thread for every request and joins it at the end. On the write
path, where every service's views are sync (pymongo, requests), that start and join, and the
per-thread set-up that follows, were a measurable part of each request's CPU (bench/RESULTS.md).
Here each request still has a thread of its own for its sync calls, one at a time, as Django
expects, but the thread comes from a pool of idle ones and goes back after the response.

Live streams (`GET .../events`) take no thread at all: their path is async end to end (the views
run their few sync reads on the loop's shared pool), and a stream lives for minutes or hours, so a
thread held per stream was one thread per open stream: 7,330 threads and 65 KiB per stream in the
order service at 10,000 streams, before this (bench/RESULTS.md). The one sync call Django makes
for them (`response.close()` at the end) runs on asgiref's shared sync thread. The gateway, whose
request path is async end to end, uses no per-request context at all (`gateway_service.asgi`).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import django
from asgiref.sync import ThreadSensitiveContext
from django.core.handlers.asgi import ASGIHandler


class PooledThreadsASGIHandler(ASGIHandler):
    def __init__(self, *, max_idle: int = 64):
        super().__init__()
        self.max_idle = max_idle
        self._idle: list[ThreadPoolExecutor] = []

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        if is_live_stream(scope):
            await self.handle(scope, receive, send)
            return
        executor = self._idle.pop() if self._idle else ThreadPoolExecutor(1, thread_name_prefix="request")
        finished = False
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.handle(scope, receive, send)
            finished = True
        finally:
            self._release(executor, reusable=finished)

    def _release(self, executor: ThreadPoolExecutor, *, reusable: bool) -> None:
        # A cancelled request (the client went away) may leave a sync call running on its thread:
        # that thread is not handed to the next request, which would wait behind it.
        if reusable and len(self._idle) < self.max_idle:
            self._idle.append(executor)
        else:
            executor.shutdown(wait=False)


def is_live_stream(scope) -> bool:
    return scope["method"] == "GET" and scope["path"].endswith("/events")


def get_asgi_application() -> PooledThreadsASGIHandler:
    django.setup(set_prefix=False)
    return PooledThreadsASGIHandler()
