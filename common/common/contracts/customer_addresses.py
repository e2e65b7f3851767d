"""The customers' delivery addresses: a read model the customer service publishes for the order service.

Placing an order needs the customer's address, and the customer service owns addresses. Asking it
on every placement costs a whole service hop per order (its request, its MongoDB read, its call to
the order service). So the customer service publishes each address it is asked
for into Redis, and the order service reads it from there, asking the customer service (which
publishes it on the way) only when nothing is published.

A read model (`common/read_models.py`) versioned per customer: every edit or deletion of one of
the customer's addresses retires what was published (`changed`) before its answer goes out, so an
order placed after an edit's answer goes to the edited address. `ADDRESS_BOOK_TTL_S` bounds how
long an old address can be read should that retirement fail.
"""

from __future__ import annotations

from django.conf import settings

from common import read_models
from common.redis_client import redis_key

# What a published address holds: what an order keeps as its delivery address.
FIELDS = ("label", "line1", "city", "postcode", "lat", "lng")


def _version_key(customer_id: str) -> str:
    return redis_key("address", customer_id, "version")


def _entry_prefix(customer_id: str, address_id: str) -> str:
    return redis_key("address", customer_id, address_id, "")


def published(customer_id: str, address_id: str) -> dict | None:
    """The address as published under the customer's current version; None when it is not, or
    Redis does not answer."""
    return read_models.read(_version_key(customer_id), _entry_prefix(customer_id, address_id))


def version(customer_id: str) -> str | None:
    """The customer's current version, to publish under once MongoDB has been read; None without Redis."""
    return read_models.current_version(_version_key(customer_id))


def publish(customer_id: str, address_id: str, address: dict, *, version: str | None) -> None:
    """Publishes the address as read from MongoDB after `version` was taken."""
    read_models.write(_entry_prefix(customer_id, address_id), version, address, ttl_s=settings.ADDRESS_BOOK_TTL_S)


def changed(customer_id: str) -> None:
    """Retires everything published for the customer (an address was edited or deleted)."""
    read_models.bump(_version_key(customer_id))
