"""One Redis connection pool per process, and the key prefix that keeps platforms (and tests) apart."""

from __future__ import annotations

import asyncio
import functools
import weakref

import redis
import redis.asyncio as aioredis
from django.conf import settings


@functools.cache
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(
        url,
        socket_timeout=settings.REDIS_TIMEOUT_S,
        socket_connect_timeout=settings.REDIS_TIMEOUT_S,
        health_check_interval=30,
        decode_responses=True,
    )


def get_redis() -> redis.Redis:
    return _client(settings.REDIS_URL)


def redis_key(*parts: object) -> str:
    return settings.REDIS_KEY_PREFIX + ":".join(str(part) for part in parts)


# Per event loop (a loop's connections cannot be used from another): (REDIS_URL, client).
_async_clients: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def get_async_redis() -> aioredis.Redis:
    """A `redis.asyncio` client for the running event loop."""
    loop = asyncio.get_running_loop()
    cached = _async_clients.get(loop)
    if cached is None or cached[0] != settings.REDIS_URL:
        client = aioredis.Redis.from_url(
            settings.REDIS_URL,
            socket_timeout=settings.REDIS_TIMEOUT_S,
            socket_connect_timeout=settings.REDIS_TIMEOUT_S,
            health_check_interval=30,
            decode_responses=True,
        )
        cached = _async_clients[loop] = (settings.REDIS_URL, client)
    return cached[1]
