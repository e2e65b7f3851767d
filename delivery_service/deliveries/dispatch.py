"""Courier assignment and its reconciler: the one place that decides which courier has which
order, readable top to bottom (ARCHITECTURE 4.3).

Who owns which fact:
- the assignment (which courier has which order) is this service's: one `active_assignments`
  document, unique per courier and per order, and the delivery document it names;
- the order's `courier_id`/`delivery_id` is a projection of it, written only from here through an
  idempotent call to the order service (the same assignment again answers success);
- the order's status is the order service's; this module only reads it;
- operators' decisions (deliveries/manual.py) win: an order pinned by hand goes to its courier
  only, and is never given back to a courier it was taken from by hand.

So a step never undoes what may have happened: a call that times out or fails with a 5xx is
"unknown", and the reconciler, which reads both sides and repairs whatever differs, finishes it.
Every step is conditional or idempotent, so dispatch and reconciliation are safe to repeat, to
interrupt anywhere, and to run in several replicas at once. The Redis lock per order only keeps
replicas from doing the same work twice.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bson import ObjectId
from django.conf import settings
from prometheus_client import Counter, Histogram

from common import background, faults, geo
from common.errors import ApiError, Conflict, NotFound
from common.mongo import get_database
from deliveries import clients, courier_list, events, lifecycle, locks, manual, nearby, repository, tracking
from deliveries.repository import Claim

logger = logging.getLogger(__name__)

ASSIGNMENTS = Counter("courier_assignments_total", "Couriers assigned to orders")
REPAIRS = Counter("dispatch_repairs_total", "Inconsistencies the reconciler repaired", ["kind"])
ASSIGNMENT_WAIT = Histogram(
    "courier_assignment_wait_seconds",
    "From order placement to courier assignment",
    buckets=(0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600),
)

FINAL_ORDER_STATES = frozenset({"delivered", "cancelled", "rejected"})
NEAR_CHUNK = 10  # couriers near a pickup checked per read (candidates)


class Outcome(enum.Enum):
    ASSIGNED = "assigned"  # the assignment exists and the order names it
    PENDING = "pending"  # the assignment exists; the order service has not confirmed it yet
    ORDER_GONE = "order_gone"  # the order no longer needs a courier; any assignment was released
    NO_FREE_COURIER = "no_free_courier"
    NOT_IN_REACH = "not_in_reach"  # free couriers exist, none near enough this order yet: it waits
    TAKEN_OFF = "taken_off"  # an operator took the order from this courier: it waits for another
    SKIPPED = "skipped"  # could not be handled now (an error); the next pass tries again


@dataclass
class Settling:
    """An operator's assign (deliveries/operators.py) whose audit entry the projection settles in
    the same call to the order service; `settled` says whether it did."""

    action_id: str
    settled: bool = False


def _now() -> datetime:
    return datetime.now(UTC)


# --- dispatch: free couriers to waiting orders ------------------------------------------------------


def dispatch(*, batch: int = 20) -> list[Outcome]:
    """Gives free couriers to waiting orders, the oldest order first. An order that cannot be
    handled is skipped; only running out of free couriers ends the pass early."""
    if not repository.couriers_free(get_database(), limit=1):
        return []  # nobody to give an order to: the queue need not even be read
    try:
        waiting = clients.orders_awaiting_courier(limit=batch)
    except ApiError as exc:
        logger.warning("order queue unavailable; dispatch postponed", extra={"error": exc.code})
        return []
    outcomes = []
    for order in waiting:  # oldest first; an order with nobody in reach waits and does not block the rest
        try:
            with locks.order_lock(order["id"]):
                outcome = assign(order)
        except ApiError as exc:
            logger.warning("order skipped by dispatch", extra={"order_id": order["id"], "error": exc.code})
            outcome = Outcome.SKIPPED
        outcomes.append(outcome)
        if outcome is Outcome.NO_FREE_COURIER:
            break
    return outcomes


def capacity() -> int:
    """How many orders a courier may carry at once: DISPATCH_MAX_ORDERS_PER_COURIER with planned
    routes (ARCHITECTURE 4.7), one with the nearest rule (4.3)."""
    return settings.DISPATCH_MAX_ORDERS_PER_COURIER if settings.DISPATCH_POLICY == "routes" else 1


def assign(order: dict) -> Outcome:
    """The nearest rule (4.3): the best free courier for `order` (as the order service listed it),
    one order per courier. NO_FREE_COURIER when none is free at all; NOT_IN_REACH when none is near
    this order (it waits; another order may have couriers near it)."""
    db = get_database()
    if (existing := repository.assignment_of_order(db, order_id=order["id"])) is not None:
        return converge(existing, order)  # claimed earlier, not yet projected: finish that one
    for courier_id in manual.candidates_for(db, order["id"], candidates(db, order)):
        outcome = assign_to(order, courier_id, capacity=1)
        if outcome is not Outcome.NO_FREE_COURIER:
            return outcome
    return Outcome.NOT_IN_REACH if repository.couriers_free(db, limit=1) else Outcome.NO_FREE_COURIER


def assign_to(order: dict, courier_id: str, *, capacity: int) -> Outcome:
    """The one way dispatch gives an order to a courier (the nearest rule, the plan): a claim of one
    of the courier's `capacity` slots, which the unique keys let one racer make, then its projection
    (`converge`). Operators' decisions are checked here (a pinned order goes to its courier only, an
    order is never given back to a courier it was taken from by hand). NO_FREE_COURIER: the courier
    has no room (another pass filled it); the order keeps waiting."""
    db = get_database()
    if (existing := repository.assignment_of_order(db, order_id=order["id"])) is not None:
        return converge(existing, order)
    if courier_id not in set(manual.candidates_for(db, order["id"], [courier_id])):
        return Outcome.NO_FREE_COURIER
    claim = repository.assignment_claim(
        db, courier_id=courier_id, order_id=order["id"], delivery_id=ObjectId(), now=_now(), capacity=capacity
    )
    if claim is Claim.COURIER_BUSY:
        return Outcome.NO_FREE_COURIER
    if claim is Claim.CLAIMED:
        faults.point("dispatch.after_claim")
    return converge(repository.assignment_of_order(db, order_id=order["id"]), order)


def candidates(db, order: dict) -> Iterator[str]:
    """Free couriers for `order`, best first (ARCHITECTURE 4.3): those with a fresh position within
    the search radius of the pickup, nearest first; then those whose position is unknown (never
    sent, or stale), longest available first, so clients that send no positions keep working. An
    order without pickup coordinates takes any free courier, longest available first. A courier
    found here may be taken by a racing pass before the claim; the claim decides."""
    pickup = order.get("pickup_address")
    if geo.has_coordinates(pickup):
        waiting_s = (_now() - _parse_time(order["created_at"])).total_seconds()
        radius = nearby.search_radius_km(waiting_s=waiting_s)
        near = [
            courier_id
            for courier_id, _km in nearby.couriers_near(lat=pickup["lat"], lng=pickup["lng"], radius_km=radius)
        ]
        # A few at a time, nearest first: those with no room (one read for the lot, not a refused
        # claim each) and those not available are passed over.
        for first in range(0, len(near), NEAR_CHUNK):
            chunk = near[first : first + NEAR_CHUNK]
            full = repository.couriers_full(db, courier_ids=chunk, capacity=1)
            room = [courier_id for courier_id in chunk if courier_id not in full]
            found = {c["_id"]: c for c in repository.couriers_by_ids(db, courier_ids=room)} if room else {}
            yield from (courier_id for courier_id in room if found.get(courier_id, {}).get("available"))
    now = _now()
    free = repository.couriers_free(db, limit=50)
    fresh = tracking.fresh_couriers([c["_id"] for c in free])  # Redis's truth; None: MongoDB's copies
    for courier in free:
        located = courier["_id"] in fresh if fresh is not None else tracking.is_fresh(courier.get("location"), now)
        if not geo.has_coordinates(pickup) or not located:
            yield courier["_id"]


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# --- convergence of one assignment with its order ------------------------------------------------------


def converge(
    assignment: dict | None, order: dict | None, *, claimed: bool = False, settling: Settling | None = None
) -> Outcome:
    """Brings one assignment, its delivery and its order into agreement, given the order as the
    order service has it (None: the order does not exist). Idempotent. `claimed`: the caller has
    just claimed `assignment` itself, under a new delivery id, for a courier the operators'
    decisions allow (so its delivery is not looked for before it is created, and the courier is
    not one the order was taken from by hand). `settling`: an operator's assign, whose audit entry
    the projection settles on the way (when it projects)."""
    if assignment is None:
        return Outcome.SKIPPED  # released meanwhile
    db = get_database()
    delivery = _ensure_delivery(db, assignment, order, new=claimed)
    if delivery is not None:
        tracking.remember_task(delivery)  # level-triggered: a task Redis lost is back within a pass
    if order is None or order["status"] in FINAL_ORDER_STATES:
        _finish(db, assignment, order)
        return Outcome.ORDER_GONE
    if order["status"] == "picked_up":
        _follow(db, assignment, order)
        return Outcome.ASSIGNED
    delivery = mirror_order(db, delivery, order)
    if _names(order, assignment):
        return Outcome.ASSIGNED
    if not claimed and manual.is_excluded(db, order_id=order["id"], courier_id=assignment["courier_id"]):
        # Taken from this courier by hand (deliveries/manual.py): finish that, never project it again.
        taken = manual.take_off(db, assignment, actor_type=lifecycle.SYSTEM, actor_id="dispatch")
        return Outcome.TAKEN_OFF if taken is not None else Outcome.ASSIGNED
    if order.get("delivery_id"):
        # The order names a delivery that is not its assignment (there is one per order): stale.
        clients.order_unproject_courier(order_id=order["id"], delivery_id=order["delivery_id"])
        REPAIRS.labels("stale_projection").inc()
    return _project(db, assignment, order, delivery, settling)


def mirror_order(db, delivery: dict | None, order: dict) -> dict | None:
    """Copies the order's status onto its delivery (the courier's feed shows it: "ready, go now"),
    when the order is newer than what the delivery has. The order service sends it after each
    transition; the reconciler keeps it true when a message was lost."""
    if delivery is None or not _newer(order, delivery) or order["status"] == delivery.get("order_status"):
        return delivery  # statuses only move forward: the same one again (a newer version) is no news
    updated = repository.delivery_mirror_order(db, delivery_id=delivery["_id"], order=order, now=_now())
    events.announce(updated)
    return updated or delivery


def _newer(order: dict, delivery: dict) -> bool:
    return order.get("version") is not None and order["version"] > delivery.get("order_version", -1)


def converge_order(*, order_id: str) -> Outcome:
    """`converge` for one order now, under its lock, as the reconciler would."""
    with locks.order_lock(order_id):
        assignment = repository.assignment_of_order(get_database(), order_id=order_id)
        return converge(assignment, clients.orders_by_ids(order_ids=[order_id]).get(order_id))


def _names(order: dict, assignment: dict) -> bool:
    return order.get("courier_id") == assignment["courier_id"] and order.get("delivery_id") == str(
        assignment["delivery_id"]
    )


def _ensure_delivery(db, assignment: dict, order: dict | None, *, new: bool = False) -> dict | None:
    """The delivery document of an assignment, created once (a crash may have come between the
    claim and this, so the reconciler calls it too). `new`: the assignment was claimed just now,
    so its delivery is created without looking for it first."""
    if not new and (delivery := repository.delivery_by_id(db, delivery_id=assignment["delivery_id"])) is not None:
        return delivery
    now = _now()
    document = {
        "_id": assignment["delivery_id"],
        "order_id": assignment["order_id"],
        "courier_id": assignment["courier_id"],
        "status": lifecycle.ASSIGNED,
        "pickup": (order or {}).get("pickup_address"),
        "dropoff": (order or {}).get("delivery_address"),
        "order_status": (order or {}).get("status"),
        "ready_at": _ready_at(order),
        "order_version": (order or {}).get("version", -1),
        "order_courier_actions": lifecycle.order_courier_actions(order or {}),
        "history": [_system_entry(lifecycle.ASSIGNED, now)],
        "created_at": assignment.get("at", now),
        "updated_at": now,
    }
    created = repository.delivery_insert_once(db, document=document)
    if created:
        courier_list.delivery_listed(document)  # their list of deliveries (GET /deliveries)
        events.announce(document)  # the courier is told at once
        faults.point("dispatch.after_delivery")
        return document  # as stored: what was just written needs no second read
    faults.point("dispatch.after_delivery")
    return repository.delivery_by_id(db, delivery_id=assignment["delivery_id"])


def _ready_at(order: dict | None) -> datetime | None:
    """When the order's food should be ready, as its owner estimated at the assignment (the route)."""
    at = (order or {}).get("estimated_ready_at")
    return _parse_time(at) if isinstance(at, str) else at


def _project(db, assignment: dict, order: dict, delivery: dict | None, settling: Settling | None = None) -> Outcome:
    """Writes the assignment onto the order (and settles an operator's assign's audit entry with
    it: `settling`). A definite refusal settles the assignment; anything ambiguous leaves it for the
    reconciler, never undoing it."""
    speed_kmh, eta_at = tracking.courier_heading_to(
        db, courier_id=assignment["courier_id"], target=order.get("pickup_address")
    )
    try:
        projected = faults.call(
            "dispatch.project",
            lambda: clients.order_project_courier(
                order_id=order["id"],
                courier_id=assignment["courier_id"],
                delivery_id=str(assignment["delivery_id"]),
                courier_speed_kmh=speed_kmh,
                courier_eta_at=eta_at,
                action_id=settling.action_id if settling else None,
            ),
        )
    except (Conflict, NotFound):
        # The order moved on (finished, or another projection raced in): read it and converge.
        latest = clients.orders_by_ids(order_ids=[order["id"]]).get(order["id"])
        if latest is not None and latest["status"] not in FINAL_ORDER_STATES and not _names(latest, assignment):
            return Outcome.SKIPPED  # a projection race; the next pass sees a settled order
        return converge(assignment, latest)
    except ApiError as exc:
        logger.warning(
            "assignment not confirmed by the order service; the reconciler will finish it",
            extra={"order_id": order["id"], "courier_id": assignment["courier_id"], "error": exc.code},
        )
        return Outcome.PENDING
    if settling is not None:
        settling.settled = projected.get("action_settled") is True
    ASSIGNMENTS.inc()
    logger.info("courier assigned", extra={"courier_id": assignment["courier_id"], "order_id": order["id"]})
    # The order may have moved since it was listed (ready before it named its courier, so nobody
    # told this delivery): the projection's answer is the order as it is now.
    # (`delivery` as read before: the mirror's write is conditional on the order's version anyway.)
    mirror_order(db, delivery, projected)
    if created_at := projected.get("created_at"):
        ASSIGNMENT_WAIT.observe(max(0.0, (_now() - _parse_time(created_at)).total_seconds()))
    return Outcome.ASSIGNED


def _follow(db, assignment: dict, order: dict) -> dict | None:
    """Moves the delivery along the lifecycle table to where its order is (a crash can come
    between the order's move and the delivery's), the order's status mirrored in the last step."""
    delivery = repository.delivery_by_id(db, delivery_id=assignment["delivery_id"])
    target = lifecycle.FOR_ORDER_STATUS.get(order["status"])
    if delivery is None or target is None or delivery["status"] == target:
        return mirror_order(db, delivery, order)
    path = lifecycle.path_to(current=delivery["status"], target=target)
    if path is None:
        logger.error(
            "delivery cannot follow its order",
            extra={"delivery_id": str(delivery["_id"]), "current": delivery["status"], "order_status": order["status"]},
        )
        return delivery
    current = delivery["status"]
    for n, step in enumerate(path, start=1):
        now = _now()
        updated = repository.delivery_set_status(
            db,
            delivery_id=delivery["_id"],
            current=current,
            target=step,
            entry=_system_entry(step, now),
            now=now,
            mirror=order if n == len(path) and _newer(order, delivery) else None,
        )
        events.announce(updated)
        current = step
    REPAIRS.labels("delivery_followed_order").inc()
    return repository.delivery_by_id(db, delivery_id=assignment["delivery_id"])


def _finish(db, assignment: dict, order: dict | None) -> None:
    """The order is finished (None: it does not exist): the delivery follows it, then the courier is
    free. In that order, so a crash in between leaves the assignment, which the reconciler finishes."""
    _follow(db, assignment, order or {"status": "cancelled"})
    faults.point("release.after_delivery_update")
    if repository.assignment_release(db, courier_id=assignment["courier_id"], order_id=assignment["order_id"]):
        logger.info(
            "courier released", extra={"courier_id": assignment["courier_id"], "order_id": assignment["order_id"]}
        )


def _system_entry(status: str, at: datetime) -> dict:
    return {"status": status, "at": at, "actor_type": lifecycle.SYSTEM, "actor_id": "dispatch"}


# --- releases: the order service's kick after a cancel or reject ---------------------------------------


def release(*, order_id: str) -> Outcome:
    """The order service says an order finished: converge its assignment now (reading the order's
    status from its owner, not trusting the message), then give the courier the next order."""
    assignment = repository.assignment_of_order(get_database(), order_id=order_id)
    if assignment is None:
        return Outcome.ORDER_GONE
    order = clients.orders_by_ids(order_ids=[order_id]).get(order_id)
    outcome = converge(assignment, order)
    kick(wait_s=settings.DISPATCH_KICK_WAIT_S)
    return outcome


# --- the reconciler --------------------------------------------------------------------------------


@dataclass
class Report:
    assignments_checked: int = 0
    orders_checked: int = 0
    skipped: list[str] = field(default_factory=list)
    dispatched: list[Outcome] = field(default_factory=list)


def reconcile(*, dispatcher: Callable[[], list[Outcome]] = dispatch) -> Report:
    """One level-triggered pass over both sides; converges from any state. Each item is handled
    on its own: one that fails is skipped and never blocks the others. Last, `dispatcher` gives
    waiting orders to couriers (the nearest rule; the plan's loop passes its own)."""
    db = get_database()
    report = Report()
    # 1. Every assignment against its order: project it, finish it, or let the delivery follow.
    assignments = repository.assignments_all(db)
    try:
        orders = clients.orders_by_ids(order_ids=[a["order_id"] for a in assignments]) if assignments else {}
    except ApiError as exc:
        logger.warning("order service unavailable; reconciliation postponed", extra={"error": exc.code})
        report.skipped.append("all")
        return report
    for assignment in assignments:
        report.assignments_checked += 1
        try:
            with locks.order_lock(assignment["order_id"]):
                converge(assignment, orders.get(assignment["order_id"]))
        except ApiError as exc:
            report.skipped.append(assignment["order_id"])
            logger.warning("assignment skipped", extra={"order_id": assignment["order_id"], "error": exc.code})
    # The couriers' tasks in Redis (where their positions go) against the assignments.
    tracking.forget_finished_tasks(db, live={str(a["delivery_id"]) for a in assignments})
    # 2. Every live order that names a courier against the assignments. Orders are read first: an
    # assignment always exists before its projection, so one missing now was never there or ended.
    try:
        named = clients.orders_with_courier()
    except ApiError as exc:
        logger.warning("order service unavailable; projections not checked", extra={"error": exc.code})
        named = []
    for order in named:
        report.orders_checked += 1
        try:
            _check_projection(db, order)
        except ApiError as exc:
            report.skipped.append(order["id"])
            logger.warning("projection skipped", extra={"order_id": order["id"], "error": exc.code})
    # 3. Waiting orders to free couriers.
    report.dispatched = dispatcher()
    return report


def _check_projection(db, order: dict) -> None:
    assignment = repository.assignment_of_order(db, order_id=order["id"])
    if assignment is not None:
        if not _names(order, assignment):
            converge(assignment, order)
        return
    if order["status"] == "picked_up":
        # The courier is on the way with the food: restore the assignment the order names.
        claim = repository.assignment_claim(
            db,
            courier_id=order["courier_id"],
            order_id=order["id"],
            delivery_id=ObjectId(order["delivery_id"]),
            now=_now(),
            capacity=max(capacity(), settings.DISPATCH_MAX_ORDERS_PER_COURIER),
        )
        if claim is not Claim.CLAIMED:
            logger.error("picked-up order names a courier busy elsewhere", extra={"order_id": order["id"]})
        REPAIRS.labels("assignment_restored").inc()
        return
    clients.order_unproject_courier(order_id=order["id"], delivery_id=order["delivery_id"])
    REPAIRS.labels("projection_without_assignment").inc()


# --- when it runs: periodically, and kicked by events ----------------------------------------------------

LOOP = "dispatch"  # its background loop (deliveries/background.py): `reconcile` every DISPATCH_SWEEP_S


def kick(*, wait_s: float = 0.0) -> None:
    """Asks for a dispatch pass soon (a courier became free, an order was placed or finished); kicks
    that arrive while a pass runs are merged into the next. A sync request may wait up to `wait_s`
    for it, so the usual answer already shows the assignment, while a slow pass (a paused order
    service) never holds it longer. The pass runs on the loop's thread, never here: not in the
    request, never on the event loop (common/background.py)."""
    background.kick(LOOP, wait_s=wait_s)
