"""`GET /orders/{id}/events`: Server-Sent Events for the order's parties (ARCHITECTURE 4.4).

An async view, so an open stream costs a coroutine and a Redis subscription, not a thread. The
stream subscribes first, then sends the current status (so no transition can fall between the
two), then one event per change, a heartbeat comment every HEARTBEAT_S, and ends after a final
state. Without Redis it polls MongoDB instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import weakref
from collections.abc import AsyncIterator

import redis
import redis.asyncio as aioredis
from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import StreamingHttpResponse
from prometheus_client import Gauge
from rest_framework import exceptions

from common.authentication import JWTAuthentication
from common.errors import ApiError, error_response
from orders import lifecycle, selectors, tracking

logger = logging.getLogger(__name__)

OPEN_STREAMS = Gauge("order_event_streams_open", "Open order event streams")
_PARTY_TYPES = {lifecycle.CUSTOMER, lifecycle.RESTAURANT, lifecycle.COURIER}

_REDIS_LOST = object()  # put on every queue when the shared subscription breaks


class _Hub:
    """One Redis pattern subscription per process (per event loop), fanned out to the open streams.

    A thousand streams cost a thousand small queues, not a thousand Redis connections.
    """

    def __init__(self):
        self.redis = aioredis.Redis.from_url(
            settings.REDIS_URL,
            decode_responses=True,
            socket_connect_timeout=settings.REDIS_TIMEOUT_S,
            socket_keepalive=True,
        )
        self.queues: dict[str, set[asyncio.Queue]] = {}
        self.location_pattern = tracking.location_key("*")
        self.task: asyncio.Task | None = None
        self.lock = asyncio.Lock()

    async def subscribe(self, order_id: str) -> asyncio.Queue:
        async with self.lock:
            if self.task is None or self.task.done():
                pubsub = self.redis.pubsub()
                # raises when Redis is down
                await pubsub.psubscribe(tracking.channel("*"), tracking.location_key("*"))
                self.task = asyncio.create_task(self._fan_out(pubsub))
        queue: asyncio.Queue = asyncio.Queue(maxsize=100)
        self.queues.setdefault(order_id, set()).add(queue)
        return queue

    def unsubscribe(self, order_id: str, queue: asyncio.Queue) -> None:
        queues = self.queues.get(order_id)
        if queues is not None:
            queues.discard(queue)
            if not queues:
                del self.queues[order_id]

    async def _fan_out(self, pubsub) -> None:
        """Reads the subscription; when it is quiet for a heartbeat, pings through it, and gives up
        when not even the pong comes back (a silently dead connection never raises by itself)."""
        loop = asyncio.get_running_loop()
        last_heard = loop.time()
        quiet_limit = 2 * settings.SSE_HEARTBEAT_S + settings.REDIS_TIMEOUT_S
        try:
            while True:
                message = await pubsub.get_message(timeout=settings.SSE_HEARTBEAT_S)
                now = loop.time()
                if message is None:
                    if now - last_heard > quiet_limit:
                        raise TimeoutError("live events subscription stopped answering")
                    await asyncio.wait_for(pubsub.ping(), timeout=settings.REDIS_TIMEOUT_S)
                    continue
                last_heard = now
                if message["type"] != "pmessage":
                    continue  # subscribe confirmations, pongs
                event = json.loads(message["data"])
                if message["pattern"] == self.location_pattern:
                    event["type"] = "location"
                for queue in list(self.queues.get(event["order_id"], ())):
                    if not queue.full():  # a stuck client must not hold up everyone else
                        queue.put_nowait(event)
        except (redis.RedisError, OSError, TimeoutError):
            logger.warning("live events subscription lost; open streams poll MongoDB")
        finally:
            for queues in self.queues.values():
                for queue in queues:
                    queue.put_nowait(_REDIS_LOST)
            with contextlib.suppress(redis.RedisError, OSError):
                await pubsub.aclose()


_hubs: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _hub() -> _Hub:
    loop = asyncio.get_running_loop()
    if loop not in _hubs:
        _hubs[loop] = _Hub()
    return _hubs[loop]


def _sse(event: dict) -> bytes:
    data = {k: event[k] for k in ("order_id", "status", "at", "courier_id")}
    return f"id: {event['seq']}\nevent: status\ndata: {json.dumps(data)}\n\n".encode()


def _sse_location(event: dict) -> bytes:
    data = {k: event.get(k) for k in ("order_id", "courier_id", "lat", "lng", "at", "eta_s")}
    return f"event: location\ndata: {json.dumps(data)}\n\n".encode()


async def order_events(request, order_id: str):
    try:
        auth = JWTAuthentication().authenticate(request)
    except exceptions.AuthenticationFailed as exc:
        return error_response(
            401, "authentication_failed", str(exc.detail), headers={"WWW-Authenticate": 'Bearer realm="api"'}
        )
    if auth is None:
        return error_response(
            401,
            "not_authenticated",
            "Authentication credentials were not provided.",
            headers={"WWW-Authenticate": 'Bearer realm="api"'},
        )
    user = auth[0]
    if user.user_type not in _PARTY_TYPES:
        return error_response(403, "permission_denied", "This route is not for your kind of account.")
    try:
        order = await sync_to_async(selectors.order_get_for_party)(
            order_id=order_id, actor_type=user.user_type, actor_id=user.id
        )
    except ApiError as exc:
        return error_response(exc.status_code, exc.code, exc.message)
    response = StreamingHttpResponse(_stream(str(order["_id"]), order), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


async def _stream(order_id: str, order: dict) -> AsyncIterator[bytes]:
    OPEN_STREAMS.inc()
    hub, queue = _hub(), None
    try:
        try:
            queue = await hub.subscribe(order_id)
        except (redis.RedisError, OSError):
            logger.warning("live events unavailable, polling MongoDB", extra={"order_id": order_id})
        # Read after subscribing: a transition in between arrives as a message, not lost.
        current = await sync_to_async(selectors.order_get_by_id)(order_id=order_id) or order
        last = tracking.event_of(current)
        yield _sse(last)
        if last["status"] in lifecycle.FINAL_STATES:
            return
        events = _from_queue(queue, order_id) if queue is not None else _from_polling(order_id)
        async for event in events:
            if event is None:
                yield b": heartbeat\n\n"
                continue
            if event.get("type") == "location":
                if event.get("courier_id") == last.get("courier_id"):  # never a previous courier's
                    yield _sse_location(event)
                continue
            if event["seq"] <= last["seq"]:
                continue  # already sent (the initial read can be newer than a queued message)
            last = event
            yield _sse(event)
            if event["status"] in lifecycle.FINAL_STATES:
                return
    finally:
        OPEN_STREAMS.dec()
        if queue is not None:
            hub.unsubscribe(order_id, queue)


async def _from_queue(queue: asyncio.Queue, order_id: str) -> AsyncIterator[dict | None]:
    """Events from the shared subscription; at every heartbeat, the order as MongoDB has it (the
    caller drops what it already sent), so a lost publish delays an event by one heartbeat at
    most; then None for the heartbeat itself. If Redis goes away, the stream polls MongoDB."""
    while True:
        try:
            event = await asyncio.wait_for(queue.get(), timeout=settings.SSE_HEARTBEAT_S)
        except TimeoutError:
            order = await sync_to_async(selectors.order_get_by_id)(order_id=order_id)
            if order is not None:
                yield tracking.event_of(order)
            yield None
            continue
        if event is _REDIS_LOST:
            async for polled in _from_polling(order_id):
                yield polled
            return
        yield event


async def _from_polling(order_id: str) -> AsyncIterator[dict | None]:
    waited = 0.0
    last_seq = -1
    while True:
        await asyncio.sleep(settings.SSE_POLL_INTERVAL_S)
        waited += settings.SSE_POLL_INTERVAL_S
        order = await sync_to_async(selectors.order_get_by_id)(order_id=order_id)
        event = tracking.event_of(order)
        if event["seq"] != last_seq:
            last_seq = event["seq"]
            waited = 0.0
            yield event
        elif waited >= settings.SSE_HEARTBEAT_S:
            waited = 0.0
            yield None
