"""Dispatch on a simulated city: `nearest` (ARCHITECTURE 4.3) against `routes` (4.7), in one run.

The planning code is production's own (delivery_service/deliveries/planning.py: the problem built
for VROOM, the solve, timed dispatch, a courier's route), driven by a simulated clock: a seeded
city of 7 x 7 km with kitchens whose preparation times vary, orders arriving over 30 minutes,
couriers on bicycles moving along their routes (great-circle distance x ROUTING_DETOUR_FACTOR at
15 km/h, a minute at each stop). The nearest rule here is 4.3's (the oldest waiting order to the
nearest free courier, one order each, at once), as dispatch.assign applies it without the I/O.

    .venv/bin/python bench/dispatch_sim.py [--orders 150 --couriers 50] [--seed 7] [--json out.json]

Prints, per policy: courier-minutes per order (from a courier's assignment to their last drop-off
of that trip), p90 lateness against the promise, mean wait at the counter, solve time p95, orders
delivered. Figures go to bench/RESULTS.md (with the machine's load: timings are noisy).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "delivery_service"))

from deliveries import planning  # production's planning code, not a copy

START = datetime(2026, 12, 5, 18, 0, tzinfo=UTC)
CENTRE = (52.37, 4.89)
KM_LAT, KM_LNG = 1 / 111.2, 1 / 67.8  # degrees per km near CENTRE
SPEED_KMH, DETOUR, STEP_S, SERVICE_S = 15.0, 1.3, 15, planning.STOP_SERVICE_S


@dataclass
class Order:
    id: str
    kitchen: tuple[float, float]
    door: tuple[float, float]
    placed: datetime
    ready: datetime  # when the food is ready (the kitchen's truth)
    promise: datetime
    estimate: datetime  # when the platform expects it (estimated_ready_at: the kitchen's usual time)
    courier: str | None = None
    assigned: datetime | None = None
    picked: datetime | None = None
    delivered: datetime | None = None
    counter_wait_s: float = 0.0


@dataclass
class Courier:
    id: str
    at: tuple[float, float]
    orders: list[str] = field(default_factory=list)  # committed, not delivered
    leg: tuple[str, str, float] | None = None  # (order, stop, seconds left to reach it)
    follows_set_off: bool = False  # waits for the route's set-off time (the courier app's depart_at)
    busy_s: float = 0.0


def _point(rng, centre, km):
    return (centre[0] + rng.uniform(-km, km) * KM_LAT, centre[1] + rng.uniform(-km, km) * KM_LNG)


def city(seed: int, n_orders: int, n_couriers: int, minutes: int = 30):
    rng = random.Random(seed)  # noqa: S311 (a seeded simulation, not secrets)
    kitchens = [(_point(rng, CENTRE, 3.0), rng.choice([8, 10, 12, 15, 20, 25])) for _ in range(max(5, n_orders // 10))]
    orders = []
    for n in range(n_orders):
        (kitchen, prep) = rng.choice(kitchens)
        placed = START + timedelta(seconds=rng.uniform(0, minutes * 60))
        door = _point(rng, kitchen, 2.0)
        ride = planning.travel_s(kitchen, door, detour=DETOUR, speed_kmh=SPEED_KMH)
        ready = placed + timedelta(minutes=prep * rng.uniform(0.8, 1.2))
        promise = placed + timedelta(minutes=prep, seconds=ride + 10 * 60)
        orders.append(Order(f"o{n}", kitchen, door, placed, ready, promise, placed + timedelta(minutes=prep)))
    couriers = [Courier(f"c{n}", _point(rng, CENTRE, 3.5)) for n in range(n_couriers)]
    return sorted(orders, key=lambda o: o.placed), couriers


def _known_ready(order: Order, now: datetime) -> datetime:
    """What the platform knows of the food: ready once it is (the kitchen says so), else its estimate."""
    return now if now >= order.ready else order.estimate


def _travel(a, b) -> float:
    return planning.travel_s(a, b, detour=DETOUR, speed_kmh=SPEED_KMH)


def nearest(now, waiting: list[Order], couriers: list[Courier], capacity: int) -> None:
    for order in waiting:  # oldest first
        free = [c for c in couriers if not c.orders]
        if not free:
            return
        courier = min(free, key=lambda c: _travel(c.at, order.kitchen))
        _assign(order, courier, now)


def routes(
    now,
    waiting,
    couriers,
    orders_by_id,
    capacity,
    ahead_s,
    solve_ms: list[float],
    solve_cpu_ms: list[float],
    tuning: dict,
) -> None:
    snapshot_orders = [
        planning.OrderToPlan(o.id, o.kitchen, o.door, ready_at=_known_ready(o, now), promise_at=o.promise)
        for o in waiting
    ]
    for courier in couriers:
        for oid in courier.orders:
            o = orders_by_id[oid]
            snapshot_orders.append(
                planning.OrderToPlan(
                    o.id,
                    o.kitchen,
                    o.door,
                    ready_at=_known_ready(o, now),
                    courier_id=courier.id,
                    picked_up=o.picked is not None,
                )
            )
    snapshot = planning.Snapshot(
        now=now,
        orders=snapshot_orders,
        couriers=[planning.CourierToPlan(c.id, c.at, SPEED_KMH) for c in couriers],
        capacity=capacity,
        detour=DETOUR,
        reference_speed_kmh=SPEED_KMH,
        commit_ahead_s=ahead_s,
        reach=tuning.get("reach", planning.Snapshot.reach),
    )
    plan = planning.solve(snapshot, timeout_ms=1000, exploration=tuning.get("exploration"))
    solve_ms.append(plan.solve_ms)
    solve_cpu_ms.append(plan.cpu_ms)
    by_id = {c.id: c for c in couriers}
    for order_id, courier_id in plan.commit:
        courier = by_id[courier_id]
        if len(courier.orders) < capacity:
            _assign(orders_by_id[order_id], courier, now)
    # What no courier in the plan can take goes by the nearest rule (as deliveries/planner.py does).
    nearest(now, [orders_by_id[o] for o in plan.unplanned], couriers, 1)


def _assign(order: Order, courier: Courier, now) -> None:
    order.courier, order.assigned = courier.id, now
    courier.orders.append(order.id)


def _next_leg(courier: Courier, orders_by_id, now) -> tuple[tuple[str, str, float] | None, datetime | None]:
    """The courier's next stop as production's route has it (`sequence`), and when to set off for it
    (`set_off`, the route's depart_at; None: now)."""
    legs = []
    for oid in courier.orders:
        o = orders_by_id[oid]
        if o.picked is None:
            legs.append(planning.Leg(oid, "pickup", o.kitchen, _known_ready(o, now)))
        legs.append(planning.Leg(oid, "dropoff", o.door))
    route = planning.sequence(start=courier.at, legs=legs, now=now, speed_kmh=SPEED_KMH, detour=DETOUR)
    if not route:
        return None, None
    leaving, route = planning.set_off(route, start=courier.at, now=now, speed_kmh=SPEED_KMH, detour=DETOUR)
    leg = route[0][0]
    return (leg.order_id, leg.stop, _travel(courier.at, leg.place)), leaving


def move(courier: Courier, orders_by_id, now, dt: float) -> None:
    """The courier's next `dt` seconds along their route (production's `sequence` orders the stops; a
    courier who follows the set-off time stays where they are until then)."""
    while dt > 0 and courier.orders:
        if courier.leg is None:
            courier.leg, leaving = _next_leg(courier, orders_by_id, now)
            if courier.follows_set_off and leaving is not None and leaving > now:
                wait_s = (leaving - now).total_seconds()
                if wait_s >= dt:
                    courier.leg = None  # the route is read again at the next step (it may have grown)
                    return
                dt -= wait_s
                now = leaving
        oid, stop, left = courier.leg
        order = orders_by_id[oid]
        if left > dt:
            courier.leg = (oid, stop, left - dt)
            return
        dt -= left
        now += timedelta(seconds=left)
        courier.at = order.kitchen if stop == "pickup" else order.door
        if stop == "pickup":
            if now < order.ready:  # at the counter before the food
                wait = min(dt, (order.ready - now).total_seconds())
                order.counter_wait_s += wait
                courier.leg = (oid, stop, 0.0)
                if wait < (order.ready - now).total_seconds():
                    return
                dt -= wait
                now += timedelta(seconds=wait)
            order.picked = now
        else:
            order.delivered = now
            courier.orders.remove(oid)
        dt -= SERVICE_S
        courier.leg = None


def run(
    policy: str,
    seed: int,
    n_orders: int,
    n_couriers: int,
    ahead_s: float,
    capacity: int = 2,
    set_off: bool = False,
    **tuning,
) -> dict:
    orders, couriers = city(seed, n_orders, n_couriers)
    for courier in couriers:
        courier.follows_set_off = set_off
    by_id = {o.id: o for o in orders}
    solve_ms: list[float] = []
    solve_cpu_ms: list[float] = []
    now, end = START, START + timedelta(hours=3)
    while now < end and any(o.delivered is None for o in orders):
        waiting = [o for o in orders if o.placed <= now and o.courier is None]
        if waiting or policy == "routes":
            if policy == "nearest":
                nearest(now, waiting, couriers, 1)
            elif waiting:
                routes(now, waiting, couriers, by_id, capacity, ahead_s, solve_ms, solve_cpu_ms, tuning)
        for courier in couriers:
            if courier.orders:
                courier.busy_s += STEP_S
            move(courier, by_id, now, STEP_S)
        now += timedelta(seconds=STEP_S)
    delivered = [o for o in orders if o.delivered]
    lateness = sorted((o.delivered - o.promise).total_seconds() / 60 for o in delivered)
    return {
        "policy": (policy if policy == "nearest" else f"routes (ahead {ahead_s:.0f} s)")
        + (", set-off" if set_off else ""),
        "orders": n_orders,
        "couriers": n_couriers,
        "delivered": len(delivered),
        "courier_min_per_order": round(sum(c.busy_s for c in couriers) / 60 / max(1, len(delivered)), 2),
        "p90_lateness_min": round(lateness[int(0.9 * (len(lateness) - 1))], 2) if lateness else None,
        "counter_wait_min": round(statistics.mean(o.counter_wait_s for o in delivered) / 60, 2) if delivered else None,
        "solve_ms_p95": _p95(solve_ms),
        "solve_cpu_ms_p95": _p95(solve_cpu_ms),
        "plans": len(solve_ms),
    }


def _p95(values: list[float]) -> float | None:
    return round(sorted(values)[int(0.95 * (len(values) - 1))], 1) if values else None


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, nargs="*", default=[150, 300])
    parser.add_argument("--couriers", type=int, nargs="*", default=[50, 100])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--ahead", type=float, nargs="*", default=[1200.0, 15.0], help="DISPATCH_COMMIT_AHEAD_S values")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    results = []
    for n_orders, n_couriers in zip(args.orders, args.couriers, strict=True):
        for set_off in (False, True):  # couriers leaving at once; following the route's depart_at
            results.append(run("nearest", args.seed, n_orders, n_couriers, 0, set_off=set_off))
            for ahead in args.ahead:
                if not (set_off and ahead <= STEP_S):  # strictly timed: nothing to wait for
                    results.append(run("routes", args.seed, n_orders, n_couriers, ahead, set_off=set_off))
    header = list(results[0])
    print(" | ".join(header))
    for row in results:
        print(" | ".join(str(row[k]) for k in header))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()
