"""Read models: what one service publishes in Redis for others to read instead of calling it.

The publishing service owns the data and is the only writer; entries are versioned per owner
(a customer, a restaurant), as the restaurant's menu cache is. A publisher takes the current
version (`current_version`) before it reads MongoDB and writes under that version (`write`);
every change bumps the version (`bump`) after it reached MongoDB and before its answer goes out.
A write that raced with a change lands under a retired version, which no reader asks for again,
so after a change's answer readers see the change or nothing. Should a bump fail (Redis reachable
by readers but not by the changing process), the entry's lifetime bounds how long the old value
can be read. Without Redis nothing is written or read, and readers ask the owner.

Used by `common/contracts/customer_addresses.py` (customers' addresses, for placement) and
`common/contracts/restaurant_terms.py` (restaurants' terms, for placement).
"""

from __future__ import annotations

import json
import logging

import redis

from common.redis_client import get_redis

logger = logging.getLogger(__name__)

# The current version and the entry written under it, in one round trip: [version, entry], the
# entry None (or left out) when nothing is written under the current version. Also the
# restaurant's menu cache's read (restaurants/cache.py).
READ_VERSIONED = """
local version = redis.call('GET', KEYS[1]) or '0'
return {version, redis.call('GET', ARGV[1] .. version)}
"""


def versioned(reply: list) -> tuple[str, str | None]:
    """(version, entry text or None) from a `READ_VERSIONED` reply."""
    return reply[0], (reply[1] if len(reply) > 1 else None)


def read(version_key: str, entry_prefix: str) -> dict | None:
    """The entry written under the current version; None when there is none or Redis does not answer."""
    try:
        reply = get_redis().eval(READ_VERSIONED, 1, version_key, entry_prefix)
    except redis.RedisError:
        logger.warning("read model unavailable", extra={"key": entry_prefix})
        return None
    raw = versioned(reply)[1]
    return json.loads(raw) if raw is not None else None


def current_version(version_key: str) -> str | None:
    """The version to write under once MongoDB has been read; None without Redis."""
    try:
        return get_redis().get(version_key) or "0"
    except redis.RedisError:
        return None


def write(entry_prefix: str, version: str | None, value: dict, *, ttl_s: int) -> None:
    if version is None:
        return
    try:
        get_redis().set(entry_prefix + version, json.dumps(value), ex=ttl_s)
    except redis.RedisError:
        logger.warning("read model not written", extra={"key": entry_prefix})


def bump(version_key: str) -> None:
    """Retires everything written under the current version."""
    try:
        get_redis().incr(version_key)
    except redis.RedisError:
        # What was written before expires within its lifetime.
        logger.warning("read model not bumped", extra={"key": version_key})
