"""Planned dispatch in the running delivery service (issue #39): how long its plans take to solve,
read from the service's own `dispatch_plan_solve_seconds` histogram, at the simulator's city sizes.

    .venv/bin/python bench/dispatch_service.py [--orders 150 --couriers 50] [--seconds 120]

Starts a platform of its own (`DISPATCH_POLICY=routes`, the default), makes RESTAURANTS kitchens
spread over a 7 x 7 km city and customers near them through the public API, puts `--couriers`
couriers on duty at places in the city (stored as bench/city_world.py stores them, tokens minted
here; they report their positions through the gateway every 30 s), then places `--orders` orders
through the gateway over `--seconds`, and waits `--settle` seconds more. The couriers do not ride:
an order stays in the plan from its placement to the end, so the last plans hold every order and
every courier with its stops at once, a harder problem than any one moment of the simulator's
30-minute city (bench/dispatch_sim.py), where couriers deliver and orders leave the plan.

Prints one JSON line (`--json FILE` writes it there too): the plans solved from the first order on, the share within 200 ms and within 1.5 s (the histogram's
buckets include both), the bucket holding the p95, the mean, the plan's commits and fallbacks.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import re
import sys
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "bench"))
import devstack  # noqa: E402
from city_clients import request, session_for  # noqa: E402
from city_world import store_couriers  # noqa: E402
from logs import logger  # noqa: E402
from placement import ADDRESS, call, new_user  # noqa: E402
from tokens import Minter  # noqa: E402

CENTRE = (52.37, 4.89)
KM_LAT, KM_LNG = 1 / 111.2, 1 / 67.8  # degrees per km near CENTRE
RESTAURANTS, CUSTOMERS = 15, 40
log = logger("dispatch-service")


def _point(rng: random.Random, centre: tuple[float, float], km: float) -> dict:
    return {
        "lat": round(centre[0] + rng.uniform(-km, km) * KM_LAT, 6),
        "lng": round(centre[1] + rng.uniform(-km, km) * KM_LNG, 6),
    }


def metrics(stack) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{stack.ports['delivery']}/metrics", timeout=10) as response:
        return response.read().decode()


def histogram(text: str) -> dict:
    """The solve histogram's cumulative buckets, count and sum, and the plan's counters, as the
    service's Prometheus text has them."""
    buckets = {
        float(le): float(count)
        for le, count in re.findall(r'^dispatch_plan_solve_seconds_bucket\{le="([^"+]+)"\} (\S+)$', text, re.M)
    }
    commits = re.search(r"^dispatch_plan_commits_total (\S+)$", text, re.M)
    fallbacks = re.findall(r'^dispatch_plan_fallbacks_total\{reason="([^"]+)"\} (\S+)$', text, re.M)
    return {
        "buckets": buckets,
        "count": float(re.search(r"^dispatch_plan_solve_seconds_count (\S+)$", text, re.M).group(1)),
        "sum": float(re.search(r"^dispatch_plan_solve_seconds_sum (\S+)$", text, re.M).group(1)),
        "commits": int(float(commits.group(1))) if commits else 0,
        "fallbacks": {reason: int(float(n)) for reason, n in fallbacks},
    }


def solve_times(before: dict, after: dict) -> dict:
    """The plans solved between two readings: how many, the share within 200 ms and within 1.5 s,
    the smallest bucket bound the p95 is within, the mean."""
    total = after["count"] - before["count"]
    buckets = {le: count - before["buckets"].get(le, 0) for le, count in after["buckets"].items()}
    p95_within = next((le for le, count in sorted(buckets.items()) if total and count >= 0.95 * total), None)
    return {
        "plans": int(total),
        "mean_ms": round((after["sum"] - before["sum"]) / total * 1000, 1) if total else None,
        "share_within_200_ms": round(buckets.get(0.2, 0) / total, 3) if total else None,
        "share_within_1500_ms": round(buckets.get(1.5, 0) / total, 3) if total else None,
        "p95_at_most_ms": None if p95_within is None else round(p95_within * 1000),
        "commits": after["commits"] - before["commits"],
        "fallbacks": {
            reason: n - before["fallbacks"].get(reason, 0)
            for reason, n in after["fallbacks"].items()
            if n > before["fallbacks"].get(reason, 0)
        },
    }


async def build_city(session, gateway: str, rng: random.Random) -> tuple[list[dict], list[tuple[str, str]]]:
    """Kitchens over the city, each with a dish; customers with an address near one of them."""
    kitchens = []
    for n in range(RESTAURANTS):
        owner = await new_user(session, gateway, "restaurants")
        place = _point(rng, CENTRE, 3.0)
        restaurant = await call(
            session,
            "POST",
            f"{gateway}/restaurants",
            owner,
            {"name": f"Plan Kitchen {n}", "cuisine": "bench", "address": {**ADDRESS, **place}},
        )
        item = await call(
            session,
            "POST",
            f"{gateway}/restaurants/{restaurant['id']}/menu/items",
            owner,
            {"name": "Dish", "price_cents": 1200},
        )
        kitchens.append({"id": restaurant["id"], "item": item["id"], "place": place, "owner": owner})
    customers = []
    for _ in range(CUSTOMERS):
        token = await new_user(session, gateway, "customers")
        near = rng.choice(kitchens)["place"]
        address = await call(
            session,
            "POST",
            f"{gateway}/customers/me/addresses",
            token,
            {**ADDRESS, **_point(rng, (near["lat"], near["lng"]), 2.0)},
        )
        customers.append((token, address["id"]))
    return kitchens, customers


async def report_positions(session, gateway: str, couriers: list[tuple[str, dict]], stop: asyncio.Event) -> None:
    while not stop.is_set():
        for token, place in couriers:
            await request(session, "POST", f"{gateway}/couriers/me/location", token, place)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=30)


async def ride(session, gateway: str, token: str, placed: dict, args, stop: asyncio.Event) -> int:
    """One courier following their route as the plan orders it, on a clock `args.stop_s` per stop: at
    a pickup, once the food has had `args.prep_s` since the order, its kitchen marks it ready and the
    courier picks it up; at a drop-off, delivered. Answers the drop-offs made."""
    dropped = 0
    while not stop.is_set():
        status, text = await request(session, "GET", f"{gateway}/couriers/me", token)
        route = json.loads(text).get("route") or [] if status == 200 else []
        if not route:
            await asyncio.sleep(2)
            continue
        first = route[0]
        order = placed.get(first["order_id"])
        if first["stop"] == "pickup":
            if order is None or time.monotonic() - order["at"] < args.prep_s:
                await asyncio.sleep(2)
                continue
            for step in ("accepted", "preparing", "ready"):
                await request(
                    session,
                    "POST",
                    f"{gateway}/restaurants/{order['kitchen']['id']}/orders/{first['order_id']}/status",
                    order["kitchen"]["owner"],
                    {"status": step},
                )
            next_status = "picked_up"
        else:
            next_status = "delivered"
        await asyncio.sleep(args.stop_s)  # riding to the stop
        status, _ = await request(
            session, "POST", f"{gateway}/deliveries/{first['delivery_id']}/status", token, {"status": next_status}
        )
        dropped += status == 200 and next_status == "delivered"
    return dropped


async def run(stack, args) -> dict:
    rng = random.Random(args.seed)  # noqa: S311 (a seeded benchmark, not secrets)
    gateway = stack.gateway_url
    async with session_for(0) as session:
        log(f"{RESTAURANTS} kitchens and {CUSTOMERS} customers")
        kitchens, customers = await build_city(session, gateway, rng)
        minter = Minter(stack.data_dir / "secrets" / "jwt-private.pem", customers[0][0])
        couriers = [
            (minter.token(courier_id, "courier"), _point(rng, CENTRE, 3.5))
            for courier_id in store_couriers(stack, args.couriers, available=False)
        ]
        log(f"{args.couriers} couriers going on duty")
        for token, place in couriers:
            await call(session, "POST", f"{gateway}/couriers/me/location", token, place)
            await call(session, "PATCH", f"{gateway}/couriers/me", token, {"available": True})
        before = histogram(metrics(stack))
        stop = asyncio.Event()
        positions = asyncio.create_task(report_positions(session, gateway, couriers, stop))
        placed: dict[str, dict] = {}
        riders = [asyncio.create_task(ride(session, gateway, token, placed, args, stop)) for token, _ in couriers]
        log(f"{args.orders} orders over {args.seconds}s")
        started = time.monotonic()
        statuses: dict[int, int] = {}
        for n in range(args.orders):
            await asyncio.sleep(max(0.0, started + n * args.seconds / args.orders - time.monotonic()))
            token, address_id = rng.choice(customers)
            kitchen = rng.choice(kitchens)
            status, text = await request(
                session,
                "POST",
                f"{gateway}/customers/me/orders",
                token,
                {
                    "restaurant_id": kitchen["id"],
                    "address_id": address_id,
                    "items": [{"menu_item_id": kitchen["item"], "quantity": 1}],
                },
                {"Idempotency-Key": uuid.uuid4().hex},
            )
            statuses[status] = statuses.get(status, 0) + 1
            if status == 201:
                placed[json.loads(text)["id"]] = {"at": time.monotonic(), "kitchen": kitchen}
        log(f"settling for {args.settle}s")
        await asyncio.sleep(args.settle)
        stop.set()
        await positions
        delivered = sum(await asyncio.gather(*riders))
        after = histogram(metrics(stack))
    return {
        "orders": args.orders,
        "couriers": args.couriers,
        "seconds": args.seconds,
        "placed": statuses,
        "delivered": delivered,
        "solves": solve_times(before, after),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=150)
    parser.add_argument("--couriers", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=120.0, help="placing the orders takes this long")
    parser.add_argument("--settle", type=float, default=45.0, help="plans measured this long after the last order")
    parser.add_argument("--prep-s", type=float, default=30.0, help="an order is ready this long after it is placed")
    parser.add_argument("--stop-s", type=float, default=20.0, help="a courier takes this long from stop to stop")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    with devstack.Stack.benchmarked("dispatch-service") as stack:
        results = asyncio.run(run(stack, args))
    print(json.dumps(results))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
