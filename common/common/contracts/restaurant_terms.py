"""A restaurant's terms for orders: a read model the restaurant service publishes for the order service.

Placing an order needs the restaurant's current prices and whether, when and where it takes orders,
and the restaurant service owns them. Asking it on every placement cost a service hop per order, so
it publishes a restaurant's terms whenever it quotes an order (`restaurants.selectors.order_quote`),
and the order service quotes from them (`quote`), asking the restaurant service (its internal
`order-quote` route, which answers the same `quote`) only when nothing is published.

Versioned (`common/read_models.py`) by the restaurant's version, `menu:{restaurant_id}:version`,
which every write of the restaurant or its menu bumps before its answer goes out (the restaurant
service's menu cache follows the same key, `restaurants/cache.py`): an order placed after an edit's
answer is priced by the edit. `PRICE_LIST_TTL_S` bounds how long old terms can be read should a bump
fail.

The payload (`Terms`): `{restaurant_id, owner_id, name, address, delivery_radius_km,
accepting_orders, paused_until, open_periods, prep_time_min, delivery_fee_cents, items:
{menu_item_id: {name, price_cents, available}}}`. `open_periods` are the UTC periods `[from, until)`
(ISO 8601) in which the restaurant is open, from the moment the terms were made until well past
their lifetime: the restaurant's opening-hours rules stay with it (`restaurants/hours.py`).
`paused_until` (ISO 8601, or null) ends a pause of new orders by itself: a quote compares it with its
own clock (the pause's rules: `restaurants/pause.py`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TypedDict

from django.conf import settings

from common import read_models
from common.redis_client import redis_key


class TermsItem(TypedDict):
    name: str
    price_cents: int
    available: bool


class RestaurantFacts(TypedDict):
    """What the terms and a quote both say of the restaurant."""

    restaurant_id: str
    owner_id: str
    name: str
    address: dict | None
    delivery_radius_km: float
    accepting_orders: bool
    prep_time_min: int
    delivery_fee_cents: int


class Terms(RestaurantFacts):
    paused_until: str | None  # ISO 8601: new orders are refused until then
    open_periods: list[list[str]]  # [[from, until), ...], UTC, ISO 8601
    items: dict[str, TermsItem]


class QuoteItem(TypedDict):
    menu_item_id: str
    name: str
    unit_price_cents: int
    available: bool


class Quote(RestaurantFacts):
    """The restaurant's answer to "what would these items cost, and can I order now"."""

    is_open_now: bool
    paused_until: str | None  # while a pause lasts, its end; else None
    items: list[QuoteItem]  # the wanted items it has, priced
    unknown_item_ids: list[str]  # the wanted items it has not, sorted


def is_open(terms: Terms, now: datetime | None = None) -> bool:
    at = now or datetime.now(UTC)
    return any(
        datetime.fromisoformat(start) <= at < datetime.fromisoformat(until) for start, until in terms["open_periods"]
    )


def pause_lasting(paused_until: str | None, now: datetime | None = None) -> str | None:
    """The end of the restaurant's pause while it lasts, else None."""
    if paused_until is None or datetime.fromisoformat(paused_until) <= (now or datetime.now(UTC)):
        return None
    return paused_until


def quote(terms: Terms, item_ids: list[str], *, now: datetime | None = None) -> Quote:
    """The quote for these items from the terms: the order-quote route's answer, made the same way
    by the restaurant service and by the order service from the published terms."""
    known = terms["items"]
    return {
        **{key: terms[key] for key in RestaurantFacts.__annotations__},
        "is_open_now": is_open(terms, now),
        "paused_until": pause_lasting(terms["paused_until"], now),
        "items": [
            {
                "menu_item_id": item_id,
                "name": known[item_id]["name"],
                "unit_price_cents": known[item_id]["price_cents"],
                "available": known[item_id]["available"],
            }
            for item_id in item_ids
            if item_id in known
        ],
        "unknown_item_ids": sorted(item_id for item_id in item_ids if item_id not in known),
    }


# --- where they are published -------------------------------------------------------------------------


def version_key(restaurant_id: str) -> str:
    """The restaurant's version: every write of the restaurant or its menu bumps it."""
    return redis_key(f"menu:{restaurant_id}", "version")


def _entry_prefix(restaurant_id: str) -> str:
    return redis_key("terms", restaurant_id, "")


def published(restaurant_id: str) -> Terms | None:
    """The restaurant's terms as published under its current version; None when they are not (or
    only in an older shape), or Redis does not answer."""
    terms = read_models.read(version_key(restaurant_id), _entry_prefix(restaurant_id))
    return terms if terms is not None and "open_periods" in terms and "paused_until" in terms else None


def version(restaurant_id: str) -> str | None:
    """The restaurant's current version, to publish under once MongoDB has been read; None without Redis."""
    return read_models.current_version(version_key(restaurant_id))


def publish(restaurant_id: str, terms: Terms, *, version: str | None) -> None:
    """Publishes the terms as read after `version` was taken; they are read for PRICE_LIST_TTL_S at most."""
    read_models.write(_entry_prefix(restaurant_id), version, terms, ttl_s=settings.PRICE_LIST_TTL_S)
