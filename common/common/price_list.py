"""A restaurant's terms for orders, published by the restaurant service for the order service.

Placing an order needs the restaurant's current prices and whether, when and where it takes
orders, and the restaurant service owns them. Asking it on every placement cost a service hop per
order (its request, its reads, the order service's HTTP client: a fifth of the order service's
CPU and 4 ms of a single order, bench/RESULTS.md). So the restaurant service publishes a
restaurant's terms whenever it quotes an order (`restaurants.selectors.order_quote`), and the
order service quotes from them (`quote`), asking the restaurant service only when nothing is
published.

A read model (`common/read_models.py`) versioned by the restaurant's menu version, which every
write of the restaurant or its menu bumps before its answer goes out (`restaurants/cache.py`): an
order placed after an edit's answer is priced by the edit. `PRICE_LIST_TTL_S` bounds how long old
terms can be read should a bump fail.

The terms: `{restaurant_id, owner_id, name, address, delivery_radius_km, accepting_orders,
paused_until, open_slots, timezone, prep_time_min, delivery_fee_cents, items: {menu_item_id: {name,
price_cents, available}}}`; `open_slots` are the weekly 15-minute slots the restaurant is open in
(Monday 00:00 is 0), in `timezone`; `paused_until` (ISO 8601, or null) ends a pause of new orders
by itself: the quote compares it with its own clock (restaurant_service/restaurants/pause.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from django.conf import settings

from common import read_models
from common.redis_client import redis_key

SLOT_MINUTES = 15
SLOTS_PER_DAY = 24 * 60 // SLOT_MINUTES
SLOTS_PER_WEEK = 7 * SLOTS_PER_DAY


def weekly_slot(*, tz: str, now: datetime | None = None) -> int:
    """The weekly 15-minute slot `now` falls in, in time zone `tz`."""
    local = (now or datetime.now(UTC)).astimezone(ZoneInfo(tz))
    return local.weekday() * SLOTS_PER_DAY + (local.hour * 60 + local.minute) // SLOT_MINUTES


def quote(terms: dict, item_ids: list[str], *, now: datetime | None = None) -> dict:
    """The restaurant's answer to "what would these items cost, and can I order now", as its
    `order-quote` route gives it: the wanted items it has, priced, and those it has not."""
    known = terms["items"]
    return {
        **{
            key: terms[key]
            for key in (
                "restaurant_id",
                "owner_id",
                "name",
                "address",
                "delivery_radius_km",
                "accepting_orders",
                "prep_time_min",
                "delivery_fee_cents",
            )
        },
        "is_open_now": weekly_slot(tz=terms["timezone"], now=now) in terms["open_slots"],
        "paused_until": _pause_lasting(terms.get("paused_until"), now=now),
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


def _pause_lasting(paused_until: str | None, *, now: datetime | None) -> str | None:
    """The end of the restaurant's pause while it lasts, else None (terms published before pauses have none)."""
    if paused_until is None or datetime.fromisoformat(paused_until) <= (now or datetime.now(UTC)):
        return None
    return paused_until


def _version_key(restaurant_id: str) -> str:
    return redis_key(f"menu:{restaurant_id}", "version")  # the menu cache's version (restaurants/cache.py)


def _entry_prefix(restaurant_id: str) -> str:
    return redis_key("terms", restaurant_id, "")


def published(restaurant_id: str) -> dict | None:
    """The restaurant's terms as published under its current version; None when they are not,
    or Redis does not answer."""
    return read_models.read(_version_key(restaurant_id), _entry_prefix(restaurant_id))


def version(restaurant_id: str) -> str | None:
    """The restaurant's current version, to publish under once MongoDB has been read; None without Redis."""
    return read_models.current_version(_version_key(restaurant_id))


def publish(restaurant_id: str, terms: dict, *, version: str | None) -> None:
    """Publishes the terms as read after `version` was taken."""
    read_models.write(_entry_prefix(restaurant_id), version, terms, ttl_s=settings.PRICE_LIST_TTL_S)
