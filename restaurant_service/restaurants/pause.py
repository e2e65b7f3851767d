"""Pausing new orders: a kitchen that is swamped stops taking orders for a while, then takes them
again by itself (ARCHITECTURE 5, `POST /restaurants/{rid}/pause`).

- A pause is one stored time, `paused_until` (between 1 and 720 minutes from the moment it is
  asked for); resuming clears it. Nothing has to happen when it ends: every reader compares it with
  its own clock, so a pause expires by itself in every replica and in the order service alike.
- While paused the restaurant is not accepting: `accepting_orders` reads false (the owner's own
  switch and the pause together), quotes and placements answer 409 `restaurant_not_accepting` with
  `details.paused_until` (the order service reads the time from the terms the restaurant publishes,
  common/contracts/restaurant_terms.py), and lists show it after the restaurants that do accept.
- What is cached with the pause in it (the menu, the popular list) lives no longer than the pause,
  so the end of a pause is seen without a write to retire it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

MIN_MINUTES, MAX_MINUTES = 1, 720


def now() -> datetime:
    """The clock pauses are read against (tests set another)."""
    return datetime.now(UTC)


def until(minutes: int, *, at: datetime) -> datetime:
    return at + timedelta(minutes=minutes)


def paused_until(restaurant: dict, *, at: datetime) -> datetime | None:
    """When the restaurant's pause ends, while it lasts; None when it takes orders as usual."""
    end = restaurant.get("paused_until")
    if isinstance(end, str):
        end = datetime.fromisoformat(end)
    if end is not None and end.tzinfo is None:
        end = end.replace(tzinfo=UTC)  # MongoDB hands datetimes back without their zone
    return end if end is not None and end > at else None


def accepting(restaurant: dict, *, at: datetime) -> bool:
    """Whether the restaurant takes new orders now: its owner's switch is on and it is not paused.
    (Opening hours are the other half of "can I order now": `is_open_now`.)"""
    return bool(restaurant.get("accepting_orders", True)) and paused_until(restaurant, at=at) is None


def cache_lifetime_s(ttl_s: int, restaurants: Iterable[dict], *, at: datetime) -> int:
    """How long an entry showing these restaurants may be kept: its own lifetime, but never past the
    end of a pause it shows (it would show a paused restaurant after the pause)."""
    ends = [end for restaurant in restaurants if (end := paused_until(restaurant, at=at)) is not None]
    if not ends:
        return ttl_s
    return max(1, min(ttl_s, math.ceil((min(ends) - at).total_seconds())))
