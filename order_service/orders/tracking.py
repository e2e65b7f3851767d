"""Live order state in Redis (ARCHITECTURE 4.4): each change announced to the order's stream and its
kitchen's board (common/streams.py), and the courier's position as the delivery service publishes it.

MongoDB stays the source of truth; Redis only makes following an order cheap. Failures here are
logged and never fail the write that triggered them: the streams repair from MongoDB.
"""

from __future__ import annotations

import json
import logging

import redis

from common import streams
from common.redis_client import get_redis, redis_key
from orders import events, lifecycle

logger = logging.getLogger(__name__)


def location_key(order_id: str) -> str:
    """The delivery service's read model of the assigned courier's position (its deliveries/tracking.py);
    each new one also goes to the order's stream as a `location` entry."""
    return redis_key("order-location", order_id)


NO_LOCATION = {"courier_location": None, "eta_s": None}


def courier_location(order: dict) -> dict:
    """`{courier_location: {lat, lng, at}, eta_s}` while a courier is assigned and the order is not
    finished; nulls when there is none, it is not known (yet), or Redis cannot say."""
    if not order.get("courier_id") or order["status"] in lifecycle.FINAL_STATES:
        return NO_LOCATION
    try:
        raw = get_redis().get(location_key(str(order["_id"])))
    except redis.RedisError:
        return NO_LOCATION
    if not raw:
        return NO_LOCATION
    event = json.loads(raw)
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
        found = get_redis().mget([location_key(str(o["_id"])) for o in named])
    except redis.RedisError:
        return {}
    positions = {}
    for order, raw in zip(named, found, strict=True):
        event = json.loads(raw) if raw else None
        if event and event.get("courier_id") == order["courier_id"]:
            positions[str(order["_id"])] = {"lat": event["lat"], "lng": event["lng"], "at": event["at"]}
    return positions


def publish(order: dict) -> None:
    """Announces the order's new state to its own stream and its kitchen's board (one round trip;
    best effort: the streams' heartbeat re-read repairs a publish that did not happen)."""
    streams.publish(
        [
            (streams.topic_of(events.ORDER, str(order["_id"])), events.order_entries(order)),
            (streams.topic_of(events.RESTAURANT, order["restaurant_id"]), [events.board_entry(order)]),
        ]
    )
