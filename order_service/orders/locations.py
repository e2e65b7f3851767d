"""The courier's latest position per order, as the delivery service publishes it
(common/contracts/order_location.py): what an order's answer shows and what attention reads.
Never a previous courier's position; nulls when Redis cannot say."""

from __future__ import annotations

import redis

from common.contracts import order_location
from common.redis_client import get_redis
from orders import lifecycle

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
