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

_async_redis: dict[str, aioredis.Redis] = {}


def _redis() -> aioredis.Redis:
    # One pool per process (per URL); created on the server's event loop on first use.
    if settings.REDIS_URL not in _async_redis:
        _async_redis[settings.REDIS_URL] = aioredis.Redis.from_url(
            settings.REDIS_URL,
            decode_responses=True,
            socket_connect_timeout=settings.REDIS_TIMEOUT_S,
            health_check_interval=30,
        )
    return _async_redis[settings.REDIS_URL]


def _sse(event: dict) -> bytes:
    data = {k: event[k] for k in ("order_id", "status", "at", "courier_id")}
    return f"id: {event['seq']}\nevent: status\ndata: {json.dumps(data)}\n\n".encode()


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
    try:
        pubsub = None
        try:
            pubsub = _redis().pubsub()
            await pubsub.subscribe(tracking.channel(order_id))
        except (redis.RedisError, OSError):
            logger.warning("live events unavailable, polling MongoDB", extra={"order_id": order_id})
            pubsub = None
        # Read after subscribing: a transition in between arrives as a message, not lost.
        current = await sync_to_async(selectors.order_get_by_id)(order_id=order_id) or order
        last = tracking.event_of(current)
        yield _sse(last)
        if last["status"] in lifecycle.FINAL_STATES:
            return
        events = _from_pubsub(pubsub) if pubsub is not None else _from_polling(order_id)
        async for event in events:
            if event is None:
                yield b": heartbeat\n\n"
                continue
            if event["seq"] <= last["seq"]:
                continue  # already sent (the initial read can be newer than a queued message)
            last = event
            yield _sse(event)
            if event["status"] in lifecycle.FINAL_STATES:
                return
    finally:
        OPEN_STREAMS.dec()
        if pubsub is not None:
            with contextlib.suppress(redis.RedisError, OSError):
                await pubsub.aclose()


async def _from_pubsub(pubsub) -> AsyncIterator[dict | None]:
    """Events from Redis; None when a heartbeat is due."""
    while True:
        try:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=settings.SSE_HEARTBEAT_S)
        except (redis.RedisError, OSError):
            logger.warning("live events lost, stream ends for the client to reconnect")
            return
        if message is None:
            yield None
        elif message["type"] == "message":
            yield json.loads(message["data"])


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
