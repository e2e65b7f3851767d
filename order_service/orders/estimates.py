"""The delivery promise's estimates (ARCHITECTURE 4.5): when the food should be ready, and at the door.

They are estimates, not promises: straight-line distances at a vehicle's speed (no roads, no
traffic), and the kitchen's own word for its time. Computed from the order document alone (pure
functions, no I/O), at each moment that can move them:

| the order is | estimated_ready_at | estimated_delivery_at |
| --- | --- | --- |
| placed | placement + the restaurant's `prep_time_min` | the later of ready and the courier's arrival at the restaurant, plus the ride |
| accepted, preparing | acceptance + the kitchen's `ready_in_min` (else `prep_time_min`), moved on by each delay | the same |
| ready | (as it stood) | the same |
| picked_up | (as it stood) | the courier's arrival at the door from their position, else pickup + the ride |
| delivered | (as it stood) | (as it stood); `delivered_at` is the fact |

- The ride is the distance from the restaurant to the address at the courier's vehicle speed once
  a courier is assigned (the delivery service sends it), else `COURIER_DEFAULT_SPEED_KMH`; without
  coordinates on both ends, `ESTIMATE_DEFAULT_RIDE_MIN`.
- The courier's arrival (at the restaurant, then at the door) comes from their position reports.
- With planned routes (ARCHITECTURE 4.7) a courier may carry two orders: the delivery service sends
  when their route reaches each door counting the stops before it (`route_eta`), and the arrival is
  never earlier than that, so the customer of a second stop sees a later time than the first.
- An estimate is never in the past for an order that is not delivered: one due within
  `ESTIMATE_MIN_AHEAD_S` is moved to twice that from now (a late kitchen moves the arrival; the
  order service's refresher does this for orders nobody touches).
- A stored estimate is replaced only when the new one differs by a minute or more, so the
  customer's stream gets an `estimate` event when the arrival really moves, not at every report.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings

from common import geo
from orders import lifecycle

MOVE_THRESHOLD = timedelta(minutes=1)


@dataclass(frozen=True)
class Stage:
    """How each estimate is made while an order is in one state; None keeps the stored value."""

    ready: Callable[[dict, datetime], datetime] | None
    delivery: Callable[[dict, datetime], datetime] | None


def _history_at(order: dict, status: str) -> datetime | None:
    return next((entry["at"] for entry in reversed(order.get("history", [])) if entry["status"] == status), None)


def kitchen_ready_at(order: dict) -> datetime:
    """When the kitchen said the food would be ready (acceptance + its minutes, moved on by delays);
    before acceptance, placement + the restaurant's usual preparation time."""
    if order.get("kitchen_ready_at"):
        return order["kitchen_ready_at"]
    return order["created_at"] + timedelta(minutes=order.get("prep_time_min") or settings.DEFAULT_PREP_TIME_MIN)


def ride(order: dict) -> timedelta:
    """From the restaurant to the door at the courier's (or the default) speed."""
    pickup, dropoff = order.get("pickup_address"), order.get("delivery_address")
    if not (geo.has_coordinates(pickup) and geo.has_coordinates(dropoff)):
        return timedelta(minutes=settings.ESTIMATE_DEFAULT_RIDE_MIN)
    km = geo.distance_km(pickup["lat"], pickup["lng"], dropoff["lat"], dropoff["lng"])
    speed = order.get("courier_speed_kmh") or settings.COURIER_DEFAULT_SPEED_KMH
    return timedelta(hours=km / speed)


def _courier_eta(order: dict, leg: str) -> datetime | None:
    eta = order.get("courier_eta") or {}
    return eta.get("at") if eta.get("leg") == leg and eta.get("courier_id") == order.get("courier_id") else None


def _after_route(order: dict, at: datetime) -> datetime:
    """Not before the courier's route reaches this door (the stops before it included)."""
    eta = order.get("route_eta") or {}
    if eta.get("courier_id") == order.get("courier_id") and eta.get("at") is not None:
        return max(at, eta["at"])
    return at


def _ahead(at: datetime, now: datetime) -> datetime:
    """Never in the past: an estimate due sooner than ESTIMATE_MIN_AHEAD_S moves on."""
    floor = timedelta(seconds=settings.ESTIMATE_MIN_AHEAD_S)
    return at if at >= now + floor else now + 2 * floor


def _ready_before_ready(order: dict, now: datetime) -> datetime:
    return _ahead(kitchen_ready_at(order), now)


def _delivery_before_pickup(order: dict, now: datetime) -> datetime:
    # The food is ready now (once it is) or when the kitchen said; the courier leaves with it when
    # both it and they are there.
    start = now if order["status"] == lifecycle.READY else _ready_before_ready(order, now)
    if courier_there := _courier_eta(order, "pickup"):
        start = max(start, courier_there)
    return _ahead(_after_route(order, start + ride(order)), now)


def _delivery_after_pickup(order: dict, now: datetime) -> datetime:
    arrival = _courier_eta(order, "dropoff")
    if arrival is None:
        arrival = (_history_at(order, lifecycle.PICKED_UP) or now) + ride(order)
    return _ahead(_after_route(order, arrival), now)


STAGES: dict[str, Stage] = {
    lifecycle.PLACED: Stage(ready=_ready_before_ready, delivery=_delivery_before_pickup),
    lifecycle.ACCEPTED: Stage(ready=_ready_before_ready, delivery=_delivery_before_pickup),
    lifecycle.PREPARING: Stage(ready=_ready_before_ready, delivery=_delivery_before_pickup),
    lifecycle.READY: Stage(ready=None, delivery=_delivery_before_pickup),
    lifecycle.PICKED_UP: Stage(ready=None, delivery=_delivery_after_pickup),
    lifecycle.DELIVERED: Stage(ready=None, delivery=None),
    lifecycle.REJECTED: Stage(ready=None, delivery=None),
    lifecycle.CANCELLED: Stage(ready=None, delivery=None),
}


def estimate(order: dict, now: datetime) -> dict[str, datetime | None]:
    """The estimates this order should show now: `{estimated_ready_at, estimated_delivery_at}`."""
    stage = STAGES[order["status"]]
    ready = _whole_second(stage.ready(order, now)) if stage.ready else order.get("estimated_ready_at")
    delivery = _whole_second(stage.delivery(order, now)) if stage.delivery else order.get("estimated_delivery_at")
    return {"estimated_ready_at": ready, "estimated_delivery_at": delivery}


def changes(order: dict, now: datetime) -> dict[str, datetime]:
    """The estimates to store: those that moved by a minute or more (or were never set)."""
    moved = {}
    for name, value in estimate(order, now).items():
        stored = order.get(name)
        if value is not None and (stored is None or abs(value - stored) >= MOVE_THRESHOLD):
            moved[name] = value
    return moved


def shown(order: dict, now: datetime | None = None) -> dict[str, datetime | None]:
    """The stored estimates as an answer shows them: one that has passed on an unfinished order
    (the refresher had not come by yet) is shown moved on, never in the past."""
    now = now or datetime.now(UTC)
    ready, delivery = order.get("estimated_ready_at"), order.get("estimated_delivery_at")
    if order.get("status") in lifecycle.FINAL_STATES:
        return {"estimated_ready_at": ready, "estimated_delivery_at": delivery}
    if ready is not None and ready <= now and STAGES[order["status"]].ready is not None:
        ready = _ahead(ready, now)
    if delivery is not None and delivery <= now:
        delivery = _ahead(delivery, now)
    return {"estimated_ready_at": ready, "estimated_delivery_at": delivery}


def due(order: dict, now: datetime) -> bool:
    """Whether a stored estimate of an unfinished order is about to pass (the refresher moves it on)."""
    if order["status"] in lifecycle.FINAL_STATES:
        return False
    soon = now + timedelta(seconds=settings.ESTIMATE_MIN_AHEAD_S)
    delivery = order.get("estimated_delivery_at")
    ready = order.get("estimated_ready_at") if STAGES[order["status"]].ready else None
    return any(at is not None and at < soon for at in (delivery, ready))


def _whole_second(at: datetime) -> datetime:
    # MongoDB keeps milliseconds; whole seconds read back exactly as they were written.
    return at.replace(microsecond=0) + timedelta(seconds=1) if at.microsecond else at
