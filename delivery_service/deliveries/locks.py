"""A Redis lock per order that only reduces contention between dispatch runs.

Correctness never depends on it (the unique keys in repository.py do that): when Redis is down,
or the lock is not free in time, the caller goes on without it.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

import redis
from django.conf import settings

from common.redis_client import get_redis, redis_key

logger = logging.getLogger(__name__)


@contextlib.contextmanager
def order_lock(order_id: str) -> Iterator[bool]:
    """Yields whether the lock is held. redis-py's Lock releases with a token check (a Lua script),
    so an expired lock taken over by someone else is never released by us."""
    lock = get_redis().lock(
        redis_key("lock", "assign", order_id),
        timeout=settings.ASSIGN_LOCK_TIMEOUT_S,
        blocking_timeout=settings.ASSIGN_LOCK_WAIT_S,
    )
    try:
        held = lock.acquire()
    except redis.RedisError:
        logger.warning("assignment lock unavailable, continuing without it", extra={"order_id": order_id})
        held = False
    try:
        yield held
    finally:
        if held:
            with contextlib.suppress(redis.RedisError):
                lock.release()
