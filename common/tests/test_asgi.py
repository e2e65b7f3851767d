"""The services' ASGI handler: each request has a thread for its sync code, taken from a pool."""

import asyncio
import json
import threading

import pytest

from common.asgi import PooledThreadsASGIHandler
from tests.urls import ThreadView, things_events


def _scope(path: str) -> dict:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver"), (b"accept", b"application/json")],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }


async def _get(app, path: str = "/thread") -> dict:
    scope = _scope(path)
    body_sent = asyncio.Event()
    sent: list[dict] = []

    async def receive():
        if not body_sent.is_set():
            body_sent.set()
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # the client stays connected
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    await app(scope, receive, send)
    assert sent[0]["status"] == 200
    return json.loads(b"".join(m.get("body", b"") for m in sent[1:]))


@pytest.fixture
def app():
    return PooledThreadsASGIHandler(max_idle=4)


def test_one_request_after_another_reuses_the_thread(app):
    async def three():
        return [(await _get(app))["thread"] for _ in range(3)]

    threads = asyncio.run(three())

    assert len(set(threads)) == 1


def test_concurrent_requests_each_have_their_own_thread(app):
    # Both views wait for each other: on one shared thread this would time out.
    ThreadView.barrier = threading.Barrier(2)
    try:

        async def two():
            return await asyncio.gather(_get(app), _get(app))

        first, second = asyncio.run(two())
    finally:
        ThreadView.barrier = None

    assert first["thread"] != second["thread"]
    assert len(app._idle) == 2


def test_a_cancelled_request_does_not_hand_its_busy_thread_on(app):
    ThreadView.barrier = threading.Barrier(2)  # the view blocks until the test releases it
    try:

        async def cancelled():
            task = asyncio.ensure_future(_get(app))
            await asyncio.sleep(0.3)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

        asyncio.run(cancelled())
        assert app._idle == []
    finally:
        ThreadView.barrier.wait(timeout=5)
        ThreadView.barrier = None


def test_open_live_streams_hold_no_thread_each(app):
    """A stream lives for minutes: a thread held per stream was 7,330 threads at 10,000 streams."""
    streams = 50

    async def open_streams():
        things_events.done = asyncio.Event()
        opened: list[asyncio.Event] = []

        async def follow():
            first = asyncio.Event()
            opened.append(first)
            scope = _scope("/things/events")
            received = False

            async def receive():
                nonlocal received
                if not received:
                    received = True
                    return {"type": "http.request", "body": b"", "more_body": False}
                await asyncio.Event().wait()
                return {"type": "http.disconnect"}

            async def send(message):
                if message.get("body"):
                    first.set()

            await app(scope, receive, send)

        before = threading.active_count()
        tasks = [asyncio.ensure_future(follow()) for _ in range(streams)]
        await asyncio.sleep(0.05)
        await asyncio.wait_for(asyncio.gather(*(event.wait() for event in opened)), timeout=10)
        during = threading.active_count()
        things_events.done.set()
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=10)
        return before, during

    before, during = asyncio.run(open_streams())

    assert during - before < 5, f"{during - before} threads for {streams} open streams"
