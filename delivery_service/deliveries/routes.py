"""A courier's route (ARCHITECTURE 4.7, section 5 `route`): the stops still to make for their active
deliveries, in order, each with its time. Worked out from the deliveries themselves whenever it is
read (deliveries/planning.py's `sequence`: every pickup before its drop-off, the doors reached
soonest), so it is always the truth of the assignments, whichever policy made them: `GET
/couriers/me`, the courier's feed (a `route` entry after each change), the operators' couriers, and
the customers' estimates (the time at each door, counting the stops before it, goes to the order
service, which moves `estimated_delivery_at` and sends `estimate` events).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from django.conf import settings

from common import geo
from common.mongo import get_database
from deliveries import lifecycle, planning, repository, tracking


def _now() -> datetime:
    return datetime.now(UTC)


def _place(address: dict | None) -> tuple[float, float] | None:
    return (address["lat"], address["lng"]) if geo.has_coordinates(address) else None


def _address(address: dict | None) -> str:
    return ", ".join(p for p in ((address or {}).get("line1"), (address or {}).get("city")) if p)


def legs_of(delivery: dict, now: datetime) -> list[planning.Leg]:
    """The stops a delivery still needs: its pickup until picked up (not before the food is ready),
    then its drop-off."""
    legs = []
    if delivery["status"] == lifecycle.ASSIGNED:
        ready = now if delivery.get("order_status") == "ready" else delivery.get("ready_at")
        if ready is not None and ready.tzinfo is None:
            ready = ready.replace(tzinfo=UTC)
        legs.append(planning.Leg(delivery["order_id"], "pickup", _place(delivery.get("pickup")), ready))
    legs.append(planning.Leg(delivery["order_id"], "dropoff", _place(delivery.get("dropoff"))))
    return legs


def route_of(*, deliveries: list[dict], location: dict | None, vehicle: str | None, now: datetime) -> list[dict]:
    """The route of a courier at `location` (None or stale: from their first stop) carrying these
    active deliveries: `[{order_id, delivery_id, stop, lat, lng, address, eta, depart_at}]` in order,
    `eta` to the whole minute (it moves when the route does, not at every second); the first stop's
    `depart_at` says when to set off for it when leaving now would mean waiting at the counter
    (planning.set_off: every drop-off's time kept), to the minute; null: go now."""
    by_order = {d["order_id"]: d for d in deliveries}
    legs = [leg for d in sorted(deliveries, key=lambda d: (d["created_at"], d["_id"])) for leg in legs_of(d, now)]
    start = _place(location) if tracking.is_fresh(location, now) else None
    speed, detour = tracking.speed_kmh(vehicle), settings.ROUTING_DETOUR_FACTOR
    stops = planning.sequence(start=start, legs=legs, now=now, speed_kmh=speed, detour=detour)
    leaving, stops = planning.set_off(stops, start=start, now=now, speed_kmh=speed, detour=detour)
    route = []
    for n, (leg, eta) in enumerate(stops):
        delivery = by_order[leg.order_id]
        address = delivery.get("pickup" if leg.stop == "pickup" else "dropoff")
        route.append(
            {
                "order_id": leg.order_id,
                "delivery_id": str(delivery["_id"]),
                "stop": leg.stop,
                "lat": (address or {}).get("lat"),
                "lng": (address or {}).get("lng"),
                "address": _address(address),
                "eta": _to_minute(eta).isoformat(),
                # On the first stop: when to leave for it (the food is not ready before), else null.
                "depart_at": leaving.replace(second=0, microsecond=0).isoformat() if leaving and n == 0 else None,
            }
        )
    return route


def _to_minute(at: datetime) -> datetime:
    rounded = at.replace(second=0, microsecond=0)
    return rounded + timedelta(minutes=1) if rounded < at else rounded


def courier_route(*, courier: dict, location: dict | None, deliveries: list[dict] | None = None) -> list[dict]:
    """The route of one courier now (their active deliveries read unless given)."""
    if deliveries is None:
        deliveries = repository.deliveries_active_of_couriers(
            get_database(), courier_ids=[courier["_id"]], states=sorted(lifecycle.ACTIVE_STATES)
        )
    return route_of(deliveries=deliveries, location=location, vehicle=courier.get("vehicle"), now=_now())


def version_now() -> int:
    """A route entry's version in the courier's feed: it only grows (milliseconds)."""
    return time.time_ns() // 1_000_000


def tell_customers(*, courier: dict, route: list[dict]) -> None:
    """When the route reaches each door, to the order service (the customers' estimates): sent when
    it moved by a minute or more (deliveries/tracking.py keeps what was sent)."""
    speed = tracking.speed_kmh(courier.get("vehicle"))
    for stop in route:
        if stop["stop"] == "dropoff":
            tracking.tell_order_of_arrival(
                order_id=stop["order_id"],
                courier_id=courier["_id"],
                leg="route",
                at=datetime.fromisoformat(stop["eta"]),
                speed_kmh=speed,
            )
