"""Live tracking as `make bench` measures it: one customer's `streams` order streams open through the
gateway at once, then one final transition per order; the delay from each transition (its `at`) to
its event arriving at every client, and the memory each open stream costs the gateway and the order
service (resident set growth). bench/city.py measures streams at scale, with thousands of users."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

from logs import logger
from procfs import rss_kib

ORDERS = 50
log = logger("bench")


async def measure_streams(gateway: str, world: dict, pids: dict[str, int], *, streams: int) -> dict:
    import httpx

    customer, owner = world["customer"]["access"], world["owner"]["access"]
    restaurant_id = world["restaurant"]["id"]
    limits = httpx.Limits(max_connections=streams + 100, max_keepalive_connections=100)
    async with httpx.AsyncClient(base_url=gateway, limits=limits, timeout=httpx.Timeout(60, connect=30)) as client:
        orders = []
        for n in range(ORDERS):
            response = await client.post(
                "/customers/me/orders",
                json=world["order_body"],
                headers={"Authorization": f"Bearer {customer}", "Idempotency-Key": f"stream-{uuid.uuid4().hex}-{n}"},
            )
            orders.append(response.json()["id"])
        memory_before = {name: rss_kib(pid) for name, pid in pids.items()}
        opened, arrivals = asyncio.Event(), []
        ready = 0

        async def follow(order_id: str) -> None:
            headers = {"Authorization": f"Bearer {customer}"}
            while True:  # shed while too many open at once: back after Retry-After, as EventSource is
                async with client.stream("GET", f"/orders/{order_id}/events", headers=headers) as response:
                    if response.status_code == 200:
                        await read(response)
                        return
                    await response.aread()
                await asyncio.sleep(float(response.headers.get("Retry-After", "1")))

        async def read(response) -> None:
            nonlocal ready
            first = True
            async for line in response.aiter_lines():
                if not line.startswith("data:"):
                    continue
                if first:
                    first = False
                    ready += 1
                    if ready == streams:
                        opened.set()
                    continue
                event = json.loads(line[5:])
                if "status" not in event or not event.get("at"):
                    continue  # an `estimate` event (the delivery promise), not a transition
                at = time.time()
                sent = time.mktime(time.strptime(event["at"][:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone
                sent += float("0." + event["at"][20:26]) if len(event["at"]) > 20 else 0.0
                arrivals.append(at - sent)
                if event["status"] == "rejected":
                    return

        started = time.monotonic()
        tasks = [asyncio.create_task(follow(orders[n % len(orders)])) for n in range(streams)]
        try:
            await asyncio.wait_for(opened.wait(), timeout=120)
        except TimeoutError:
            log(f"only {ready} of {streams} streams opened")
        open_s = time.monotonic() - started
        memory_open = {name: rss_kib(pid) for name, pid in pids.items()}
        for order_id in orders:  # one final transition per order: every stream gets one event and ends
            await client.post(
                f"/restaurants/{restaurant_id}/orders/{order_id}/status",
                json={"status": "rejected"},
                headers={"Authorization": f"Bearer {owner}"},
            )
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), timeout=120)
    delays = sorted(arrivals)

    def pct(p: float) -> float:
        return round(delays[min(len(delays) - 1, int(p / 100 * len(delays)))] * 1000, 1) if delays else float("nan")

    return {
        "streams_requested": streams,
        "streams_open": ready,
        "seconds_to_open_all": round(open_s, 2),
        "events_received": len(delays),
        "delay_p50_ms": pct(50),
        "delay_p95_ms": pct(95),
        "delay_p99_ms": pct(99),
        "rss_kib_before": memory_before,
        "rss_kib_with_streams": memory_open,
        "kib_per_stream": {name: round((memory_open[name] - memory_before[name]) / max(ready, 1), 1) for name in pids},
    }
