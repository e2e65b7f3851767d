"""Couriers' positions (ARCHITECTURE 4.3, 4.4): the latest one in MongoDB (the truth, on the
courier document), the searchable set in Redis GEO (the nearest couriers to a pickup in O(log n)),
and, for a courier on a delivery, a message to the order's followers.

What goes to the order service's followers is a published read model keyed by order, never the
courier's data as such: `order-location:{order_id}` holds the latest `{order_id, courier_id, lat,
lng, at, eta_s}` (it expires when the position goes stale), and the same JSON goes to the order's
live stream (topic `order:{id}`, key `location`, common/streams.py) at most once every
LOCATION_EVENT_MIN_INTERVAL_S. A courier can only ever
report their own position; it reaches the followers of the one order assigned to them, if any.
"""

from __future__ import annotations

import functools
import json
import logging
import time
from datetime import UTC, datetime, timedelta

import redis
from django.conf import settings

from common import geo, streams
from common.coalesce import Coalescer
from common.errors import ApiError
from common.mongo import get_database
from common.redis_client import get_redis, redis_key
from deliveries import clients, lifecycle, repository

logger = logging.getLogger(__name__)


def geo_key() -> str:
    return redis_key("couriers", "geo")


def seen_key() -> str:
    """A sorted set of when each courier's position was reported (GEO has no timestamps)."""
    return redis_key("couriers", "seen")


def order_location_key(order_id: str) -> str:
    return redis_key("order-location", order_id)


def _now() -> datetime:
    return datetime.now(UTC)


def is_fresh(location: dict | None, now: datetime | None = None) -> bool:
    if not location or location.get("at") is None:
        return False
    age = ((now or _now()) - location["at"]).total_seconds()
    return age <= settings.COURIER_LOCATION_MAX_AGE_S


def courier_report_location(*, courier_id: str, lat: float, lng: float) -> dict:
    """Records a courier's position: MongoDB first (the truth), then Redis (the index, best effort),
    then the followers of the courier's order, if they have one."""
    now = _now()
    location = {"lat": lat, "lng": lng, "at": now}
    db = get_database()
    repository.courier_set_location(db, courier_id=courier_id, location=location)
    try:
        pipe = get_redis().pipeline()
        pipe.geoadd(geo_key(), (lng, lat, courier_id))
        pipe.zadd(seen_key(), {courier_id: now.timestamp()})
        pipe.execute()
    except redis.RedisError:
        logger.warning("courier position not indexed in Redis", extra={"courier_id": courier_id})
    assignment = repository.assignment_of_courier(db, courier_id=courier_id)
    if assignment is not None:
        _tell_followers(db, assignment=assignment, location=location)
    return location


def _tell_followers(db, *, assignment: dict, location: dict) -> None:
    delivery = repository.delivery_by_id(db, delivery_id=assignment["delivery_id"])
    courier = repository.courier_get(db, courier_id=assignment["_id"])
    if delivery is None or delivery["status"] not in lifecycle.ACTIVE_STATES:
        return
    event = {
        "order_id": assignment["order_id"],
        "courier_id": assignment["_id"],
        "lat": location["lat"],
        "lng": location["lng"],
        "at": location["at"].isoformat(),
        "eta_s": eta_s(delivery=delivery, location=location, vehicle=(courier or {}).get("vehicle")),
    }
    key = order_location_key(assignment["order_id"])
    try:
        client = get_redis()
        client.set(key, json.dumps(event), ex=max(1, round(settings.COURIER_LOCATION_MAX_AGE_S)))
        # At most one event per order per interval: the first report of each interval wins.
        throttled = not client.set(
            key + ":throttle", 1, nx=True, px=round(settings.LOCATION_EVENT_MIN_INTERVAL_S * 1000)
        )
    except redis.RedisError:
        logger.warning("courier position not published", extra={"order_id": assignment["order_id"]})
        return
    if not throttled:
        entry = streams.Entry(
            key="location", version=int(location["at"].timestamp() * 1000), event="location", data=event
        )
        streams.publish([(streams.topic_of("order", assignment["order_id"]), [entry])])
    if event["eta_s"] is not None:
        _tell_order_of_arrival(
            order_id=assignment["order_id"],
            courier_id=assignment["_id"],
            leg="dropoff" if delivery["status"] == lifecycle.PICKED_UP else "pickup",
            at=location["at"] + timedelta(seconds=event["eta_s"]),
            speed_kmh=speed_kmh((courier or {}).get("vehicle")),
        )


# The arrival last sent per order and leg (in this process): the order service re-estimates only on
# moves of a minute or more, so smaller ones are not even sent. An optimisation, never the truth.
_arrivals_sent: dict[tuple[str, str], datetime] = {}
_ARRIVALS_KEPT = 10_000


def _send_arrivals(etas: list[dict]) -> None:
    try:
        clients.order_courier_etas(etas)
    except ApiError:
        logger.warning("courier arrivals not sent; the order's estimates move on by themselves meanwhile")


_arrivals = Coalescer("courier-arrivals", _send_arrivals, newer=lambda new, old: True)


def _tell_order_of_arrival(*, order_id: str, courier_id: str, leg: str, at: datetime, speed_kmh: float) -> None:
    sent = _arrivals_sent.get((order_id, leg))
    if sent is not None and abs((at - sent).total_seconds()) < 60:
        return
    if len(_arrivals_sent) > _ARRIVALS_KEPT:
        _arrivals_sent.clear()
    _arrivals_sent[(order_id, leg)] = at
    _arrivals.add(
        order_id,
        {"order_id": order_id, "courier_id": courier_id, "leg": leg, "at": at.isoformat(), "speed_kmh": speed_kmh},
    )


def courier_heading_to(db, *, courier_id: str, target: dict | None) -> tuple[float, str | None]:
    """(the courier's speed, when they should reach `target` from their last fresh position, or None)."""
    courier = repository.courier_get(db, courier_id=courier_id) or {}
    speed = speed_kmh(courier.get("vehicle"))
    location = courier.get("location")
    if not is_fresh(location) or not geo.has_coordinates(target):
        return speed, None
    km = geo.distance_km(location["lat"], location["lng"], target["lat"], target["lng"])
    return speed, (_now() + timedelta(hours=km / speed)).isoformat()


def speed_kmh(vehicle: str | None) -> float:
    speeds = _speed_table(settings.COURIER_SPEEDS_KMH)
    return speeds.get((vehicle or "").strip().lower(), settings.COURIER_DEFAULT_SPEED_KMH)


@functools.cache
def _speed_table(spec: str) -> dict[str, float]:
    """ "bicycle:15,car:25" as a table, parsed once per value of the setting."""
    speeds = {}
    for pair in spec.split(","):
        name, _, value = pair.partition(":")
        if name.strip() and value.strip():
            speeds[name.strip().lower()] = float(value)
    return speeds


def eta_s(*, delivery: dict, location: dict, vehicle: str | None) -> int | None:
    """Seconds to the restaurant before pickup, to the customer after; an estimate from the
    straight-line distance and the vehicle's speed. None without coordinates for the leg."""
    target = delivery.get("dropoff") if delivery["status"] == lifecycle.PICKED_UP else delivery.get("pickup")
    if not geo.has_coordinates(target):
        return None
    distance = geo.distance_km(location["lat"], location["lng"], target["lat"], target["lng"])
    return round(distance / speed_kmh(vehicle) * 3600)


# --- the nearest free couriers, for dispatch ------------------------------------------------------------


def search_radius_km(*, waiting_s: float) -> float:
    """DISPATCH_RADIUS_KM, doubled for every DISPATCH_WIDEN_AFTER_S the order has waited, capped."""
    widenings = int(max(0.0, waiting_s) // settings.DISPATCH_WIDEN_AFTER_S) if settings.DISPATCH_WIDEN_AFTER_S else 0
    return min(settings.DISPATCH_RADIUS_KM * 2 ** min(widenings, 16), settings.DISPATCH_MAX_RADIUS_KM)


def couriers_near(*, lat: float, lng: float, radius_km: float, limit: int = 100) -> list[tuple[str, float]]:
    """(courier id, km) of couriers with a fresh position within `radius_km`, nearest first: from
    Redis GEO, or from MongoDB when Redis cannot answer."""
    try:
        return _near_in_redis(lat=lat, lng=lng, radius_km=radius_km, limit=limit)
    except redis.RedisError:
        logger.warning("Redis unavailable: nearest couriers from MongoDB positions")
        return _near_in_mongo(lat=lat, lng=lng, radius_km=radius_km, limit=limit)


def _near_in_redis(*, lat: float, lng: float, radius_km: float, limit: int) -> list[tuple[str, float]]:
    client = get_redis()
    found = client.geosearch(
        geo_key(), longitude=lng, latitude=lat, radius=radius_km, unit="km", sort="ASC", count=limit, withdist=True
    )
    if not found:
        return []
    ids = [courier_id for courier_id, _ in found]
    seen = client.zmscore(seen_key(), ids)
    oldest = time.time() - settings.COURIER_LOCATION_MAX_AGE_S
    return [(cid, float(km)) for (cid, km), at in zip(found, seen, strict=True) if at is not None and at >= oldest]


def _near_in_mongo(*, lat: float, lng: float, radius_km: float, limit: int) -> list[tuple[str, float]]:
    since = _now() - timedelta(seconds=settings.COURIER_LOCATION_MAX_AGE_S)
    nearby = []
    for courier in repository.couriers_located_since(get_database(), since=since):
        km = geo.distance_km(lat, lng, courier["location"]["lat"], courier["location"]["lng"])
        if km <= radius_km:
            nearby.append((courier["_id"], km))
    return sorted(nearby, key=lambda pair: pair[1])[:limit]
