"""Who delivers to me: restaurants whose delivery area covers a point, nearest first (ARCHITECTURE 4.5).

MongoDB holds the restaurants (the truth); Redis holds a geo index of those with coordinates, so a
customer's browse costs one GEOSEARCH around the point (O(log n + m), m the restaurants near
enough), never a scan of every restaurant:

- `restaurants:geo`, a GEO set of restaurant ids at their coordinates;
- `restaurants:radius`, each one's own delivery radius ("" for the platform's DELIVERY_RADIUS_KM);
- `restaurants:radius-max`, the largest own radius indexed, so one search radius finds every
  restaurant that could cover the point; each candidate is then checked against its own radius;
- `restaurants:geo-built`, set once the index was filled from MongoDB.

Every restaurant write updates the index after MongoDB (best effort). When Redis has lost the
index (a restart, an eviction) the next browse rebuilds it from MongoDB first, under a lock so one
process does it; when Redis cannot answer at all, browsing by location reads the restaurants with
coordinates from MongoDB and measures each distance (slower, still correct).
"""

from __future__ import annotations

import logging

import redis
from django.conf import settings

from common import geo
from common.mongo import get_database
from common.redis_client import get_redis, redis_key
from restaurants import repository

logger = logging.getLogger(__name__)


def _key(name: str) -> str:
    return redis_key("restaurants", name)


def own_radius_km(restaurant: dict) -> float | None:
    return restaurant.get("delivery_radius_km") or None


def radius_km(restaurant: dict) -> float:
    """The restaurant's own delivery radius, else the platform's default."""
    return own_radius_km(restaurant) or settings.DELIVERY_RADIUS_KM


def index(restaurant: dict) -> None:
    """Puts the restaurant where it is (or takes it out, without coordinates). Best effort: the
    index is rebuilt from MongoDB when it is found missing."""
    try:
        _write(get_redis().pipeline(transaction=False), [restaurant]).execute()
    except redis.RedisError:
        logger.warning(
            "restaurant not indexed for browsing by location", extra={"restaurant_id": str(restaurant["_id"])}
        )


def _write(pipe, restaurants: list[dict]):
    for restaurant in restaurants:
        rid = str(restaurant["_id"])
        address = restaurant.get("address") or {}
        if geo.has_coordinates(address):
            own = own_radius_km(restaurant)
            pipe.geoadd(_key("geo"), (address["lng"], address["lat"], rid))
            pipe.hset(_key("radius"), rid, own or "")
            if own:
                pipe.eval(_RAISE_MAX, 1, _key("radius-max"), own)
        else:
            pipe.zrem(_key("geo"), rid)
            pipe.hdel(_key("radius"), rid)
    return pipe


# Keeps the largest radius seen: a restaurant that shrinks its area only makes searches wider.
_RAISE_MAX = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > current then redis.call('SET', KEYS[1], ARGV[1]) end
return 1
"""


def rebuild() -> int:
    """Fills the index from MongoDB; returns how many restaurants have coordinates."""
    restaurants = repository.restaurants_with_coordinates(get_database())
    client = get_redis()
    pipe = client.pipeline(transaction=True)
    pipe.delete(_key("geo"), _key("radius"), _key("radius-max"))
    _write(pipe, restaurants)
    pipe.set(_key("geo-built"), "1")
    pipe.execute()
    logger.info("restaurant geo index rebuilt", extra={"restaurants": len(restaurants)})
    return len(restaurants)


def _ensure_built(client: redis.Redis) -> None:
    if client.exists(_key("geo-built")):
        return
    lock = client.lock(_key("geo-rebuild-lock"), timeout=30, blocking_timeout=10)
    if lock.acquire():
        try:
            if not client.exists(_key("geo-built")):
                rebuild()
        finally:
            lock.release()


def covering(*, lat: float, lng: float) -> list[tuple[str, float]]:
    """(restaurant id, km) of the restaurants whose delivery area covers the point, nearest first:
    those among the NEAR_BROWSE_MAX nearest (0: every one)."""
    try:
        return _covering_in_redis(lat=lat, lng=lng)
    except redis.RedisError:
        logger.warning("Redis unavailable: restaurants near a point measured from MongoDB")
        return _covering_in_mongo(lat=lat, lng=lng)


def _covering_in_redis(*, lat: float, lng: float) -> list[tuple[str, float]]:
    client = get_redis()
    _ensure_built(client)
    largest = max(float(client.get(_key("radius-max")) or 0), settings.DELIVERY_RADIUS_KM)
    # Among the NEAR_BROWSE_MAX nearest only: a browse costs the same in a city of a hundred
    # restaurants or of ten thousand (issue #42: 700 candidates took twice a page's time).
    cap = settings.NEAR_BROWSE_MAX or None
    found = client.geosearch(
        _key("geo"), longitude=lng, latitude=lat, radius=largest, unit="km", sort="ASC", withdist=True, count=cap
    )
    if not found:
        return []
    ids = [rid for rid, _km in found]
    radii = client.hmget(_key("radius"), ids)
    return [
        (rid, float(km))
        for (rid, km), own in zip(found, radii, strict=True)
        if float(km) <= (float(own) if own else settings.DELIVERY_RADIUS_KM)
    ]


def _covering_in_mongo(*, lat: float, lng: float) -> list[tuple[str, float]]:
    """As `_covering_in_redis` does it: the nearest within the largest radius, then each one's own."""
    located = []
    for restaurant in repository.restaurants_with_coordinates(get_database()):
        address = restaurant["address"]
        located.append((str(restaurant["_id"]), geo.distance_km(lat, lng, address["lat"], address["lng"]), restaurant))
    largest = max([settings.DELIVERY_RADIUS_KM, *(own_radius_km(r) or 0 for _, _, r in located)])
    nearest = sorted((entry for entry in located if entry[1] <= largest), key=lambda entry: entry[1])
    return [(rid, km) for rid, km, r in nearest[: settings.NEAR_BROWSE_MAX or None] if km <= radius_km(r)]


def ride_min(km: float) -> float:
    """Minutes of riding `km` at the default vehicle speed (an estimate: straight line, no traffic)."""
    return km / settings.COURIER_DEFAULT_SPEED_KMH * 60
