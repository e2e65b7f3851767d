"""Dispatch that plans (ARCHITECTURE 4.7): one pass of `DISPATCH_POLICY=routes`. It takes a snapshot
of the city (the orders waiting for a courier as their owner lists them, the active assignments and
their deliveries, the couriers on duty and their positions, the operators' decisions), plans it
with deliveries/planning.py (VROOM; a pure function the simulator drives too) and commits only what
must start now, each through the one assignment function of 4.3 (`dispatch.assign_to`: a claim of
one of the courier's DISPATCH_MAX_ORDERS_PER_COURIER slots, which the unique keys let one racer
make, then the idempotent projection the reconciler finishes). So two replicas planning at once
make at most one assignment per order and never more than the capacity per courier; what one
planner commits the other finds as committed (fixed) in its next snapshot.

A plan that fails, or takes longer than DISPATCH_SOLVE_TIMEOUT_MS, is not used: that pass is
4.3's nearest rule. Orders no courier in the plan can take (no coordinates, nobody located) go to
the nearest rule too, so couriers who send no positions keep working.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from django.conf import settings
from prometheus_client import Counter, Histogram

from common import geo
from common.errors import ApiError
from common.mongo import get_database
from deliveries import clients, dispatch, events, lifecycle, locks, manual, planning, repository, tracking
from deliveries.dispatch import Outcome

logger = logging.getLogger(__name__)

PLAN_SOLVE = Histogram(
    "dispatch_plan_solve_seconds",
    "Time to build and solve one dispatch plan",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 1.5, 3, 10),
)
PLAN_FALLBACKS = Counter("dispatch_plan_fallbacks_total", "Plan passes that fell back to nearest", ["reason"])
PLAN_COMMITS = Counter("dispatch_plan_commits_total", "Orders the plan committed to couriers")
PLAN_BATCH = 500  # waiting orders per pass, oldest first


def _now() -> datetime:
    return datetime.now(UTC)


def _time(value) -> datetime | None:
    if value is None:
        return None
    at = datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) else value
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _place(address: dict | None) -> tuple[float, float] | None:
    return (address["lat"], address["lng"]) if geo.has_coordinates(address) else None


# --- the passes the background loops run (deliveries/background.py) ---------------------------------------


def dispatch_pass() -> list[Outcome]:
    """What a kick asks for: a plan with `routes`, the nearest rule with `nearest`."""
    return plan_pass() if settings.DISPATCH_POLICY == "routes" else dispatch.dispatch()


def planned_pass() -> list[Outcome]:
    """The plan's own loop (every DISPATCH_PLAN_S); nothing with `nearest`."""
    return plan_pass() if settings.DISPATCH_POLICY == "routes" else []


def reconcile() -> dispatch.Report:
    """The reconciler (deliveries/dispatch.py); with `routes` the plan's loop gives out the orders."""
    return dispatch.reconcile(dispatcher=dispatch.dispatch if settings.DISPATCH_POLICY == "nearest" else list)


# --- one plan ------------------------------------------------------------------------------------------


class City:
    """What one pass knows: the snapshot for the solver, and the documents behind it."""

    def __init__(self, now: datetime):
        self.now = now
        self.waiting: dict[str, dict] = {}  # order id -> the order as its owner listed it
        self.couriers: dict[str, dict] = {}
        self.positions: dict[str, dict] = {}
        self.deliveries: dict[str, list[dict]] = {}  # courier -> active deliveries
        self.carried: dict[str, int] = {}  # courier -> assignments (slots taken)
        self.assigned: set[str] = set()  # orders with an assignment (maybe not yet projected)
        self.snapshot: planning.Snapshot | None = None

    def count_slots(self, assignments: list[dict]) -> None:
        for assignment in assignments:
            self.carried[assignment["courier_id"]] = self.carried.get(assignment["courier_id"], 0) + 1
            self.assigned.add(assignment["order_id"])

    def full(self, order_id: str, courier_id: str) -> bool:
        """The courier's slots were all taken, by other orders than this one, when the snapshot was."""
        return order_id not in self.assigned and self.carried.get(courier_id, 0) >= dispatch.capacity()


def take_snapshot(now: datetime) -> City:
    db = get_database()
    city = City(now)
    city.waiting = {o["id"]: o for o in clients.orders_awaiting_courier(limit=PLAN_BATCH)}
    assignments = repository.assignments_all(db)
    city.count_slots(assignments)
    delivery_ids = [a["delivery_id"] for a in assignments]
    for delivery in repository.deliveries_by_ids(db, delivery_ids=delivery_ids) if delivery_ids else []:
        if delivery["status"] in lifecycle.ACTIVE_STATES:
            city.deliveries.setdefault(delivery["courier_id"], []).append(delivery)
    city.couriers = {c["_id"]: c for c in repository.couriers_available(db)}
    for courier_id in set(city.deliveries) - set(city.couriers):
        if (courier := repository.courier_get(db, courier_id=courier_id)) is not None:
            city.couriers[courier_id] = courier
    city.positions = tracking.latest_positions(list(city.couriers))
    for courier_id, courier in city.couriers.items():
        if courier_id not in city.positions and courier.get("location"):
            city.positions[courier_id] = courier["location"]

    vehicles, orders = [], []
    for courier_id, courier in city.couriers.items():
        location = city.positions.get(courier_id)
        fresh = tracking.is_fresh(location, now)
        if not fresh and courier_id not in city.deliveries:
            continue  # not located: the nearest rule considers them after located couriers
        vehicles.append(
            planning.CourierToPlan(
                courier_id=courier_id,
                position=_place(location) if fresh else None,
                speed_kmh=tracking.speed_kmh(courier.get("vehicle")),
                # New orders only for couriers whose position is known: the others finish their trip,
                # and the nearest rule gives them orders as 4.3 does (after located couriers).
                on_duty=bool(courier.get("available")) and fresh,
            )
        )
        for delivery in city.deliveries.get(courier_id, []):
            pickup, dropoff = _place(delivery.get("pickup")), _place(delivery.get("dropoff"))
            if pickup is None or dropoff is None:
                continue
            ready = now if delivery.get("order_status") == "ready" else (_time(delivery.get("ready_at")) or now)
            orders.append(
                planning.OrderToPlan(
                    order_id=delivery["order_id"],
                    pickup=pickup,
                    dropoff=dropoff,
                    ready_at=ready,
                    courier_id=courier_id,
                    picked_up=delivery["status"] == lifecycle.PICKED_UP,
                )
            )
    located = {v.courier_id for v in vehicles if v.on_duty}
    allowed = manual.allowed_couriers(db, order_ids=list(city.waiting), couriers=located)
    for order_id, order in city.waiting.items():
        pickup, dropoff = _place(order.get("pickup_address")), _place(order.get("delivery_address"))
        if pickup is None or dropoff is None:
            continue  # the nearest rule takes it (unplanned)
        ready = now if order["status"] == "ready" else (_time(order.get("estimated_ready_at")) or now)
        orders.append(
            planning.OrderToPlan(
                order_id=order_id,
                pickup=pickup,
                dropoff=dropoff,
                ready_at=ready,
                promise_at=_time(order.get("promised_delivery_at") or order.get("estimated_delivery_at")),
                allowed=allowed.get(order_id),
            )
        )
    city.snapshot = planning.Snapshot(
        now=now,
        orders=orders,
        couriers=vehicles,
        capacity=dispatch.capacity(),
        detour=settings.ROUTING_DETOUR_FACTOR,
        reference_speed_kmh=settings.COURIER_DEFAULT_SPEED_KMH,
        commit_ahead_s=settings.DISPATCH_COMMIT_AHEAD_S,
    )
    return city


def plan_pass() -> list[Outcome]:
    """One pass: snapshot, plan, commit what must start now; the nearest rule when the plan fails or
    is late, and for the orders no located courier can take."""
    try:
        city = take_snapshot(_now())
    except ApiError as exc:
        logger.warning("order queue unavailable; planning postponed", extra={"error": exc.code})
        return []
    waiting_ids = list(city.waiting)
    try:
        plan = planning.solve(
            city.snapshot, timeout_ms=settings.DISPATCH_SOLVE_TIMEOUT_MS, matrix=travel_matrix(city.snapshot)
        )
    except Exception:  # the solver's failure, whatever it is, must never stop dispatch
        logger.exception("dispatch plan failed; this pass assigns by the nearest rule")
        PLAN_FALLBACKS.labels("failed").inc()
        return _nearest(city, waiting_ids)
    PLAN_SOLVE.observe(plan.solve_ms / 1000)
    if plan.solve_ms > settings.DISPATCH_SOLVE_TIMEOUT_MS:
        logger.warning("dispatch plan late; this pass assigns by the nearest rule", extra={"ms": plan.solve_ms})
        PLAN_FALLBACKS.labels("late").inc()
        return _nearest(city, waiting_ids)
    outcomes = commit(city, plan)
    outcomes += _nearest(city, [o for o in waiting_ids if o in set(plan.unplanned)])
    refresh_routes(city)
    return outcomes


def travel_matrix(snapshot: planning.Snapshot):
    """An OSRM table when OSRM_URL is set (None: great circles; see deliveries/osrm.py)."""
    if not settings.OSRM_URL:
        return None
    from deliveries import osrm

    return osrm.table(planning.build_problem(snapshot).points, base_url=settings.OSRM_URL)


def commit(city: City, plan: planning.Plan) -> list[Outcome]:
    """The plan's assignments that must start now, each through the one assignment function. The
    solver's capacity is what a courier carries at once, so it may plan a third order after two
    drop-offs; a courier whose slots the snapshot saw taken is not asked (the claim would refuse,
    after an insert refused per slot: every pass, for as long as the order waited)."""
    outcomes = []
    for order_id, courier_id in plan.commit:
        if city.full(order_id, courier_id):
            outcomes.append(Outcome.NO_FREE_COURIER)  # it waits for the next pass
            continue
        try:
            with locks.order_lock(order_id):
                outcome = dispatch.assign_to(city.waiting[order_id], courier_id, capacity=dispatch.capacity())
        except ApiError as exc:
            logger.warning("planned order skipped", extra={"order_id": order_id, "error": exc.code})
            outcome = Outcome.SKIPPED
        if outcome in (Outcome.ASSIGNED, Outcome.PENDING):
            PLAN_COMMITS.inc()
            city.carried[courier_id] = city.carried.get(courier_id, 0) + 1
        outcomes.append(outcome)
    return outcomes


def _nearest(city: City, order_ids: list[str]) -> list[Outcome]:
    """4.3's rule for these orders (oldest first): one order per free courier, the nearest."""
    outcomes = []
    for order_id in order_ids:
        try:
            with locks.order_lock(order_id):
                outcome = dispatch.assign(city.waiting[order_id])
        except ApiError as exc:
            logger.warning("order skipped by dispatch", extra={"order_id": order_id, "error": exc.code})
            outcome = Outcome.SKIPPED
        outcomes.append(outcome)
        if outcome is Outcome.NO_FREE_COURIER:
            break
    return outcomes


def refresh_routes(city: City) -> None:
    """Every busy courier's route as it stands after this pass, to their feed (a `route` event when
    it changed) and to their customers' estimates (moves of a minute or more). Their deliveries and
    the couriers the snapshot lacks are read in one query each, and every route is published in one
    round trip: a pass costs the store the same few queries with ten busy couriers or a thousand
    (one query per courier made each placement's pass cost as many as the city had busy couriers)."""
    db = get_database()
    busy = sorted({a["courier_id"] for a in repository.assignments_all(db)})
    if not busy:
        return
    active = repository.deliveries_active_of_couriers(db, courier_ids=busy, states=sorted(lifecycle.ACTIVE_STATES))
    deliveries: dict[str, list[dict]] = {}
    for delivery in active:
        deliveries.setdefault(delivery["courier_id"], []).append(delivery)
    couriers = {courier_id: city.couriers[courier_id] for courier_id in busy if courier_id in city.couriers}
    if missing := [courier_id for courier_id in busy if courier_id not in couriers]:
        couriers.update((c["_id"], c) for c in repository.couriers_by_ids(db, courier_ids=missing))
    events.announce_routes(
        [
            (courier, city.positions.get(courier_id), deliveries.get(courier_id, []))
            for courier_id, courier in couriers.items()
        ]
    )
