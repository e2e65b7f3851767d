"""The dispatch plan as a pure function (ARCHITECTURE 4.7): a snapshot of the city (orders waiting
and carried, couriers, the time) becomes one pickup-and-delivery problem with time windows for
VROOM, which is solved and read back as a plan: each courier's stops in order with their times, and
the orders to commit now. No I/O here: deliveries/planner.py takes the snapshot and commits the
plan through the owner rules (deliveries/dispatch.py), and bench/dispatch_sim.py drives the same
functions on a simulated city, so the benchmark measures what runs.

The problem, in VROOM's terms:
- a **vehicle** per courier in the plan (on duty, in reach of a new order: `in_reach`), starting where they
  are, with capacity DISPATCH_MAX_ORDERS_PER_COURIER and their vehicle's speed (`speed_factor`
  against the matrix's reference speed); no end (a courier ends where the last drop-off is);
- a **shipment** per order not picked up yet: pickup at the restaurant not before the food is ready
  (its time window), drop-off by the promise (a window ending at the promise, or, once the promise
  cannot be kept any more, as soon as a ride after the food allows, with `LATE_ALLOWANCE_S`);
- a **job** per order on board: its drop-off only, its load on the vehicle from the start;
- **skills** say who may do what: skill 1 for couriers on duty (who take new orders); one skill per
  courier for the orders committed to them (fixed: they never move); one per set of couriers an
  operator allowed (a pin: that courier alone; exclusions: everyone but them).

Travel times: great-circle distance x ROUTING_DETOUR_FACTOR at the reference speed (numpy, all
pairs at once), or a matrix given by the caller (an OSRM table).
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import vroom

ON_DUTY_SKILL = 1
HORIZON_S = 24 * 3600  # the end of every open window: a day from now
LATE_ALLOWANCE_S = 20 * 60  # how late past the earliest feasible drop-off a hopeless promise may end
STOP_SERVICE_S = 60  # at the counter, at the door
# VROOM's exploration_level (0-5, its search effort) by the size of the problem (tasks: stops to
# place): a small city gets a thorough search for nothing; a big one the level that keeps the solve
# within DISPATCH_SOLVE_TIMEOUT_MS on two cores (bench/RESULTS.md: the same courier-minutes).
EXPLORATION_BY_TASKS = ((40, 5), (80, 3), (120, 2))
EXPLORATION_BIG = 1


def exploration_for(tasks: int) -> int:
    return next((level for most, level in EXPLORATION_BY_TASKS if tasks <= most), EXPLORATION_BIG)


@dataclass(frozen=True)
class OrderToPlan:
    order_id: str
    pickup: tuple[float, float]  # (lat, lng)
    dropoff: tuple[float, float]
    ready_at: datetime  # when the food should be ready (now, once it is)
    promise_at: datetime | None = None
    allowed: frozenset[str] | None = None  # couriers it may go to (operators' decisions); None: any
    courier_id: str | None = None  # committed to this courier already
    picked_up: bool = False  # on board: only the drop-off remains (with `courier_id`)


@dataclass(frozen=True)
class CourierToPlan:
    courier_id: str
    position: tuple[float, float] | None  # None: unknown (only for couriers with orders on board)
    speed_kmh: float
    on_duty: bool = True  # takes new orders


@dataclass(frozen=True)
class Snapshot:
    now: datetime
    orders: Sequence[OrderToPlan]
    couriers: Sequence[CourierToPlan]
    capacity: int = 2
    detour: float = 1.3
    reference_speed_kmh: float = 15.0
    commit_ahead_s: float = 15.0
    reach: int = 12  # each new order is offered to its `reach` nearest couriers who may take it


@dataclass(frozen=True)
class Stop:
    order_id: str
    stop: str  # pickup | dropoff
    lat: float
    lng: float
    eta: datetime


@dataclass
class Plan:
    routes: dict[str, list[Stop]] = field(default_factory=dict)  # courier -> stops in order
    commit: list[tuple[str, str]] = field(default_factory=list)  # (order, courier) to assign now
    later: list[str] = field(default_factory=list)  # planned, not due yet: left waiting
    unplanned: list[str] = field(default_factory=list)  # no courier in the plan can take them
    solve_ms: float = 0.0  # wall clock: building the problem, the solve, reading the answer
    cpu_ms: float = 0.0  # the same in the process's CPU time (what a loaded machine does not inflate)


# --- travel times -------------------------------------------------------------------------------------


def durations_s(points: np.ndarray, *, detour: float, speed_kmh: float) -> np.ndarray:
    """Seconds between every pair of (lat, lng) points: great-circle km x `detour` at `speed_kmh`."""
    lat = np.radians(points[:, 0])[:, None]
    lng = np.radians(points[:, 1])[:, None]
    a = np.sin((lat - lat.T) / 2) ** 2 + np.cos(lat) * np.cos(lat.T) * np.sin((lng - lng.T) / 2) ** 2
    km = 2 * 6371.0088 * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return np.rint(km * detour / speed_kmh * 3600).astype(np.uint32)


def travel_s(a: tuple[float, float], b: tuple[float, float], *, detour: float, speed_kmh: float) -> float:
    return float(durations_s(np.array([a, b], dtype=float), detour=detour, speed_kmh=speed_kmh)[0, 1])


# --- the problem ------------------------------------------------------------------------------------------


@dataclass
class Problem:
    """What goes to VROOM, in plain values (the unit tests read it), and how to read the answer."""

    points: np.ndarray  # (lat, lng) per matrix index
    vehicles: list[dict]  # {id, courier_id, start, capacity, skills, speed_factor}
    shipments: list[dict]  # {order_id, pickup: {id, location, window}, dropoff: {...}, skills}
    jobs: list[dict]  # {order_id, id, location, window, skills} (orders on board)
    order_of_task: dict[int, tuple[str, str]] = field(default_factory=dict)  # task id -> (order, stop)


def _seconds(at: datetime, now: datetime) -> int:
    return max(0, math.ceil((at - now).total_seconds()))


def build_problem(snapshot: Snapshot) -> Problem:
    """The snapshot as a VROOM problem (see the module's doc)."""
    now = snapshot.now
    points: list[tuple[float, float]] = []

    def index(point: tuple[float, float]) -> int:
        points.append(point)
        return len(points) - 1

    vehicles, courier_skill = [], {}
    starts = {c.courier_id: c.position or _first_stop(snapshot, c.courier_id) for c in snapshot.couriers}
    needed = in_reach(snapshot, starts)
    for n, courier in enumerate(snapshot.couriers):
        start = starts[courier.courier_id]
        if courier.courier_id not in needed:
            continue  # takes no new order in this plan (full, off duty, far from every new order)
        skill = 100 + n
        courier_skill[courier.courier_id] = skill
        vehicles.append(
            {
                "id": n,
                "courier_id": courier.courier_id,
                "start": index(start),
                "capacity": snapshot.capacity,
                "skills": {skill} | ({ON_DUTY_SKILL} if courier.on_duty else set()),
                "speed_factor": min(5.0, max(0.1, courier.speed_kmh / snapshot.reference_speed_kmh)),
            }
        )
    # One skill per distinct set of couriers operators allowed; those couriers have it.
    allowed_skill: dict[frozenset[str], int] = {}
    for order in snapshot.orders:
        if order.courier_id is None and order.allowed and order.allowed not in allowed_skill:
            allowed_skill[order.allowed] = 100 + len(snapshot.couriers) + len(allowed_skill)
    for vehicle in vehicles:
        vehicle["skills"] |= {s for couriers, s in allowed_skill.items() if vehicle["courier_id"] in couriers}

    problem = Problem(points=np.empty((0, 2)), vehicles=vehicles, shipments=[], jobs=[])
    task_id = itertools.count(1)
    for order in snapshot.orders:
        if order.courier_id is None and order.allowed is not None and not order.allowed:
            continue  # nobody in the plan may take it (operators' decisions): the nearest rule decides
        if order.courier_id is not None:
            if order.courier_id not in courier_skill:
                continue  # their courier is not in the plan (no position, no duty): nothing to plan
            skills = {courier_skill[order.courier_id]}
        elif order.allowed is not None:
            skills = {allowed_skill[order.allowed]}
        else:
            skills = {ON_DUTY_SKILL}
        ride = int(
            travel_s(order.pickup, order.dropoff, detour=snapshot.detour, speed_kmh=snapshot.reference_speed_kmh)
        )
        ready_s = _seconds(order.ready_at, now)
        if order.picked_up:
            job = {"order_id": order.order_id, "id": next(task_id), "location": index(order.dropoff)}
            problem.jobs.append({**job, "window": (0, HORIZON_S), "skills": skills})
            problem.order_of_task[job["id"]] = (order.order_id, "dropoff")
            continue
        earliest_drop = ready_s + STOP_SERVICE_S + ride
        promise_s = _seconds(order.promise_at, now) if order.promise_at else HORIZON_S
        by = promise_s if promise_s >= earliest_drop else earliest_drop + LATE_ALLOWANCE_S
        pickup = {"id": next(task_id), "location": index(order.pickup), "window": (ready_s, HORIZON_S)}
        dropoff = {"id": next(task_id), "location": index(order.dropoff), "window": (0, max(by, 1))}
        problem.shipments.append({"order_id": order.order_id, "pickup": pickup, "dropoff": dropoff, "skills": skills})
        problem.order_of_task[pickup["id"]] = (order.order_id, "pickup")
        problem.order_of_task[dropoff["id"]] = (order.order_id, "dropoff")
    problem.points = np.array(points, dtype=float).reshape(-1, 2)
    return problem


def in_reach(snapshot: Snapshot, starts: dict[str, tuple[float, float] | None]) -> set[str]:
    """The couriers worth planning: on duty, with a place to start from, and among the `reach`
    nearest of some new order they may take, near meaning from where they are or from one of their
    doors (a courier about to finish near a kitchen is the one to give its next order to, even while
    they carry as much as they may). The others are left out of the problem with their stops (their
    route is still worked out by deliveries/routes.py): that keeps the solve within its budget in a
    big city (bench/RESULTS.md)."""
    couriers = [c.courier_id for c in snapshot.couriers if c.on_duty and starts.get(c.courier_id) is not None]
    new = [o for o in snapshot.orders if o.courier_id is None and (o.allowed is None or o.allowed)]
    if not couriers or not new:
        return set()
    number = {courier_id: n for n, courier_id in enumerate(couriers)}
    places, owner = [starts[c] for c in couriers], list(range(len(couriers)))
    for order in snapshot.orders:
        if order.courier_id in number:
            places.append(order.dropoff)
            owner.append(number[order.courier_id])
    here = np.radians(np.array(places, dtype=float))
    there = np.radians(np.array([o.pickup for o in new], dtype=float))
    # Squared equirectangular distances (the ranking is all that is needed), then each courier's nearest.
    dx = (there[:, 1][:, None] - here[:, 1][None, :]) * np.cos((there[:, 0][:, None] + here[:, 0][None, :]) / 2)
    to_place = dx**2 + (there[:, 0][:, None] - here[:, 0][None, :]) ** 2
    far = np.full((len(new), len(couriers)), np.inf)
    np.minimum.at(far.T, np.array(owner), to_place.T)
    needed: set[str] = set()
    for row, order in zip(far, new, strict=True):
        ranked = np.argsort(row, kind="stable")
        if order.allowed is None:
            needed.update(couriers[i] for i in ranked[: snapshot.reach])
        else:
            needed.update([couriers[i] for i in ranked if couriers[i] in order.allowed][: snapshot.reach])
    return needed


def _first_stop(snapshot: Snapshot, courier_id: str) -> tuple[float, float] | None:
    """Where a courier without a known position is taken to start: their first order's next stop."""
    for order in snapshot.orders:
        if order.courier_id == courier_id:
            return order.dropoff if order.picked_up else order.pickup
    return None


def to_vroom(problem: Problem, matrix: np.ndarray):
    solver = vroom.Input()
    solver.set_durations_matrix(profile="car", matrix_input=matrix)
    for v in problem.vehicles:
        solver.add_vehicle(
            vroom.Vehicle(
                v["id"],
                start=v["start"],
                capacity=vroom.Amount([v["capacity"]]),
                skills=v["skills"],
                speed_factor=v["speed_factor"],
            )
        )
    for s in problem.shipments:
        solver.add_shipment(
            vroom.ShipmentStep(
                s["pickup"]["id"],
                location=s["pickup"]["location"],
                default_service=STOP_SERVICE_S,
                time_windows=[vroom.TimeWindow(*s["pickup"]["window"])],
            ),
            vroom.ShipmentStep(
                s["dropoff"]["id"],
                location=s["dropoff"]["location"],
                default_service=STOP_SERVICE_S,
                time_windows=[vroom.TimeWindow(*s["dropoff"]["window"])],
            ),
            amount=vroom.Amount([1]),
            skills=s["skills"],
        )
    for j in problem.jobs:
        solver.add_job(
            vroom.Job(
                j["id"],
                location=j["location"],
                default_service=STOP_SERVICE_S,
                delivery=vroom.Amount([1]),
                skills=j["skills"],
                time_windows=[vroom.TimeWindow(*j["window"])],
            )
        )
    return solver


# --- solving and reading the answer -------------------------------------------------------------------------


def solve(
    snapshot: Snapshot, *, timeout_ms: int, matrix: np.ndarray | None = None, exploration: int | None = None
) -> Plan:
    """The plan for `snapshot`: routes, what to commit now (timed dispatch), what waits. `matrix`:
    travel seconds between the problem's points at the reference speed (default: great circles);
    `exploration`: VROOM's search effort (default: by the problem's size)."""
    started, cpu = time.perf_counter(), time.process_time()
    problem = build_problem(snapshot)
    new = {o.order_id for o in snapshot.orders if o.courier_id is None}
    if not problem.vehicles or (not problem.shipments and not problem.jobs):
        return Plan(unplanned=sorted(new))
    if matrix is None:
        matrix = durations_s(problem.points, detour=snapshot.detour, speed_kmh=snapshot.reference_speed_kmh)
    if exploration is None:
        exploration = exploration_for(2 * len(problem.shipments) + len(problem.jobs))
    solution = to_vroom(problem, matrix).solve(
        exploration_level=exploration, nb_threads=1, timeout=timedelta(milliseconds=timeout_ms)
    )
    plan = read_solution(snapshot, problem, solution.routes)
    plan.solve_ms = (time.perf_counter() - started) * 1000
    plan.cpu_ms = (time.process_time() - cpu) * 1000
    return plan


def read_solution(snapshot: Snapshot, problem: Problem, routes) -> Plan:
    """VROOM's routes (a table: vehicle_id, type, arrival, duration, id, ...) as a Plan. A new order
    is committed when its courier must set off for its pickup within `commit_ahead_s`: when they
    should be there, less the leg's travel time (VROOM starts each route as late as its first window
    allows, so a courier near a kitchen that needs fifteen more minutes is not sent yet)."""
    plan = Plan()
    courier_of = {v["id"]: v["courier_id"] for v in problem.vehicles}
    new = {o.order_id for o in snapshot.orders if o.courier_id is None}
    planned: set[str] = set()
    travelled: dict[str, int] = {}  # courier -> travel seconds so far along their route
    last: dict[str, tuple[int, bool]] = {}  # courier -> (place of their last stop, whether it is committed)
    for row in routes.itertuples(index=False):
        if row.type not in ("pickup", "delivery", "job"):
            continue
        order_id, stop = problem.order_of_task[int(row.id)]
        courier_id, place = courier_of[int(row.vehicle_id)], int(row.location_index)
        lat, lng = problem.points[place]
        there_s = int(row.arrival) + int(row.waiting_time)
        plan.routes.setdefault(courier_id, []).append(
            Stop(order_id, stop, float(lat), float(lng), snapshot.now + timedelta(seconds=there_s))
        )
        committed = order_id not in new or (order_id, courier_id) in plan.commit
        if order_id in new and stop == "pickup":
            planned.add(order_id)
            sets_off_s = there_s - (int(row.duration) - travelled.get(courier_id, 0))
            # A second order at the counter the courier is already sent to goes with the first.
            same_counter = _same_place(problem, last.get(courier_id), place)
            committed = sets_off_s <= snapshot.commit_ahead_s or same_counter
            (plan.commit.append((order_id, courier_id)) if committed else plan.later.append(order_id))
        travelled[courier_id] = int(row.duration)
        last[courier_id] = (place, committed)
    plan.unplanned = sorted(new - planned)
    return plan


def _same_place(problem: Problem, last: tuple[int, bool] | None, place: int) -> bool:
    if last is None or not last[1]:
        return False
    return bool(np.allclose(problem.points[last[0]], problem.points[place], atol=1e-5))


# --- one courier's route, for what they and their customers are shown -------------------------------


@dataclass(frozen=True)
class Leg:
    """One stop still to make: the pickup of an order not picked up yet, or a drop-off."""

    order_id: str
    stop: str  # pickup | dropoff
    place: tuple[float, float] | None
    ready_at: datetime | None = None  # pickups: not before


def timeline(
    legs: Sequence[Leg], *, start: tuple[float, float] | None, at: datetime, speed_kmh: float, detour: float
) -> list[tuple[Leg, datetime]]:
    """Each stop with its time, setting off from `start` at `at` (a pickup not before its food)."""
    here, out = start, []
    for leg in legs:
        if here is not None and leg.place is not None:
            at += timedelta(seconds=travel_s(here, leg.place, detour=detour, speed_kmh=speed_kmh))
        if leg.stop == "pickup" and leg.ready_at is not None:
            at = max(at, leg.ready_at)
        out.append((leg, at))
        at += timedelta(seconds=STOP_SERVICE_S)
        here = leg.place or here
    return out


SET_OFF_MIN_WAIT_S = 60  # less waiting than this at the counters: go at once


def set_off(
    route: Sequence[tuple[Leg, datetime]],
    *,
    start: tuple[float, float] | None,
    now: datetime,
    speed_kmh: float,
    detour: float,
) -> tuple[datetime | None, list[tuple[Leg, datetime]]]:
    """When the courier should set off on `route` (from `sequence`), and its stops timed from then:
    as late as keeps every drop-off's time, the waits at the counters before the first drop-off
    spent where the courier is instead (ARCHITECTURE 4.7: the courier is assigned at once and told
    when to leave). None: at once (less than SET_OFF_MIN_WAIT_S to save), the route as it was."""
    waits, at, here = 0.0, now, start
    for leg, there in route:
        if leg.stop == "dropoff":
            break
        if here is not None and leg.place is not None:
            at += timedelta(seconds=travel_s(here, leg.place, detour=detour, speed_kmh=speed_kmh))
        waits += max(0.0, (there - at).total_seconds())
        at, here = there + timedelta(seconds=STOP_SERVICE_S), leg.place or here
    if waits < SET_OFF_MIN_WAIT_S:
        return None, list(route)
    leaving = now + timedelta(seconds=waits)
    return leaving, timeline([leg for leg, _ in route], start=start, at=leaving, speed_kmh=speed_kmh, detour=detour)


def sequence(
    *, start: tuple[float, float] | None, legs: Sequence[Leg], now: datetime, speed_kmh: float, detour: float
) -> list[tuple[Leg, datetime]]:
    """The courier's stops in the order that gets the food to the doors soonest (the sum of the
    drop-off times; every pickup before its drop-off), each with its time. Exhaustive for the few
    orders a courier carries (at most 6 orderings for two), greedy beyond three orders."""

    def timed(order: Sequence[Leg]) -> list[tuple[Leg, datetime]]:
        return timeline(order, start=start, at=now, speed_kmh=speed_kmh, detour=detour)

    to_pick = {leg.order_id for leg in legs if leg.stop == "pickup"}

    def valid(order: Sequence[Leg]) -> bool:
        picked: set[str] = set()
        for leg in order:
            if leg.stop == "pickup":
                picked.add(leg.order_id)
            elif leg.order_id in to_pick and leg.order_id not in picked:
                return False
        return True

    def cost(route: list[tuple[Leg, datetime]]) -> float:
        return sum((at - now).total_seconds() for leg, at in route if leg.stop == "dropoff")

    if len(legs) <= 6:
        candidates = [timed(p) for p in itertools.permutations(legs) if valid(p)]
        return min(candidates, key=cost) if candidates else []
    pickups = [leg for leg in legs if leg.stop == "pickup"]
    return timed(pickups + [leg for leg in legs if leg.stop == "dropoff"])
