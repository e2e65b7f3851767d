"""The courier's latest position for an order: a read model the delivery service publishes for the
order service (ARCHITECTURE 4.4).

Keyed by order, never the courier's data as such: `order-location:{order_id}` holds the latest
`CourierLocation` of the courier assigned to that order while they report positions, and expires
when the position goes stale (COURIER_LOCATION_MAX_AGE_S). The same payload goes to the order's
live stream as its `location` entry (`common/contracts/order_stream.py`). The reader checks that it
names the order's current courier: a previous courier's position is never shown.
"""

from __future__ import annotations

import json
from typing import TypedDict

from common.redis_client import redis_key


class CourierLocation(TypedDict):
    order_id: str
    courier_id: str
    lat: float
    lng: float
    at: str  # ISO 8601, when the courier reported it
    eta_s: int | None  # seconds to the restaurant before pickup, to the customer after; None without coordinates


def key(order_id: str) -> str:
    return redis_key("order-location", order_id)


def encode(location: CourierLocation) -> str:
    return json.dumps(location)


def decode(raw: str) -> CourierLocation:
    return json.loads(raw)
