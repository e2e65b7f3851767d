"""The position fast path: `POST /couriers/me/location` at about the cost of a cached read.

A well-formed report from a courier (a JSON body with numeric `lat` and `lng` in range) is answered
before Django's handler (common/lean_routes.py: the in-flight limit, request id, security headers
and metrics kept): the token checked (once per process, common/jwt.py), one Redis script
(deliveries/tracking.py: the live truth, the index, the write-behind's note) and, for a courier on
a delivery, the followers told. No Django request, no thread, no MongoDB. Anything else (a form, a
bad value, the wrong kind of user, Redis unavailable) reaches the DRF view
(`CourierMeViewSet.location`), which answers exactly as it always has: its errors, its HTML form,
its MongoDB write when Redis is away. Measured: bench/RESULTS.md (#23).
"""

from __future__ import annotations

from collections.abc import Mapping

import redis

from common.lean_routes import NO_CONTENT, LeanRoute, Reply, json_request
from deliveries import services, tracking

PATH = "/couriers/me/location"
# The DRF route's URL pattern: the report's metrics are one series whichever way it was answered.
ROUTE = "^couriers/me/location$"


def _position(scope, headers: Mapping[bytes, bytes], body: bytes) -> tuple[str, float, float] | None:
    """(courier id, lat, lng) when the fast path can take the report as it is, else None."""
    if (taken := json_request(scope, headers, body, user_type="courier")) is None:
        return None
    claims, report = taken
    if not isinstance(report, dict):
        return None
    lat, lng = report.get("lat"), report.get("lng")
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (lat, lng))
    if not numbers or not (-90 <= lat <= 90 and -180 <= lng <= 180):
        return None
    return str(claims["sub"]), float(lat), float(lng)


async def report(scope, headers: Mapping[bytes, bytes], body: bytes) -> Reply | None:
    """Records the report and answers 204, or None to leave it to the DRF view."""
    if (position := _position(scope, headers, body)) is None:
        return None
    courier_id, lat, lng = position
    try:
        reported = await tracking.courier_report_location_async(courier_id=courier_id, lat=lat, lng=lng)
    except (redis.RedisError, OSError):
        return None  # the DRF view writes it to MongoDB
    services.after_report(reported)
    return NO_CONTENT


def with_position_reports(app) -> LeanRoute:
    return LeanRoute(app, method="POST", path=PATH, route=ROUTE, answer=report)
