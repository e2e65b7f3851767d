"""Order transitions under load: kitchens and couriers moving orders from accepted to delivered.

    python bench/transitions.py --gateway http://127.0.0.1:8000 [--clients 20] [--seconds 15]

Run on a platform with no orders waiting for a courier (dispatch gives the oldest waiting order
first). `clients` kitchen workers each place an order (not measured), then accept, prepare and mark it
ready once the kitchen's board (`/restaurants/{id}/orders/events`) shows the order has its courier,
as a kitchen times the food to the courier; `clients` couriers, online next to the restaurant, follow
their task feed (`/couriers/me/events`, never polling): told of a delivery, they wait for the feed to
say the food is ready, then mark it picked up and delivered. Every transition is one timed request through the
gateway; the figures are per transition, for whole lifecycles (accept -> delivered), and how long a
courier waits until the feed tells them of the assignment (from the delivery's creation) and that
the food is ready (from the kitchen's "ready"). Prints them and returns them as JSON on the last
line. Used by `make bench` (bench/run.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import statistics
import time
import uuid
from datetime import datetime

import aiohttp
from placement import call, command_line, new_user, percentile, percentiles_ms, seed
from sse import events

KITCHEN_STEPS = ("accepted", "preparing", "ready")
COURIER_STEPS = ("picked_up", "delivered")


async def _timed(session, method: str, url: str, token: str, body: dict | None = None) -> tuple[int, float, dict]:
    """(status, ms, the JSON answer); for an error, the answer is the contract's error body."""
    started = time.perf_counter()
    async with session.request(method, url, json=body, headers={"Authorization": f"Bearer {token}"}) as response:
        text = await response.text()
        status = response.status
    return status, (time.perf_counter() - started) * 1000, (json.loads(text) if text else {})


STREAM_TIMEOUT = aiohttp.ClientTimeout(total=None, sock_read=None)


async def measure(gateway: str, *, clients: int, seconds: float) -> dict:
    connector = aiohttp.TCPConnector(limit=3 * clients + 8)  # a feed per courier and the board, and requests
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30)) as session:
        owner, restaurant, customers = await seed(session, gateway, clients)

        async def courier() -> str:
            token = await new_user(session, gateway, "couriers")
            await call(session, "POST", f"{gateway}/couriers/me/location", token, {"lat": 1.0, "lng": 1.0})
            await call(session, "PATCH", f"{gateway}/couriers/me", token, {"available": True})
            return token

        couriers = await asyncio.gather(*(courier() for _ in range(clients)))
        latencies: dict[str, list[float]] = {step: [] for step in (*KITCHEN_STEPS, *COURIER_STEPS)}
        errors: dict[str, int] = {}
        accepted_at: dict[str, float] = {}
        lifecycles: list[float] = []
        until = time.monotonic() + seconds

        def record(step: str, status: int, elapsed_ms: float, answer: dict) -> bool:
            if status == 200:
                latencies[step].append(elapsed_ms)
                return True
            error = f"{step} {status} {answer.get('error', {}).get('code', '')}".strip()
            errors[error] = errors.get(error, 0) + 1
            return False

        has_courier: dict[str, asyncio.Event] = {}

        async def board() -> None:
            """The kitchen's tablet: which orders have their courier, as the board says."""
            url = f"{gateway}/restaurants/{restaurant['id']}/orders/events"
            headers = {"Authorization": f"Bearer {owner}"}
            async with session.get(url, headers=headers, timeout=STREAM_TIMEOUT) as stream:
                async for event in events(stream):
                    orders = event["data"]["orders"] if event["event"] == "snapshot" else [event["data"]]
                    for order in orders:
                        if order["courier_id"]:
                            has_courier.setdefault(order["id"], asyncio.Event()).set()

        ready_at: dict[str, float] = {}  # order id -> when the kitchen's "ready" was recorded (epoch s)
        told_assigned: list[float] = []
        told_ready: list[float] = []

        async def kitchen(token: str, body: dict) -> None:
            while time.monotonic() < until:
                headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex}
                async with session.post(f"{gateway}/customers/me/orders", json=body, headers=headers) as response:
                    order = await response.json()
                if response.status != 201:
                    errors[f"place {response.status}"] = errors.get(f"place {response.status}", 0) + 1
                    continue
                accepted_at[order["id"]] = time.monotonic()
                url = f"{gateway}/restaurants/{restaurant['id']}/orders/{order['id']}/status"
                for step in KITCHEN_STEPS:
                    if step == "ready":
                        courier_known = has_courier.setdefault(order["id"], asyncio.Event())
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(courier_known.wait(), max(0.1, until + 5 - time.monotonic()))
                    status, elapsed_ms, moved = await _timed(session, "POST", url, owner, {"status": step})
                    if not record(step, status, elapsed_ms, moved):
                        break
                    if step == "ready":
                        ready_at[order["id"]] = _epoch(moved["history"][-1]["at"])

        async def deliver(token: str) -> None:
            """A courier's phone: the feed says what to do; nothing is asked again. A reader notes when
            each event arrives, while the courier acts on them one after the other."""
            headers = {"Authorization": f"Bearer {token}"}
            async with session.get(f"{gateway}/couriers/me/events", headers=headers, timeout=STREAM_TIMEOUT) as feed:
                arrived: asyncio.Queue = asyncio.Queue()

                async def read() -> None:
                    async for event in events(feed):
                        arrived.put_nowait((time.time(), event))

                reader = asyncio.create_task(read())
                told_at: dict[str, float] = {}  # delivery id -> when the feed first showed it
                while True:
                    remaining = until + 5 - time.monotonic()
                    if remaining <= 0 or (time.monotonic() >= until and not accepted_at):
                        break
                    try:
                        received, event = await asyncio.wait_for(arrived.get(), remaining)
                    except TimeoutError:
                        break
                    delivery = event["data"].get("delivery") if event["event"] == "snapshot" else event["data"]
                    if not delivery or delivery["status"] != "assigned":
                        continue
                    if delivery["id"] not in told_at and event["event"] == "delivery":
                        told_assigned.append((received - _epoch(delivery["created_at"])) * 1000)
                    told_at.setdefault(delivery["id"], received)
                    if delivery["order_status"] != "ready":
                        continue
                    # Only food that became ready while the courier knew of the delivery: an order
                    # ready before its courier was chosen measures dispatch, not the feed.
                    ready = ready_at.pop(delivery["order_id"], None)
                    if ready is not None and ready > told_at[delivery["id"]]:
                        told_ready.append((received - ready) * 1000)
                    url = f"{gateway}/deliveries/{delivery['id']}/status"
                    for step in COURIER_STEPS:
                        if not record(step, *(await _timed(session, "POST", url, token, {"status": step}))):
                            break
                    else:
                        started = accepted_at.pop(delivery["order_id"], None)
                        if started is not None:
                            lifecycles.append((time.monotonic() - started) * 1000)
                reader.cancel()
            # Off duty, so that what is measured next is not served by these couriers.
            await call(session, "PATCH", f"{gateway}/couriers/me", token, {"available": False})

        tablet = asyncio.create_task(board())
        started = time.monotonic()
        await asyncio.gather(*(kitchen(t, b) for t, b in customers), *(deliver(t) for t in couriers))
        took = time.monotonic() - started
        tablet.cancel()
    every = sorted(ms for values in latencies.values() for ms in values)
    return {
        "clients": clients,
        "transitions": len(every),
        "transitions_per_s": round(len(every) / took, 1),
        **percentiles_ms(every),
        "per_step_p50_ms": {step: round(percentile(sorted(v), 50), 1) for step, v in latencies.items()},
        "lifecycles": len(lifecycles),
        "lifecycle_p50_ms": round(statistics.median(lifecycles), 1) if lifecycles else 0.0,
        "courier_told_assigned_ms": percentiles_ms(sorted(told_assigned)),
        "courier_told_ready_ms": percentiles_ms(sorted(told_ready)),
        "errors": errors,
    }


def _epoch(timestamp: str) -> float:
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()


def main() -> None:
    command_line(
        __doc__,
        measure,
        lambda r: (
            f"transitions, {r['clients']} kitchens and {r['clients']} couriers: "
            f"{r['transitions_per_s']} transitions/s, p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms, "
            f"p99 {r['p99_ms']} ms; {r['lifecycles']} lifecycles, p50 {r['lifecycle_p50_ms']} ms; "
            f"courier told of the assignment p50 {r['courier_told_assigned_ms']['p50_ms']} ms, "
            f"p99 {r['courier_told_assigned_ms']['p99_ms']} ms, that it is ready p50 "
            f"{r['courier_told_ready_ms']['p50_ms']} ms, p99 {r['courier_told_ready_ms']['p99_ms']} ms; errors {r['errors']}"
        ),
    )


if __name__ == "__main__":
    main()
