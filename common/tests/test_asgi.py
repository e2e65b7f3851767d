"""The ASGI handlers (common/asgi.py): a pooled thread per request for sync code, none per stream, and
no thread hop that a request does not need."""

import asyncio
import json
import threading

import pytest

from common.asgi import PooledThreadsASGIHandler
from common.testing.asgi import http_scope
from tests.urls import ThreadView, things_events


def _scope(path: str) -> dict:
    return http_scope("GET", path, [(b"accept", b"application/json")])


def _receive(*pieces: bytes, leave: asyncio.Event | None = None):
    """A client's ASGI `receive`: its body in these pieces (none: empty), then it stays connected
    until `leave` is set (for good without one), then it is gone."""
    pending = list(pieces) or [b""]

    async def receive():
        if pending:
            return {"type": "http.request", "body": pending.pop(0), "more_body": bool(pending)}
        await (leave or asyncio.Event()).wait()
        return {"type": "http.disconnect"}

    return receive


async def _exchange(app, scope: dict, *pieces: bytes) -> list[dict]:
    """The messages the app sends for one request."""
    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    await app(scope, _receive(*pieces), send)
    return sent


def _json(sent: list[dict]):
    return json.loads(b"".join(m.get("body", b"") for m in sent[1:]))


async def _get(app, path: str = "/thread") -> dict:
    sent = await _exchange(app, _scope(path))
    assert sent[0]["status"] == 200
    return _json(sent)


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
    ThreadView.entered.clear()
    try:

        async def cancelled():
            task = asyncio.ensure_future(_get(app))
            assert await asyncio.to_thread(ThreadView.entered.wait, 5)
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

            async def send(message):
                if message.get("body"):
                    first.set()

            await app(_scope("/things/events"), _receive(), send)

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


def test_an_open_stream_holds_neither_its_request_nor_its_header_list(app):
    """A stream lives for minutes or hours and needs nothing of its request once its response began:
    kept, the request (META, headers, resolver match, user) and the encoded header list were about
    5 KiB of each open stream in the order service and again in the gateway."""
    import gc

    def header_lists_alive() -> int:
        return sum(
            1
            for thing in gc.get_objects()
            if type(thing) is list
            and thing
            and type(thing[0]) is tuple
            and (b"Content-Type", b"text/event-stream") in thing
        )

    async def open_then_look():
        things_events.done, things_events.requests[:] = asyncio.Event(), []
        first = asyncio.Event()

        async def send(message):
            if message.get("body"):
                first.set()

        served = asyncio.ensure_future(app(_scope("/things/events"), _receive(), send))
        await asyncio.wait_for(first.wait(), timeout=5)
        gc.collect()
        request_alive, header_lists = things_events.requests[0]() is not None, header_lists_alive()
        things_events.done.set()
        await asyncio.wait_for(served, timeout=5)
        return request_alive, header_lists

    request_alive, header_lists = asyncio.run(open_then_look())

    assert not request_alive
    assert header_lists == 0


def test_an_open_stream_lets_its_response_headers_go_once_its_head_is_sent(app):
    """Sent, a stream's head is never needed again: its header store (a dozen names and values with
    the security headers and the CSP, about 1.5 KiB) was kept by each open stream's response, in
    the order service and again in the gateway."""
    import gc

    from django.http.response import ResponseHeaders

    def event_stream_headers_alive() -> int:
        return sum(
            1
            for thing in gc.get_objects()
            if type(thing) is ResponseHeaders and thing.get("Content-Type") == "text/event-stream"
        )

    async def open_then_look():
        things_events.done, things_events.requests[:] = asyncio.Event(), []
        first, heads = asyncio.Event(), []

        async def send(message):
            if message["type"] == "http.response.start":
                heads.append(dict(message["headers"]))
            if message.get("body"):
                first.set()

        served = asyncio.ensure_future(app(_scope("/things/events"), _receive(), send))
        await asyncio.wait_for(first.wait(), timeout=5)
        gc.collect()
        alive = event_stream_headers_alive()
        things_events.done.set()
        await asyncio.wait_for(served, timeout=5)
        return alive, heads

    alive, heads = asyncio.run(open_then_look())

    assert heads[0][b"Content-Type"] == b"text/event-stream"  # the head went out whole
    assert alive == 0


def test_an_ordinary_response_is_closed_on_the_event_loop_not_on_a_thread(app):
    """Django closes every response through `sync_to_async`, a thread hop per request; its closers
    here (slot releases, the request_finished signal) never block."""
    from tests.urls import closing

    closing.closed_on.clear()

    async def one():
        return await _get(app, "/closing")

    answer = asyncio.run(one())

    assert answer == {"received": 0}
    assert closing.closed_on == [threading.current_thread()]


def test_a_body_sent_in_pieces_arrives_whole(app):
    scope = {**_scope("/closing"), "method": "POST"}

    sent = asyncio.run(_exchange(app, scope, b"a" * 10, b"b" * 20, b"c" * 5))

    assert sent[0]["status"] == 200
    assert _json(sent) == {"received": 35}


def test_a_client_gone_before_its_body_arrived_gets_nothing(app):
    from tests.urls import closing

    closing.closed_on.clear()
    sent: list[dict] = []

    async def receive():
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    asyncio.run(app({**_scope("/closing"), "method": "POST"}, receive, send))

    assert sent == []
    assert closing.closed_on == []


def test_a_client_that_hangs_up_ends_its_stream(app):
    from tests.urls import things_events_watched

    async def follow_then_leave():
        things_events_watched.ended = asyncio.Event()
        first, leave = asyncio.Event(), asyncio.Event()

        async def send(message):
            if message.get("body"):
                first.set()

        served = asyncio.ensure_future(app(_scope("/watched/events"), _receive(leave=leave), send))
        await asyncio.wait_for(first.wait(), timeout=5)
        leave.set()
        await asyncio.wait_for(served, timeout=5)
        return things_events_watched.ended.is_set()

    assert asyncio.run(follow_then_leave())


async def _open_watched_stream(app, leave: asyncio.Event):
    """Opens /watched/events and returns its task once the first event was sent."""
    from tests.urls import things_events_watched

    things_events_watched.ended = asyncio.Event()
    first = asyncio.Event()

    async def send(message):
        if message.get("body"):
            first.set()

    served = asyncio.ensure_future(app(_scope("/watched/events"), _receive(leave=leave), send))
    await asyncio.wait_for(first.wait(), timeout=5)
    return served


def test_an_open_stream_costs_one_task_besides_its_own(app):
    """The request's own task sends the stream; one more waits for the client to hang up. A third
    (and asyncio.wait's waiter and callbacks) was about 1.3 KiB per open stream on each side of the
    gateway (bench/RESULTS.md)."""

    async def count_tasks():
        leave = asyncio.Event()
        served = await _open_watched_stream(app, leave)
        others = asyncio.all_tasks() - {asyncio.current_task(), served}
        leave.set()
        await asyncio.wait_for(served, timeout=5)
        return len(others)

    assert asyncio.run(count_tasks()) == 1


def test_a_stream_that_ends_leaves_nothing_running_and_its_task_uncancelled(app):
    from tests.urls import things_events

    async def run_to_its_end():
        things_events.done, things_events.requests[:] = asyncio.Event(), []
        things_events.done.set()  # the stream ends after its first event
        current = asyncio.current_task()
        await asyncio.wait_for(_exchange(app, _scope("/things/events")), timeout=5)
        await asyncio.sleep(0.05)  # a stray cancel would land here
        return asyncio.all_tasks() - {current}, current.cancelling()

    left_running, cancelling = asyncio.run(run_to_its_end())

    assert left_running == set()
    assert cancelling == 0


def test_a_stream_cancelled_from_outside_stays_cancelled_and_ends(app):
    """A server shutting down cancels its requests' tasks: a stream's must not swallow that."""
    from tests.urls import things_events_watched

    async def cancel_it():
        served = await _open_watched_stream(app, asyncio.Event())
        served.cancel()
        try:
            await asyncio.wait_for(served, timeout=5)
        except asyncio.CancelledError:
            return "cancelled", things_events_watched.ended.is_set()
        return "finished", things_events_watched.ended.is_set()

    assert asyncio.run(cancel_it()) == ("cancelled", True)


def test_an_open_stream_holds_no_request_body_file(app):
    import gc
    import tempfile

    async def count_files():
        leave = asyncio.Event()
        served = await _open_watched_stream(app, leave)
        gc.collect()
        alive = sum(1 for thing in gc.get_objects() if type(thing) is tempfile.SpooledTemporaryFile)
        leave.set()
        await asyncio.wait_for(served, timeout=5)
        return alive

    assert asyncio.run(count_files()) == 0


def _receivers_of_request_signals():
    from django.core import signals

    return signals.request_started._live_receivers(None)[0], signals.request_finished._live_receivers(None)[0]


# Taken when this module is collected, before any test ran: Django's test `Client` connects
# `close_old_connections` again after every request it makes, so a later look depends on test order.
_RECEIVERS_AT_START = _receivers_of_request_signals()


def test_no_sql_housekeeping_runs_per_request():
    """No service has a SQL database (Django fills in its dummy backend), so nothing must run
    Django's connection housekeeping per request: under ASGI each sync receiver is a thread hop."""
    from django.db import close_old_connections, reset_queries

    started, finished = _RECEIVERS_AT_START

    assert reset_queries not in started
    assert close_old_connections not in started
    assert close_old_connections not in finished


@pytest.fixture
def django_request_log():
    """What Django's request logger writes (4xx as warnings, 5xx as errors), with the thread each
    record was written on."""
    import logging

    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    logger = logging.getLogger("django.request")
    handler, level = Keep(level=logging.WARNING), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING)
    yield records
    logger.removeHandler(handler)
    logger.setLevel(level)


def test_an_error_answer_is_logged_where_the_request_is_not_on_another_thread(app, django_request_log):
    scope = {
        **_scope("/conflict"),
        "method": "POST",
        "headers": [*_scope("/")["headers"], (b"content-type", b"application/json")],
    }

    sent = asyncio.run(_exchange(app, scope, b"{}"))

    assert sent[0]["status"] == 409
    assert [r.status_code for r in django_request_log] == [409]
    assert django_request_log[0].thread == threading.get_ident()


def test_a_shed_request_is_counted_not_logged_as_an_error(app, django_request_log, settings):
    """In a reconnect storm thousands of requests a second are shed on purpose: a log line each
    (Django logs every 5xx as an error) flooded the logs and cost the gateway a tenth of its time."""
    settings.MAX_INFLIGHT_REQUESTS = 0

    sent = asyncio.run(_exchange(app, _scope("/thread")))

    assert sent[0]["status"] == 503
    assert (b"x-overloaded", b"true") in [(k.lower(), v) for k, v in sent[0]["headers"]]
    assert django_request_log == []
