"""The position fast path: `POST /couriers/me/location` at about the cost of a cached read.

A well-formed report from a courier (a JSON body with numeric `lat` and `lng` in range) is answered
on the event loop: the token checked (once per process, common/jwt.py), one Redis script
(deliveries/tracking.py: the live truth, the index, the write-behind's note) and, for a courier on
a delivery, the followers told. No thread hop, no MongoDB. Anything else (a form, a bad value, the
wrong kind of user, Redis unavailable) goes to the DRF view, which answers exactly as it always has
(its errors, its HTML form, its MongoDB write when Redis is away). The DRF view stays attached
(`.cls`), so the OpenAPI schema still documents the route.
"""

from __future__ import annotations

import redis
from asgiref.sync import sync_to_async
from django.http import HttpResponse

from common.jwt import TokenError, access_claims
from common.parsers import loads_strictly
from deliveries import api, services, tracking

_location_view = sync_to_async(api.CourierMeViewSet.as_view({"post": "location"}))


def _position(request) -> tuple[str, float, float] | None:
    """(courier id, lat, lng) when the fast path can take the report as it is, else None."""
    if request.method != "POST" or request.content_type != "application/json":
        return None
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    try:
        claims = access_claims(token)
        body = loads_strictly(request.body)
    except (TokenError, ValueError):
        return None
    if claims["user_type"] != "courier" or not isinstance(body, dict):
        return None
    lat, lng = body.get("lat"), body.get("lng")
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (lat, lng))
    if not numbers or not (-90 <= lat <= 90 and -180 <= lng <= 180):
        return None
    return str(claims["sub"]), float(lat), float(lng)


async def location(request):
    if (position := _position(request)) is not None:
        courier_id, lat, lng = position
        try:
            reported = await tracking.courier_report_location_async(courier_id=courier_id, lat=lat, lng=lng)
        except (redis.RedisError, OSError):
            pass  # the DRF view writes it to MongoDB
        else:
            services.after_report(reported)
            return HttpResponse(status=204)
    return await _location_view(request)


# What drf-spectacular reads to document the route (as on a view made by the router).
location.cls, location.initkwargs, location.actions = api.CourierMeViewSet, {}, {"post": "location"}
location.csrf_exempt = True
