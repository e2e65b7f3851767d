"""The services' and the gateway's ASGI application: Django's handler, leaner per request.

`LeanASGIHandler` serves a request as Django's does, minus what that costs on every request: a
thread hop to close an ordinary response (`sync_to_async(response.close)`; the platform's
closers release counters and send `request_finished`, whose receivers here never block), another
to write the log line of a 4xx or 5xx answer, and a second task per request that waits for the
client to hang up. That watch matters only while a response streams (a live stream must end when
its client leaves), so it runs only then; an ordinary request runs to its end, as a sync view
always did, and its answer to a client that left goes nowhere.

`PooledThreadsASGIHandler` (the services): Django runs each request in a `ThreadSensitiveContext`
of its own, so a sync view gets a thread of its own: asgiref starts a new thread for every request
and joins it at the end. On the write path, where every service's views are sync (pymongo,
requests), that start and join, and the per-thread set-up that follows, are paid on every request.
Here each request still has a thread of its own for its sync calls, one at a time, as Django
expects, but the thread comes from a pool of idle ones and goes back after the response.

Live streams (`GET .../events`) take no thread at all: their path is async end to end (the views
run their few sync reads on the loop's shared pool), and a stream lives for minutes or hours, so a
thread held per stream would be one thread, and its stack, per open stream. The gateway, whose request path
is async end to end, uses `LeanASGIHandler` without any per-request context (`gateway_service.asgi`).
"""

from __future__ import annotations

import asyncio
import contextlib
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.conf import settings
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.http.response import ResponseHeaders
from django.urls import set_script_prefix, set_urlconf
from django.utils.log import log_response


class LeanASGIHandler(ASGIHandler):
    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        await self.handle(scope, receive, send)

    async def handle(self, scope, receive, send):
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        set_script_prefix(get_script_prefix(scope))
        await signals.request_started.asend(sender=self.__class__, scope=scope)
        request, error_response = self.create_request(scope, body_file)
        if request is None:
            body_file.close()
            await self.send_response(error_response, send)
            await sync_to_async(error_response.close)()
            return
        try:
            response = await self.run_get_response(request)
        except BaseException:
            body_file.close()
            raise
        if response.streaming:
            # A stream lives for minutes or hours and needs nothing of its request once its answer
            # began: let the request go (its META, headers, resolver match, user and body file).
            request.close()
        body_file.close()  # read by the view if it wanted it; an ordinary answer is whole by now
        del request, body_file
        await self.answer(response, send, receive)

    async def answer(self, response, send, receive, *, headers=(), finished_signal: bool = True) -> None:
        """Sends a view's response and closes it, as `handle` does: a stream until it ends or its
        client hangs up; an ordinary answer as its start message and its whole body in one message
        (Django's `send_response` cuts it in 64 KiB pieces). For what answers before this handler
        (common/fast_paths/): `headers` more, encoded, and without the `request_finished` signal
        when asked (a fast path sends no `request_started`)."""
        if response.streaming:
            for name, value in headers:
                response[name.decode("latin-1")] = value.decode("latin-1")
            await self._stream(response, send, receive)
            return
        try:
            message = start_message(response)
            message["headers"] += headers
            await send(message)
            await send({"type": "http.response.body", "body": response.content})
        finally:
            if finished_signal:
                response.close()
            else:
                _close_without_signal(response)

    async def get_response_async(self, request):
        """Django's, with its log line for a 4xx or 5xx written here rather than on a thread; a
        streaming response's request is closed by `handle` before it streams."""
        set_urlconf(settings.ROOT_URLCONF)
        response = await self._middleware_chain(request)
        if not response.streaming:
            on_close(response, request.close)
        log_failure(request, response)
        return response

    async def send_response(self, response, send):
        """Django's, except that a stream's start message is built in a frame of its own (Django's
        keeps the encoded header list alive in its frame for as long as the stream is open), and a
        stream's headers are let go once sent."""
        if not response.streaming:
            await super().send_response(response, send)
            return
        await send(start_message(response))
        # Sent, the head is never needed again, and a stream stays open for hours: let its header
        # store go (a dozen names and values with the security headers and the CSP, 1.3-1.7 KiB).
        response.headers = ResponseHeaders({})
        async with contextlib.aclosing(aiter(response)) as content:
            async for part in content:
                for chunk, _ in self.chunk_bytes(part):
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body"})

    async def _stream(self, response, send, receive) -> None:
        """Streams a response until it ends or its client hangs up, whichever comes first, then
        closes it on a thread, as Django does: a closer may block, and on the loop it would hold up
        every other open stream's events; a stream ends once, so the hop costs nothing that counts.

        The request's own task sends the stream; one other waits for the hang-up and cancels it.
        (Django runs both in tasks of their own under `asyncio.wait`: a task, a waiter and its
        callbacks more per open stream.)"""
        streaming = asyncio.current_task()
        sending, hung_up = True, False

        def on_hang_up(_watching) -> None:
            nonlocal hung_up
            # Only while this task is inside send_response (no await between its end and `sending`
            # turning false), so the cancellation always lands there and is always caught here.
            if sending:
                hung_up = True
                streaming.cancel()

        watching = asyncio.ensure_future(self.listen_for_disconnect(receive))
        watching.add_done_callback(on_hang_up)
        try:
            await self.send_response(response, send)
        except asyncio.CancelledError:
            # Ours (the client left) ends the stream quietly; anyone else's (a server shutting
            # down) stays a cancellation.
            if not hung_up or streaming.uncancel() > 0:
                raise
        finally:
            sending = False
            watching.remove_done_callback(on_hang_up)
            if not watching.done():
                watching.cancel()
            elif not watching.cancelled():
                watching.exception()  # the hang-up's RequestAborted, expected: retrieved
            await sync_to_async(response.close)()


def on_close(response, callback) -> None:
    """Has Django's `response.close()` call `callback` (its handler closes every response it sent)."""
    response._resource_closers.append(callback)


def _close_without_signal(response) -> None:
    """`response.close()` but for its `request_finished` signal: its closers run, each failure
    ignored, as Django's `close` does."""
    for closer in response._resource_closers:
        with contextlib.suppress(Exception):
            closer()
    response._resource_closers.clear()
    response.closed = True


def mark_logged(response):
    """Has Django's `log_response` leave this answer out of its 4xx/5xx log lines."""
    response._has_been_logged = True
    return response


def log_failure(request, response) -> None:
    """Django's log line for an answer of 4xx or 5xx (`django.request`), as its handler writes it."""
    if response.status_code >= 400:
        log_response("%s: %s", response.reason_phrase, request.path, response=response, request=request)


def start_message(response) -> dict:
    """`http.response.start` as Django's `send_response` makes it (header case kept, cookies added)."""
    headers = [
        (
            bytes(name.encode("ascii") if isinstance(name, str) else name),
            bytes(value.encode("latin1") if isinstance(value, str) else value),
        )
        for name, value in response.items()
    ]
    headers += [(b"Set-Cookie", c.output(header="").encode("ascii").strip()) for c in response.cookies.values()]
    return {"type": "http.response.start", "status": response.status_code, "headers": headers}


class PooledThreadsASGIHandler(LeanASGIHandler):
    def __init__(self, *, max_idle: int = 64):
        super().__init__()
        self.max_idle = max_idle
        self._idle: list[ThreadPoolExecutor] = []

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or is_live_stream(scope):
            await super().__call__(scope, receive, send)
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
