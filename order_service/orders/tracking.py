"""Live order state in Redis (ARCHITECTURE 4.4): each change announced to the order's stream and its
kitchen's board (common/streams/), and the courier's position as the delivery service publishes it
(common/contracts/order_location.py).

MongoDB stays the source of truth; Redis only makes following an order cheap. Failures here are
logged and never fail the write that triggered them: the streams repair from MongoDB.
"""

from __future__ import annotations

import logging

import redis

from common import streams
from common.contracts import order_location, order_stream
from common.redis_client import get_redis
from orders import events, lifecycle

logger = logging.getLogger(__name__)

NO_LOCATION = {"courier_location": None, "eta_s": None}


def courier_location(order: dict) -> dict:
    """`{courier_location: {lat, lng, at}, eta_s}` while a courier is assigned and the order is not
    finished; nulls when there is none, it is not known (yet), or Redis cannot say."""
    if not order.get("courier_id") or order["status"] in lifecycle.FINAL_STATES:
        return NO_LOCATION
    try:
        raw = get_redis().get(order_location.key(str(order["_id"])))
    except redis.RedisError:
        return NO_LOCATION
    if not raw:
        return NO_LOCATION
    event = order_location.decode(raw)
    if event.get("courier_id") != order["courier_id"]:
        return NO_LOCATION  # a previous courier's position
    return {
        "courier_location": {"lat": event["lat"], "lng": event["lng"], "at": event["at"]},
        "eta_s": event.get("eta_s"),
    }


def courier_positions(orders: list[dict]) -> dict[str, dict]:
    """`{order_id: {lat, lng, at}}` of the couriers of these orders, as `courier_location` reads one,
    in one round trip; orders whose courier's position is not known (or Redis cannot say) are absent."""
    named = [o for o in orders if o.get("courier_id") and o["status"] not in lifecycle.FINAL_STATES]
    if not named:
        return {}
    try:
        found = get_redis().mget([order_location.key(str(o["_id"])) for o in named])
    except redis.RedisError:
        return {}
    positions = {}
    for order, raw in zip(named, found, strict=True):
        event = order_location.decode(raw) if raw else None
        if event and event.get("courier_id") == order["courier_id"]:
            positions[str(order["_id"])] = {"lat": event["lat"], "lng": event["lng"], "at": event["at"]}
    return positions


def publish(order: dict) -> None:
    """Announces the order's new state to its own stream and its kitchen's board (one round trip;
    best effort: the streams' heartbeat re-read repairs a publish that did not happen)."""
    streams.publish(
        [
            (order_stream.topic(str(order["_id"])), events.order_entries(order)),
            (streams.topic_of(events.RESTAURANT, order["restaurant_id"]), [events.board_entry(order)]),
        ]
    )
