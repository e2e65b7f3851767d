"""Order placement under load: N concurrent customers placing orders through the gateway.

    python bench/placement.py --gateway http://127.0.0.1:8000 [--clients 20] [--seconds 15]

Each client is one customer of its own (as in real life: placement rate limits and idempotency
keys are per customer), ordering from one restaurant with a unique Idempotency-Key per order.
Prints throughput and latency percentiles and returns them as JSON on the last line. Used by
`make bench` (bench/run.py) and runnable against any running platform (before/after figures).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid

import aiohttp

PASSWORD = "correct horse battery"
ADDRESS = {"label": "Home", "line1": "2 C", "city": "B", "postcode": "2", "lat": 1.0, "lng": 1.0}


async def call(session, method: str, url: str, token: str | None = None, body: dict | None = None, headers=None):
    """One call of the platform's API while setting up a measurement: its JSON answer; anything but
    success ends the run with what was answered."""
    all_headers = {**(headers or {}), **({"Authorization": f"Bearer {token}"} if token else {})}
    async with session.request(method, url, json=body, headers=all_headers) as response:
        text = await response.text()
        if response.status >= 400:
            raise SystemExit(f"{method} {url}: {response.status} {text}")
        return json.loads(text) if text else {}


async def new_user(session, gateway: str, kind: str) -> str:
    """Registers a user of `kind` (customers, restaurants, couriers) and returns their access token."""
    email = f"bench-{uuid.uuid4().hex[:10]}@example.com"
    await call(session, "POST", f"{gateway}/{kind}/register", body={"email": email, "password": PASSWORD, "name": "B"})
    login = await call(session, "POST", f"{gateway}/{kind}/login", body={"email": email, "password": PASSWORD})
    return login["access"]


async def seed(session, gateway: str, clients: int) -> tuple[str, dict, list[tuple[str, dict]]]:
    """A restaurant with a menu, and `clients` customers with an address each: (the owner's token,
    the restaurant, [(customer's token, order body)]). Used by both load clients."""
    owner = await new_user(session, gateway, "restaurants")
    restaurant = await call(
        session,
        "POST",
        f"{gateway}/restaurants",
        owner,
        {"name": "Bench Bistro", "cuisine": "bench", "address": ADDRESS},
    )
    items = [
        await call(
            session,
            "POST",
            f"{gateway}/restaurants/{restaurant['id']}/menu/items",
            owner,
            {"name": f"Dish {n}", "description": "x" * 80, "price_cents": 1000 + n},
        )
        for n in range(3)
    ]

    async def customer() -> tuple[str, dict]:
        token = await new_user(session, gateway, "customers")
        address = await call(session, "POST", f"{gateway}/customers/me/addresses", token, ADDRESS)
        body = {
            "restaurant_id": restaurant["id"],
            "address_id": address["id"],
            "items": [{"menu_item_id": items[0]["id"], "quantity": 2}, {"menu_item_id": items[1]["id"], "quantity": 1}],
        }
        return token, body

    return owner, restaurant, await asyncio.gather(*(customer() for _ in range(clients)))


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, round(p / 100 * (len(sorted_values) - 1)))]


def percentiles_ms(sorted_values: list[float]) -> dict[str, float]:
    """p50, p95 and p99 of sorted latencies in ms, as the benchmarks report them."""
    return {f"p{p}_ms": round(percentile(sorted_values, p), 1) for p in (50, 95, 99)}


async def measure(gateway: str, *, clients: int, seconds: float, warmup_s: float = 2.0, probe=None) -> dict:
    """`probe`, when given, is called as measuring starts and as it ends (say, to read CPU counters);
    its two answers are returned under "probe"."""
    connector = aiohttp.TCPConnector(limit=clients + 4)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        _, _, customers = await seed(session, gateway, clients)
        latencies: list[float] = []
        errors: dict[str, int] = {}
        measuring = False

        async def place(token: str, body: dict, until: float) -> None:
            while time.monotonic() < until:
                started = time.perf_counter()
                headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex}
                try:
                    async with session.post(f"{gateway}/customers/me/orders", json=body, headers=headers) as response:
                        await response.read()
                        status = response.status
                except (aiohttp.ClientError, TimeoutError) as exc:
                    status = type(exc).__name__
                elapsed_ms = (time.perf_counter() - started) * 1000
                if not measuring:
                    continue
                if status == 201:
                    latencies.append(elapsed_ms)
                else:
                    errors[str(status)] = errors.get(str(status), 0) + 1

        until = time.monotonic() + warmup_s
        await asyncio.gather(*(place(t, b, until) for t, b in customers))
        measuring = True
        probed = [probe() if probe else None]
        started = time.monotonic()
        until = started + seconds
        await asyncio.gather(*(place(t, b, until) for t, b in customers))
        took = time.monotonic() - started
        probed.append(probe() if probe else None)
    latencies.sort()
    return {
        "clients": clients,
        "orders": len(latencies),
        "orders_per_s": round(len(latencies) / took, 1),
        **percentiles_ms(latencies),
        "mean_ms": round(statistics.fmean(latencies), 1) if latencies else 0.0,
        "errors": errors,
        **({"probe": probed} if probe else {}),
    }


def store_orders(mongo_url: str, database: str, *, count: int, batch: int = 2000) -> None:
    """Puts `count` finished orders straight into the order service's database, shaped as it stores
    them (history, prices, a delivered status), spread over many customers and restaurants: the
    benchmark's fixture for "placement after 50,000 stored orders", not a path any client takes."""
    from datetime import UTC, datetime, timedelta

    from bson import ObjectId
    from pymongo import MongoClient

    client = MongoClient(mongo_url)
    orders = client[database]["orders"]
    start = datetime.now(UTC) - timedelta(days=30)
    for first in range(0, count, batch):
        documents = []
        for n in range(first, min(count, first + batch)):
            at = start + timedelta(seconds=n * 50)
            documents.append(
                {
                    "customer_id": f"{n % 5000:024x}",
                    "restaurant_id": f"{n % 300:024x}",
                    "restaurant_owner_id": f"{n % 300 + 10**6:024x}",
                    "items": [
                        {"menu_item_id": str(ObjectId()), "name": "Dish", "unit_price_cents": 1000, "quantity": 1}
                    ],
                    "total_cents": 1000,
                    "delivery_address": {
                        "label": "Home",
                        "line1": "1 A",
                        "city": "B",
                        "postcode": "1",
                        "lat": 1.0,
                        "lng": 1.0,
                    },
                    "status": "delivered",
                    "dispatch": "closed",
                    "courier_id": f"{n % 700 + 10**7:024x}",
                    "delivery_id": str(ObjectId()),
                    "history": [{"status": "placed", "at": at, "actor_type": "customer", "actor_id": "x"}],
                    "idempotency_key": f"stored-{n}",
                    "request_hash": "x",
                    "created_at": at,
                    "updated_at": at,
                }
            )
        orders.insert_many(documents, ordered=False)
    client.close()


def command_line(doc: str, measure, summary) -> None:
    """The command line of the load clients (this one and bench/transitions.py): `--gateway`,
    `--clients`, `--seconds`; prints the summary line, then the figures as JSON on the last line."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gateway", default="http://127.0.0.1:8000")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=15)
    args = parser.parse_args()
    result = asyncio.run(measure(args.gateway.rstrip("/"), clients=args.clients, seconds=args.seconds))
    print(summary(result))
    print(json.dumps(result))


def main() -> None:
    command_line(
        __doc__,
        measure,
        lambda r: (
            f"placement, {r['clients']} clients: {r['orders_per_s']} orders/s, "
            f"p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms, p99 {r['p99_ms']} ms, errors {r['errors']}"
        ),
    )


if __name__ == "__main__":
    main()
