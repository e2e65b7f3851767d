"""Rules of the delivery service: courier profiles and the courier's side of a delivery.
Assignment and its reconciler live in deliveries/dispatch.py (ARCHITECTURE 4.3)."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

from django.conf import settings

from common import faults
from common.errors import Conflict, NotFound
from common.mongo import get_database, parse_object_id
from deliveries import clients, console, courier_list, dispatch, events, lifecycle, repository, tracking
from deliveries.errors import DeliveryNotFound, IllegalDeliveryTransition

logger = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


# --- couriers -----------------------------------------------------------------------------------


def courier_get_or_create(*, courier_id: str) -> dict:
    db = get_database()
    courier = repository.courier_get(db, courier_id=courier_id)
    if courier is not None:
        return courier
    account = clients.auth_courier(courier_id=courier_id)
    now = _now()
    courier = repository.courier_insert(
        db,
        document={
            "_id": courier_id,
            "name": account.get("name", ""),
            "vehicle": "bicycle",
            "available": False,
            "available_since": None,
            "created_at": now,
            "updated_at": now,
        },
    )
    tracking.remember_courier(courier)
    courier_list.listed(courier)
    console.publish_couriers([courier_id])
    return courier


def courier_update(*, courier_id: str, changes: dict) -> dict:
    courier = courier_get_or_create(courier_id=courier_id)
    if not changes:
        return courier
    now = _now()
    changes = {**changes, "updated_at": now}
    becomes_available = changes.get("available") is True and not courier.get("available")
    if becomes_available:
        changes["available_since"] = now
    updated = repository.courier_update(get_database(), courier_id=courier_id, changes=changes)
    if "available" in changes and bool(changes["available"]) != bool(courier.get("available")):
        courier_list.duty_changed(updated)
    tracking.remember_courier(updated)
    console.publish_couriers([courier_id])
    if becomes_available:
        dispatch.kick(wait_s=settings.DISPATCH_KICK_WAIT_S)
    return updated


async def courier_report_location(*, courier_id: str, lat: float, lng: float) -> dict:
    """Records the position (deliveries/tracking.py); a free, available courier may now be in reach
    of a waiting order."""
    reported = await tracking.courier_report_location(
        courier_id=courier_id, lat=lat, lng=lng, beside=console.position_claim(courier_id)
    )
    await console.position_reported(courier_id, reported.location, reported.beside)
    after_report(reported)
    return reported.location


def courier_location(courier: dict) -> dict | None:
    """The courier's latest position: Redis's (the live truth), else MongoDB's copy."""
    return tracking.latest_position(courier["_id"]) or courier.get("location")


_position_kicks = {"last": 0.0}  # when this process last kicked dispatch for a position


def after_report(reported: tracking.Reported) -> None:
    """A position from a free, available courier asks for a dispatch pass: at most one such kick per
    DISPATCH_POSITION_KICK_S in a process (thousands of couriers report every few seconds; the
    periodic pass finds anyone the kicks miss)."""
    if not reported.available or reported.task is not None:
        return
    now = time.monotonic()
    if now - _position_kicks["last"] >= settings.DISPATCH_POSITION_KICK_S:
        _position_kicks["last"] = now
        dispatch.kick()


def courier_active_order(*, courier_id: str) -> str | None:
    """The order of the courier's oldest active delivery (with a route, `route` says the rest)."""
    assignments = repository.assignments_of_courier(get_database(), courier_id=courier_id)
    return assignments[0]["order_id"] if assignments else None


# --- the courier's side of a delivery -----------------------------------------------------------------------------


def _delivery(*, delivery_id: str, courier_id: str) -> dict:
    oid = parse_object_id(delivery_id)
    delivery = oid and repository.delivery_get(get_database(), delivery_id=oid, courier_id=courier_id)
    if not delivery:
        raise DeliveryNotFound()
    return delivery


def delivery_get(*, delivery_id: str, courier_id: str) -> dict:
    return _delivery(delivery_id=delivery_id, courier_id=courier_id)


def _order_transition(*, order_id: str, target: str, courier_id: str) -> dict:
    def move() -> dict:
        return clients.order_transition(order_id=order_id, status=target, courier_id=courier_id)

    try:
        return faults.call("advance.order_transition", move)
    except NotFound:
        # The delivery exists a moment before the order names its courier (claim, delivery, then
        # projection), and a crash can stretch that moment until the reconciler. A courier who acts
        # in it finishes the projection, as the reconciler would, rather than being told "not found".
        if dispatch.converge_order(order_id=order_id) is not dispatch.Outcome.ASSIGNED:
            raise
        return move()


def delivery_advance(*, delivery_id: str, courier_id: str, target: str) -> dict:
    """picked_up / delivered, by the assigned courier. The order's state machine decides first (it
    knows whether the restaurant marked the food ready); the delivery follows. A crash between the
    two is finished by a retry or by the reconciler (dispatch.converge)."""
    delivery = _delivery(delivery_id=delivery_id, courier_id=courier_id)
    current = delivery["status"]
    if not lifecycle.allowed(current=current, target=target, actor_type=lifecycle.COURIER):
        raise IllegalDeliveryTransition(
            f"A delivery that is {current} cannot become {target}.", details={"current": current, "requested": target}
        )
    order = None
    try:
        order = _order_transition(order_id=delivery["order_id"], target=target, courier_id=courier_id)
    except Conflict as exc:
        if exc.details.get("current") != target:
            raise
        # A retry after the order moved but before this delivery did: finish the job below.
    faults.point("advance.after_order_transition")
    db = get_database()
    now = _now()
    entry = {"status": target, "at": now, "actor_type": lifecycle.COURIER, "actor_id": courier_id}
    # None when a racing request moved it first: both answer with the delivery as it is now.
    moved = repository.delivery_set_status(
        db,
        delivery_id=delivery["_id"],
        current=current,
        target=target,
        entry=entry,
        now=now,
        mirror=order if order and order.get("version", -1) > delivery.get("order_version", -1) else None,
    )
    events.announce(moved)
    delivery = _delivery(delivery_id=delivery_id, courier_id=courier_id)
    if target == lifecycle.DELIVERED:
        faults.point("advance.after_delivery_update")
        repository.assignment_release(db, courier_id=courier_id, order_id=delivery["order_id"])
        dispatch.kick(wait_s=settings.DISPATCH_KICK_WAIT_S)  # the courier is free: the oldest waiting order
    return delivery


def deliveries_for_courier(*, courier_id: str, status: str | None, skip: int, limit: int):
    return courier_list.deliveries_page(courier_id=courier_id, status=status, skip=skip, limit=limit)


def deliveries_mirror_orders(*, orders: list[dict]) -> None:
    """The order service says these orders moved (`{id, delivery_id, status, version}` each): their
    deliveries show it to the couriers. Idempotent and ordered by the orders' versions; unknown
    deliveries are ignored."""
    db = get_database()
    wanted = {oid: order for order in orders if (oid := parse_object_id(order["delivery_id"]))}
    for delivery in repository.deliveries_by_ids(db, delivery_ids=list(wanted)) if wanted else []:
        order = wanted[delivery["_id"]]
        if delivery["order_id"] == order["id"]:
            dispatch.mirror_order(db, delivery, order)
