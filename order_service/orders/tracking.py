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
