"""Distances on the Earth's surface, for delivery areas, dispatch and arrival estimates."""

from __future__ import annotations

import math

EARTH_RADIUS_KM = 6371.0088  # the mean radius (IUGG)


def distance_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance by the haversine formula: within 0.5% of the ellipsoid, plenty for
    "is this address within 8 km" and a courier's ETA."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = phi2 - phi1, math.radians(lng2 - lng1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def has_coordinates(place: dict | None) -> bool:
    return bool(place) and place.get("lat") is not None and place.get("lng") is not None
