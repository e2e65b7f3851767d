"""Live order status in Redis: a short-lived key per order and a pub/sub channel (ARCHITECTURE 4.4).

MongoDB stays the source of truth; Redis only makes following an order cheap. Failures here are
logged and never fail the transition that triggered them: the event stream then falls back to
polling MongoDB.
"""

from __future__ import annotations

import json
import logging

import redis
from django.conf import settings

from common.redis_client import get_redis, redis_key

logger = logging.getLogger(__name__)


def status_key(order_id: str) -> str:
    return redis_key("order-status", order_id)


def channel(order_id: str) -> str:
    return redis_key("order-events", order_id)


def location_key(order_id: str) -> str:
    """The delivery service's published read model of the assigned courier's position (its
    deliveries/tracking.py): the latest as a key, each new one as a message on the same name."""
    return redis_key("order-location", order_id)


NO_LOCATION = {"courier_location": None, "eta_s": None}


def courier_location(order: dict) -> dict:
    """`{courier_location: {lat, lng, at}, eta_s}` while a courier is assigned and the order is not
    finished; nulls when there is none, it is not known (yet), or Redis cannot say."""
    if not order.get("courier_id") or order["status"] in ("delivered", "cancelled", "rejected"):
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


def event_of(order: dict) -> dict:
    """The SSE event `data` for the order's current state."""
    last = order["history"][-1] if order.get("history") else {}
    return {
        "order_id": str(order["_id"]),
        "status": order["status"],
        "at": last.get("at").isoformat() if last.get("at") else None,
        "courier_id": order.get("courier_id"),
        "seq": len(order.get("history", [])) * 1000 + (1 if order.get("courier_id") else 0),
    }


def publish(order: dict) -> None:
    event = event_of(order)
    payload = json.dumps(event)
    try:
        pipe = get_redis().pipeline()
        pipe.set(status_key(event["order_id"]), payload, ex=settings.ORDER_STATUS_TTL_S)
        pipe.publish(channel(event["order_id"]), payload)
        pipe.execute()
    except redis.RedisError:
        logger.warning("live status not published", extra={"order_id": event["order_id"]})
