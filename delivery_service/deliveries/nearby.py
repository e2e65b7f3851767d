"""The nearest free couriers to a pickup, for dispatch (ARCHITECTURE 4.3): Redis GEO holds every
courier's latest position (written by deliveries/tracking.py), so the search is O(log n) there; when
Redis cannot answer, MongoDB's written-behind copies answer instead."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

import redis
from django.conf import settings

from common import geo
from common.mongo import get_database
from common.redis_client import get_redis
from deliveries import repository
from deliveries.tracking import geo_key, seen_key

logger = logging.getLogger(__name__)


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
    since = datetime.now(UTC) - timedelta(seconds=settings.COURIER_LOCATION_MAX_AGE_S)
    nearby = []
    for courier in repository.couriers_located_since(get_database(), since=since):
        km = geo.distance_km(lat, lng, courier["location"]["lat"], courier["location"]["lng"])
        if km <= radius_km:
            nearby.append((courier["_id"], km))
    return sorted(nearby, key=lambda pair: pair[1])[:limit]
