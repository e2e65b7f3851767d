"""Order transitions under load: kitchens and couriers moving orders from accepted to delivered.

    python bench/transitions.py --gateway http://127.0.0.1:8000 [--clients 20] [--seconds 15]

Run on a platform with no orders waiting for a courier (dispatch gives the oldest waiting order
first). `clients` kitchen workers each place an order (not measured), then accept, prepare and mark it
ready; `clients` couriers, online next to the restaurant, each take whatever delivery dispatch gave
them and mark it picked up and delivered. Every transition is one timed request through the
gateway; the figures are per transition and for whole lifecycles (accept -> delivered). Prints
them and returns them as JSON on the last line. Used by `make bench` (bench/run.py).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
import uuid

import aiohttp
from placement import _call, _user, command_line, percentile, percentiles_ms, seed

KITCHEN_STEPS = ("accepted", "preparing", "ready")
COURIER_STEPS = ("picked_up", "delivered")


async def _timed(session, method: str, url: str, token: str, body: dict | None = None) -> tuple[int, float, dict]:
    started = time.perf_counter()
    async with session.request(method, url, json=body, headers={"Authorization": f"Bearer {token}"}) as response:
        text = await response.text()
        status = response.status
    return status, (time.perf_counter() - started) * 1000, (json.loads(text) if text and status < 300 else {})


async def measure(gateway: str, *, clients: int, seconds: float) -> dict:
    connector = aiohttp.TCPConnector(limit=2 * clients + 4)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30)) as session:
        owner, restaurant, customers = await seed(session, gateway, clients)

        async def courier() -> str:
            token = await _user(session, gateway, "couriers")
            await _call(session, "POST", f"{gateway}/couriers/me/location", token, {"lat": 1.0, "lng": 1.0})
            await _call(session, "PATCH", f"{gateway}/couriers/me", token, {"available": True})
            return token

        couriers = await asyncio.gather(*(courier() for _ in range(clients)))
        latencies: dict[str, list[float]] = {step: [] for step in (*KITCHEN_STEPS, *COURIER_STEPS)}
        errors: dict[str, int] = {}
        accepted_at: dict[str, float] = {}
        lifecycles: list[float] = []
        until = time.monotonic() + seconds

        def record(step: str, status: int, elapsed_ms: float) -> bool:
            if status == 200:
                latencies[step].append(elapsed_ms)
                return True
            errors[f"{step} {status}"] = errors.get(f"{step} {status}", 0) + 1
            return False

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
                    if not record(step, *(await _timed(session, "POST", url, owner, {"status": step}))[:2]):
                        break

        async def deliver(token: str) -> None:
            while time.monotonic() < until + 5:  # finish what the kitchens started
                status, _, page = await _timed(session, "GET", f"{gateway}/deliveries?status=assigned", token)
                if status != 200 or not page.get("results"):
                    if time.monotonic() >= until and not accepted_at:
                        break
                    await asyncio.sleep(0.2)  # a courier's app polling; more often only loads the platform
                    continue
                delivery = page["results"][0]
                url = f"{gateway}/deliveries/{delivery['id']}/status"
                for step in COURIER_STEPS:
                    # An order not yet ready cannot be picked up: wait for the kitchen, as a courier would.
                    while True:
                        status, elapsed_ms, _ = await _timed(session, "POST", url, token, {"status": step})
                        if status != 409 or time.monotonic() > until + 5:
                            break
                        await asyncio.sleep(0.05)
                    if not record(step, status, elapsed_ms):
                        break
                else:
                    started = accepted_at.pop(delivery["order_id"], None)
                    if started is not None:
                        lifecycles.append((time.monotonic() - started) * 1000)
            # Off duty, so that what is measured next is not served by these couriers.
            await _call(session, "PATCH", f"{gateway}/couriers/me", token, {"available": False})

        started = time.monotonic()
        await asyncio.gather(*(kitchen(t, b) for t, b in customers), *(deliver(t) for t in couriers))
        took = time.monotonic() - started
    every = sorted(ms for values in latencies.values() for ms in values)
    return {
        "clients": clients,
        "transitions": len(every),
        "transitions_per_s": round(len(every) / took, 1),
        **percentiles_ms(every),
        "per_step_p50_ms": {step: round(percentile(sorted(v), 50), 1) for step, v in latencies.items()},
        "lifecycles": len(lifecycles),
        "lifecycle_p50_ms": round(statistics.median(lifecycles), 1) if lifecycles else 0.0,
        "errors": errors,
    }


def main() -> None:
    command_line(
        __doc__,
        measure,
        lambda r: (
            f"transitions, {r['clients']} kitchens and {r['clients']} couriers: "
            f"{r['transitions_per_s']} transitions/s, p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms, "
            f"p99 {r['p99_ms']} ms; {r['lifecycles']} lifecycles, p50 {r['lifecycle_p50_ms']} ms; errors {r['errors']}"
        ),
    )


if __name__ == "__main__":
    main()
