"""The fan-out hub: one Redis subscription per process, handing each announcement to the open streams.

Ten thousand streams cost ten thousand small inboxes, not ten thousand Redis connections. The hub
subscribes to every topic's channel at once (one pattern) and offers each announced entry to the
streams of its topic. A silently dead subscription is found by pinging through it when it has been
quiet for a heartbeat; when it is lost, every open stream is told (`LOST`) and falls back on its
own (it re-reads MongoDB, then polls until Redis answers). After a failure the hub reconnects at most
once per poll interval for the whole process, so a Redis outage costs no connection storm.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from typing import Protocol

import redis
import redis.asyncio as aioredis
from django.conf import settings

from common.streams import history

logger = logging.getLogger(__name__)

# What a stream is handed: (NOTIFY, history id, entry), (LOST,), or (TRUTH, its subject's entries).
NOTIFY, LOST, TRUTH = "notify", "lost", "truth"


class Listener(Protocol):
    topic: str

    def offer(self, message: tuple) -> None: ...


class Hub:
    """One Redis pattern subscription per process (per event loop), fanned out to the open streams."""

    def __init__(self):
        self.streams: dict[str, set[Listener]] = {}
        self.task: asyncio.Task | None = None
        self.lock = asyncio.Lock()
        self.failed_at = -1e9
        self.client: aioredis.Redis | None = None

    def add(self, stream: Listener) -> None:
        self.streams.setdefault(stream.topic, set()).add(stream)

    def remove(self, stream: Listener) -> None:
        streams = self.streams.get(stream.topic)
        if streams is not None:
            streams.discard(stream)
            if not streams:
                del self.streams[stream.topic]

    @property
    def alive(self) -> bool:
        return self.task is not None and not self.task.done()

    async def ensure(self) -> bool:
        """Whether the subscription is up, (re)connecting it if need be; after a failure, at most one
        attempt per poll interval for the whole process, so a Redis outage costs no connection storm."""
        if self.alive:
            return True
        async with self.lock:
            if self.alive:
                return True
            loop = asyncio.get_running_loop()
            if loop.time() - self.failed_at < settings.SSE_POLL_INTERVAL_S:
                return False
            try:
                if self.client is None:
                    self.client = aioredis.Redis.from_url(
                        settings.REDIS_URL,
                        decode_responses=True,
                        socket_connect_timeout=settings.REDIS_TIMEOUT_S,
                        socket_keepalive=True,
                    )
                pubsub = self.client.pubsub()
                await asyncio.wait_for(
                    pubsub.psubscribe(history.channel_pattern()), timeout=settings.REDIS_TIMEOUT_S * 2
                )
            except (redis.RedisError, OSError, TimeoutError):
                self.failed_at = loop.time()
                client, self.client = self.client, None  # the next attempt reads the settings again
                with contextlib.suppress(redis.RedisError, OSError):
                    await client.aclose()
                return False
            self.task = asyncio.create_task(self._fan_out(pubsub))
            return True

    async def _fan_out(self, pubsub) -> None:
        """Reads the subscription; when it is quiet for a heartbeat, pings through it, and gives up
        when not even the pong comes back (a silently dead connection never raises by itself)."""
        loop = asyncio.get_running_loop()
        last_heard = loop.time()
        quiet_limit = 2 * settings.SSE_HEARTBEAT_S + settings.REDIS_TIMEOUT_S
        prefix = len(history.channel(""))  # a channel's name is this, then its topic
        me = asyncio.current_task()
        try:
            while True:
                if me is not None and me.cancelling():
                    # A cancellation a library call swallowed (the loop is closing): end anyway.
                    raise asyncio.CancelledError
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
                streams = self.streams.get(message["channel"][prefix:])
                if not streams:
                    continue
                entry_id, entry = history.announced(message["data"])
                for stream in list(streams):
                    stream.offer((NOTIFY, entry_id, entry))
        except (redis.RedisError, OSError, TimeoutError, ValueError):
            logger.warning("live events subscription lost; open streams poll MongoDB")
        finally:
            self.failed_at = loop.time()
            for streams in list(self.streams.values()):
                for stream in list(streams):
                    stream.offer((LOST,))
            with contextlib.suppress(redis.RedisError, OSError):
                await pubsub.aclose()


_hubs: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def hub() -> Hub:
    """The running event loop's hub (a loop's connections cannot be used from another)."""
    loop = asyncio.get_running_loop()
    if loop not in _hubs:
        _hubs[loop] = Hub()
    return _hubs[loop]
