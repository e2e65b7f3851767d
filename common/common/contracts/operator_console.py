"""The operators' console stream, `GET /operator/events` (ARCHITECTURE 4.6): one topic for the whole
city, written by two services.

The order service serves the stream and writes its `order` entries (key `order:{id}`: the order as
`GET /operator/orders` shows it, with `attention`); the delivery service writes its `courier`
entries (key `courier:{id}`: the courier as `GET /operator/couriers` shows them, with `state`). The
stream's heartbeat re-read gets the couriers from the delivery service's internal route
(`COURIERS_PATH`), so MongoDB stays the truth of both halves.

Versions only grow, per key (common/streams):
- an order's is its document's `version`, then the second its `attention` was worked out at
  (`order_version`): a write always beats an older write, and at the same write a later reading of
  the clock beats an earlier one, so codes that appear as time passes reach the stream;
- a courier's is the millisecond the state was read at, or the position reported at
  (`courier_version`).

A courier's position goes out at most once per courier per `POSITION_INTERVAL_S` (the throttle of
common/streams), built from the courier's **card** in Redis (`cards_key`: everything but the
position, written by the delivery service at each change and at each of the stream's re-reads).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TypedDict

from common.redis_client import redis_key
from common.streams import Entry, topic_of

KIND, SUBJECT = "operator", "city"  # the topic is `operator:city`
ORDER, COURIER = "order", "courier"  # the entries' key prefixes, and the events' names
SNAPSHOT = "snapshot"  # {orders: [...], couriers: [...]}
POSITION_INTERVAL_S = 1.0
COURIERS_PATH = "/internal/operator/couriers"  # the delivery service's: {couriers: [Courier, ...]}

# A courier's state on the map: on a delivery, free for one, off duty, or not heard of lately
# (no position for the delivery service's COURIER_LOCATION_MAX_AGE_S).
FREE, BUSY, SILENT, OFF_DUTY = "free", "busy", "silent", "off_duty"

_ORDER_CLOCK_EPOCH = 1_700_000_000  # seconds; an order version's clock part counts from here


class Location(TypedDict):
    lat: float
    lng: float
    at: str


class Courier(TypedDict):
    id: str
    name: str
    vehicle: str
    available: bool
    location: Location | None
    deliveries: list[str]  # active delivery ids, oldest first
    orders: list[str]  # their orders' ids, in the same order
    state: str  # FREE, BUSY, SILENT or OFF_DUTY


def topic() -> str:
    return topic_of(KIND, SUBJECT)


def order_key(order_id: str) -> str:
    return f"{ORDER}:{order_id}"


def courier_key(courier_id: str) -> str:
    return f"{COURIER}:{courier_id}"


def order_version(document_version: int, at: datetime) -> int:
    """The document's version first, then the second `at`. The history's script keeps versions as
    Lua numbers, written with 14 significant digits: exact while the document's version stays below
    about 20,000 (an order changes a few dozen times)."""
    return int(document_version) * 2**32 + max(0, int(at.timestamp()) - _ORDER_CLOCK_EPOCH)


def courier_version(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def order_entry(order: dict, *, version: int, live: bool) -> Entry:
    """An order as the console shows it (`order`'s data: the order with `attention`)."""
    return Entry(key=order_key(order["id"]), version=version, event=ORDER, data=order, live=live)


def courier_entry(courier: Courier, *, at: datetime) -> Entry:
    return Entry(key=courier_key(courier["id"]), version=courier_version(at), event=COURIER, data=dict(courier))


def cards_key() -> str:
    """A hash: courier id -> their card (a `Courier` without `location` and `state`) as JSON."""
    return redis_key("operator-console", "cards")


def encode_card(courier: Courier) -> str:
    return json.dumps({k: v for k, v in courier.items() if k not in ("location", "state")}, sort_keys=True)


def decode_card(raw: str) -> dict:
    return json.loads(raw)
