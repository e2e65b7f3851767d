"""Read-through Redis cache for menus and the popular list, invalidated by version bump.

Each cached value lives under `<name>:<version>`, and a write bumps `<name>:version`
(INCR) after it reached MongoDB and before its response goes out. A restaurant's menu and quote
facts follow the restaurant's version, which its published terms follow too
(common/contracts/restaurant_terms.py). A read that raced with the
write and stores old data stores it under the old version, which no later read asks for: after
an update's response, no stale menu is served. Entries also expire on their own. If Redis is
unavailable, reads go to MongoDB and the request still succeeds.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import redis
from django.conf import settings
from prometheus_client import Counter

from common import read_models
from common.contracts import restaurant_terms
from common.redis_client import get_redis, redis_key

logger = logging.getLogger(__name__)

CACHE_REQUESTS = Counter("restaurant_cache_requests_total", "Cache reads by cache and result", ["cache", "result"])


def _read_through(
    cache: str,
    name: str,
    *,
    ttl_s: int | Callable[[Any], int],
    load: Callable[[], Any],
    version_key: str | None = None,
) -> str:
    """The value as JSON text: cached text is served as it is, without decoding and encoding it.
    `version_key`: the version this entry follows (invalidated with it), else its own; `ttl_s` may
    be a function of the value (what it shows may change with time alone)."""
    if not settings.RESTAURANT_CACHE_ENABLED:
        return json.dumps(load())
    client = get_redis()
    try:
        reply = client.eval(read_models.READ_VERSIONED, 1, version_key or _own_version_key(name), redis_key(name, ""))
        version, raw = read_models.versioned(reply)
        data_key = redis_key(name, version)
    except redis.RedisError:
        CACHE_REQUESTS.labels(cache, "unavailable").inc()
        logger.warning("cache unavailable, reading from MongoDB", extra={"cache": cache})
        return json.dumps(load())
    if raw is not None:
        CACHE_REQUESTS.labels(cache, "hit").inc()
        return raw
    CACHE_REQUESTS.labels(cache, "miss").inc()
    value = load()
    text = json.dumps(value)
    try:
        client.set(data_key, text, ex=ttl_s(value) if callable(ttl_s) else ttl_s)
    except redis.RedisError:
        logger.warning("cache write failed", extra={"cache": cache})
    return text


def _own_version_key(name: str) -> str:
    return redis_key(name, "version")


def menu_cached(restaurant_id: str, load: Callable[[], dict], *, ttl_s: int | Callable[[dict], int]) -> str:
    return _read_through(
        "menu",
        f"menu:{restaurant_id}",
        ttl_s=ttl_s,
        load=load,
        version_key=restaurant_terms.version_key(restaurant_id),
    )


def menu_invalidate(restaurant_id: str) -> None:
    """Retires the restaurant's cached menu and quote facts, and its published terms. Should Redis be
    away, entries written before expire within their TTL."""
    read_models.bump(restaurant_terms.version_key(restaurant_id))


def quote_facts_cached(restaurant_id: str, load: Callable[[], dict]) -> dict:
    """What an order quote needs from the restaurant's own document (owner, name, address, radius,
    whether it takes orders, opening hours), never the prices: those are read from MongoDB for
    every quote. Versioned with the menu, which every write of the restaurant or its menu bumps
    before answering, so a quote after an edit's answer sees the edit. Should a bump fail (Redis
    reachable by readers but not by the writer), the entry's short lifetime bounds how long the
    old fields last."""
    text = _read_through(
        "quote",
        f"quote:{restaurant_id}",
        ttl_s=settings.QUOTE_CACHE_TTL_S,
        load=load,
        version_key=restaurant_terms.version_key(restaurant_id),
    )
    return json.loads(text)


def popular_cached(load: Callable[[], dict], *, ttl_s: int | Callable[[dict], int]) -> str:
    return _read_through("popular", "popular", ttl_s=ttl_s, load=load)


def popular_invalidate() -> None:
    read_models.bump(_own_version_key("popular"))
