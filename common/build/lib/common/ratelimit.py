"""Fixed-window counters in Redis, shared by the login throttles and the gateway's limits."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass

import redis

from common.redis_client import get_redis, redis_key

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class WindowState:
    allowed: bool
    count: int
    limit: int
    retry_after_s: int

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.count)


def window_hit(name: str, *, limit: int, window_s: int, fail_open: bool = True) -> WindowState:
    """Counts one event against `name` and says whether it is within `limit` per `window_s`.

    Redis down: allowed when `fail_open` (documented trade-off: availability over throttling).
    """
    key = redis_key("rl", name)
    try:
        pipe = get_redis().pipeline()
        pipe.incr(key)
        pipe.expire(key, window_s, nx=True)
        pipe.ttl(key)
        count, _, ttl = pipe.execute()
    except redis.RedisError:
        logger.warning("rate limiter unavailable", extra={"limit_name": name.split(":", maxsplit=1)[0]})
        return WindowState(allowed=fail_open, count=0, limit=limit, retry_after_s=0 if fail_open else window_s)
    ttl = ttl if ttl and ttl > 0 else window_s
    return WindowState(allowed=count <= limit, count=count, limit=limit, retry_after_s=ttl)


def window_peek(name: str, *, limit: int) -> WindowState:
    """Reads a counter without counting; used to refuse before doing expensive work."""
    key = redis_key("rl", name)
    try:
        pipe = get_redis().pipeline()
        pipe.get(key)
        pipe.ttl(key)
        raw, ttl = pipe.execute()
    except redis.RedisError:
        return WindowState(allowed=True, count=0, limit=limit, retry_after_s=0)
    count = int(raw or 0)
    return WindowState(allowed=count < limit, count=count, limit=limit, retry_after_s=max(1, ttl or 1))


def window_reset(name: str) -> None:
    with contextlib.suppress(redis.RedisError):
        get_redis().delete(redis_key("rl", name))


async def window_hit_async(client, name: str, *, limit: int, window_s: int, fail_open: bool = True) -> WindowState:
    """`window_hit` for async code (the gateway), with a `redis.asyncio` client."""
    key = redis_key("rl", name)
    try:
        async with client.pipeline(transaction=False) as pipe:
            pipe.incr(key)
            pipe.expire(key, window_s, nx=True)
            pipe.ttl(key)
            count, _, ttl = await pipe.execute()
    except (redis.RedisError, OSError):
        logger.warning("rate limiter unavailable", extra={"limit_name": name.split(":", maxsplit=1)[0]})
        return WindowState(allowed=fail_open, count=0, limit=limit, retry_after_s=0 if fail_open else window_s)
    ttl = ttl if ttl and ttl > 0 else window_s
    return WindowState(allowed=count <= limit, count=count, limit=limit, retry_after_s=ttl)
