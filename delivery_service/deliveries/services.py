"""Rules of the delivery service: courier profiles, pairing free couriers with waiting orders,
and the courier's side of a delivery (ARCHITECTURE 4.3)."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime

from bson import ObjectId
from django.conf import settings
from prometheus_client import Counter, Histogram

from common.errors import ApiError, Conflict, ServiceUnavailable
from common.mongo import get_database, parse_object_id
from deliveries import clients, locks, repository
from deliveries.errors import DeliveryNotFound, IllegalDeliveryTransition

logger = logging.getLogger(__name__)

ASSIGNMENTS = Counter("courier_assignments_total", "Couriers assigned to orders")
ASSIGNMENT_WAIT = Histogram(
    "courier_assignment_wait_seconds",
    "From order placement to courier assignment",
    buckets=(0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600),
)

# assigned -> picked_up -> delivered, moved by the assigned courier only
NEXT_STATUS = {"assigned": "picked_up", "picked_up": "delivered"}


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
    return repository.courier_insert(
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
    if becomes_available:
        dispatch()
    return updated


def courier_active_order(*, courier_id: str) -> str | None:
    assignment = repository.assignment_of_courier(get_database(), courier_id=courier_id)
    return assignment["order_id"] if assignment else None


# --- assignment -----------------------------------------------------------------------------------


def dispatch(*, batch: int = 20) -> int:
    """Pairs free couriers with waiting orders, the oldest order first; returns how many it paired.

    Safe to run anywhere at any time, concurrently: each pairing is one unique-key claim of the
    courier for the order; the order service then records the courier only if the order has none.
    """
    try:
        waiting = clients.orders_awaiting_courier(limit=batch)
    except ServiceUnavailable:
        logger.warning("order service unavailable; dispatch postponed")
        return 0
    paired = 0
    for order in waiting:
        with locks.order_lock(order["id"]):
            outcome = _assign(order)
        if outcome == "no_courier":
            break
        if outcome == "assigned":
            paired += 1
    return paired


def _assign(order: dict) -> str:
    db = get_database()
    delivery_id = ObjectId()
    for courier in repository.couriers_free(db, limit=10):
        if repository.assignment_claim(
            db, courier_id=courier["_id"], order_id=order["id"], delivery_id=delivery_id, now=_now()
        ):
            break
    else:
        return "no_courier"
    try:
        clients.order_assign_courier(order_id=order["id"], courier_id=courier["_id"], delivery_id=str(delivery_id))
    except ApiError as exc:
        # Another run gave the order a courier, or it no longer needs one: free ours again.
        repository.assignment_release(db, courier_id=courier["_id"], order_id=order["id"])
        if exc.status_code >= 500:
            return "no_courier"  # the order service is struggling: stop this run
        return "skipped"
    now = _now()
    repository.delivery_insert(
        db,
        document={
            "_id": delivery_id,
            "order_id": order["id"],
            "courier_id": courier["_id"],
            "status": "assigned",
            "pickup": order.get("pickup_address"),
            "dropoff": order.get("delivery_address"),
            "history": [{"status": "assigned", "at": now, "actor_type": "system", "actor_id": "dispatch"}],
            "created_at": now,
            "updated_at": now,
        },
    )
    if not repository.assignment_exists(db, courier_id=courier["_id"], order_id=order["id"]):
        # The order was cancelled while we recorded it; its release already freed the courier.
        repository.deliveries_cancel_for_order(db, order_id=order["id"], entry=_system_entry("cancelled"), now=now)
        return "skipped"
    ASSIGNMENTS.inc()
    placed_at = datetime.fromisoformat(order["created_at"].replace("Z", "+00:00"))
    ASSIGNMENT_WAIT.observe(max(0.0, (now - placed_at).total_seconds()))
    return "assigned"


def _system_entry(status: str) -> dict:
    return {"status": status, "at": _now(), "actor_type": "system", "actor_id": "order-service"}


def order_release(*, order_id: str) -> None:
    """The order was rejected or cancelled: cancel its delivery and free its courier for the next."""
    db = get_database()
    repository.assignment_release_order(db, order_id=order_id)
    repository.deliveries_cancel_for_order(db, order_id=order_id, entry=_system_entry("cancelled"), now=_now())
    dispatch()


# --- the courier's side -----------------------------------------------------------------------------


def _delivery(*, delivery_id: str, courier_id: str) -> dict:
    oid = parse_object_id(delivery_id)
    delivery = oid and repository.delivery_get(get_database(), delivery_id=oid, courier_id=courier_id)
    if not delivery:
        raise DeliveryNotFound()
    return delivery


def delivery_get(*, delivery_id: str, courier_id: str) -> dict:
    return _delivery(delivery_id=delivery_id, courier_id=courier_id)


def delivery_advance(*, delivery_id: str, courier_id: str, target: str) -> dict:
    """picked_up / delivered, by the assigned courier; the order service moves the order first."""
    delivery = _delivery(delivery_id=delivery_id, courier_id=courier_id)
    current = delivery["status"]
    if NEXT_STATUS.get(current) != target:
        raise IllegalDeliveryTransition(
            f"A delivery that is {current} cannot become {target}.", details={"current": current, "requested": target}
        )
    # The order's state machine decides (e.g. picked_up only once the restaurant marked it ready).
    try:
        clients.order_transition(order_id=delivery["order_id"], status=target, courier_id=courier_id)
    except Conflict as exc:
        if exc.details.get("current") != target:
            raise
        # A retry after the order moved but before this delivery did: finish the job below.
    db = get_database()
    now = _now()
    entry = {"status": target, "at": now, "actor_type": "courier", "actor_id": courier_id}
    # None when a racing request moved it first: both answer with the delivery as it is now.
    repository.delivery_set_status(
        db, delivery_id=delivery["_id"], current=current, target=target, entry=entry, now=now
    )
    delivery = _delivery(delivery_id=delivery_id, courier_id=courier_id)
    if target == "delivered":
        repository.assignment_release(db, courier_id=courier_id, order_id=delivery["order_id"])
        dispatch()  # the courier is free: give them the oldest waiting order
    return delivery


def deliveries_for_courier(*, courier_id: str, status: str | None, skip: int, limit: int):
    return repository.deliveries_page(get_database(), courier_id=courier_id, status=status, skip=skip, limit=limit)


# --- periodic sweep ---------------------------------------------------------------------------------


def start_dispatch_sweeper(interval_s: float) -> threading.Thread:
    """Dispatches every `interval_s`: catches orders placed while this service was down."""

    def sweep() -> None:
        while True:
            time.sleep(interval_s)
            try:
                dispatch()
            except Exception:  # the sweeper must outlive any single failure
                logger.exception("dispatch sweep failed")

    thread = threading.Thread(target=sweep, name="dispatch-sweeper", daemon=True)
    thread.start()
    return thread


def sweeper_enabled() -> bool:
    return settings.DISPATCH_SWEEP_S > 0
