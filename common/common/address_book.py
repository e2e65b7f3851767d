"""The customers' delivery addresses, published by the customer service for the order service.

Placing an order needs the customer's address, and the customer service owns addresses. Asking it
on every placement cost a whole Python service hop per order (its request, its MongoDB read, its
call to the order service: 6 ms of a single order's 23, bench/RESULTS.md). So the customer service
publishes each address it is asked for into Redis, and the order service reads it from there,
asking the customer service (which publishes it on the way) only when nothing is published.

Only the customer service writes here; it is the owner, this is its read model. Entries are
versioned per customer, as the restaurant's menu cache is: a reader takes the current version
(`version`) before it reads MongoDB and publishes under that version; every change of one of
the customer's addresses bumps the version (`changed`) after it reached MongoDB and before its
answer goes out. A publish that raced with a change lands under a retired version, which no
reader asks for again: after an edit's answer, an order goes to the edited address. Should a bump
fail (Redis reachable by readers but not by the editing process), `ADDRESS_BOOK_TTL_S` bounds how
long the old address can still be read. Without Redis nothing is published or read, and
placement asks the customer service, as it did before.
"""

from __future__ import annotations

import json
import logging

import redis
from django.conf import settings

from common.redis_client import get_redis, redis_key

logger = logging.getLogger(__name__)

# The customer's current version and the address published under it, in one round trip:
# [version, address], the address None (or left out) when nothing is published.
_READ = """
local version = redis.call('GET', KEYS[1]) or '0'
return {version, redis.call('GET', ARGV[1] .. version)}
"""


def _version_key(customer_id: str) -> str:
    return redis_key("address", customer_id, "version")


def _entry_prefix(customer_id: str, address_id: str) -> str:
    return redis_key("address", customer_id, address_id, "")


def published(customer_id: str, address_id: str) -> dict | None:
    """The address as last published under the customer's current version; None when nothing
    is, or Redis does not answer."""
    try:
        reply = get_redis().eval(_READ, 1, _version_key(customer_id), _entry_prefix(customer_id, address_id))
    except redis.RedisError:
        logger.warning("address book unavailable", extra={"customer_id": customer_id})
        return None
    raw = reply[1] if len(reply) > 1 else None
    return json.loads(raw) if raw is not None else None


def version(customer_id: str) -> str | None:
    """The customer's current version, to publish under once MongoDB has been read; None without Redis."""
    try:
        return get_redis().get(_version_key(customer_id)) or "0"
    except redis.RedisError:
        return None


def publish(customer_id: str, address_id: str, address: dict, *, version: str | None) -> None:
    """Publishes the address as read from MongoDB after `version` was taken."""
    if version is None:
        return
    try:
        get_redis().set(
            _entry_prefix(customer_id, address_id) + version, json.dumps(address), ex=settings.ADDRESS_BOOK_TTL_S
        )
    except redis.RedisError:
        logger.warning("address not published", extra={"customer_id": customer_id})


def changed(customer_id: str) -> None:
    """Retires everything published for the customer (an address was edited or deleted)."""
    try:
        get_redis().incr(_version_key(customer_id))
    except redis.RedisError:
        # What was published before expires within ADDRESS_BOOK_TTL_S.
        logger.warning("address book not bumped", extra={"customer_id": customer_id})
