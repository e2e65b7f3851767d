"""The city's three measurements, each through the gateway of the platform bench/city.py started:
streams held and told of changes, a reconnect storm, and the city's whole load at once (what each
measures is in bench/city.py's docstring)."""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid

import aiohttp
from city_clients import Follower, Tracker, cancel, open_followers, request, session_for, summary_ms, until
from city_world import CENTRE, City
from logs import logger
from placement import percentile
from procfs import tree_rss_kib
from sse import events

PLACEMENT_PER_S = 10
STREAMS_PER_ORDER = 10
log = logger("city")


async def measure_streams(city: City, pids: dict[str, int], *, streams: int, open_rate: int, seconds: int) -> dict:
    """`streams` followers (STREAMS_PER_ORDER per order) opened at `open_rate` a second, then for
    `seconds` one in a hundred streams' orders accepted every second."""
    orders = city.watched(streams // STREAMS_PER_ORDER)
    tracker = Tracker()
    rss_before = {name: tree_rss_kib(pid) for name, pid in pids.items()}
    async with session_for(streams) as session:
        started = time.monotonic()
        followers, tasks = await open_followers(session, city.gateway, orders, STREAMS_PER_ORDER, open_rate, tracker)
        all_open = await until(lambda: tracker.streaming >= len(followers), timeout_s=120)
        open_s = time.monotonic() - started
        log(
            f"  {tracker.streaming} streams open after {open_s:.1f}s; refused {tracker.refused}, broken {tracker.broken}"
        )
        await asyncio.sleep(3)  # settled
        rss_open = {name: tree_rss_kib(pid) for name, pid in pids.items()}
        # One in a hundred streams' orders changes every second.
        changes_per_s = max(1, streams // 100 // STREAMS_PER_ORDER)
        moved, accept_ms, errors = [], [], 0
        for second in range(seconds):
            tick = time.monotonic()
            batch = orders[second * changes_per_s : (second + 1) * changes_per_s]
            for status, ms in await asyncio.gather(*(city.accept(order) for order in batch)):
                accept_ms.append(ms)
                errors += status != 200
            moved.extend(batch)
            await asyncio.sleep(max(0.0, 1 - (time.monotonic() - tick)))
        await asyncio.sleep(3)  # the last events arrive
        expected = len(moved) * STREAMS_PER_ORDER
        received = sum(tracker.arrivals.get((order["id"], "accepted"), 0) for order in moved)
        await cancel(tasks)
    streams_open = tracker.streaming
    return {
        "streams_requested": len(followers),
        "streams_open": streams_open,
        "all_open": all_open,
        "seconds_to_open": round(open_s, 1),
        "refused_while_opening": tracker.refused,
        "broken": tracker.broken,
        "changes": len(moved),
        "events_expected": expected,
        "events_received": received,
        "event_delay": summary_ms(tracker.delays_ms),
        "transition_request": summary_ms(accept_ms),
        "transition_errors": errors,
        "rss_kib_before": rss_before,
        "rss_kib_open": rss_open,
        "kib_per_stream": {name: round((rss_open[name] - rss_before[name]) / max(streams_open, 1), 1) for name in pids},
        "kib_per_stream_total": round(
            sum(rss_open[name] - rss_before[name] for name in pids) / max(streams_open, 1), 1
        ),
    }


async def measure_storm(city: City, *, clients: int) -> dict:
    """`clients` followers (five per order) opening within one second, as after a gateway restart."""
    orders = city.watched(clients // 5)
    tracker = Tracker()
    probe_ms: list[float] = []
    probe_status: dict[int, int] = {}
    token, body = city.customers[1 % len(city.customers)]
    order = await city.place(token, body)
    async with session_for(clients) as session:
        stop = asyncio.Event()

        async def ordinary() -> None:  # a customer reading their order, five times a second
            while not stop.is_set():
                started = time.perf_counter()
                try:
                    async with city.session.get(
                        f"{city.gateway}/orders/{order['id']}", headers={"Authorization": f"Bearer {token}"}
                    ) as response:
                        await response.read()
                        status = response.status
                except (aiohttp.ClientError, TimeoutError):
                    status = 0
                probe_ms.append((time.perf_counter() - started) * 1000)
                probe_status[status] = probe_status.get(status, 0) + 1
                await asyncio.sleep(0.2)

        probing = asyncio.create_task(ordinary())
        started = time.monotonic()
        followers = [Follower(session, city.gateway, o, o["token"], tracker) for o in orders for _ in range(5)]
        tasks = []
        for n, follower in enumerate(followers):  # all within one second
            tasks.append(asyncio.create_task(follower.run()))
            if n % 250 == 249:
                await asyncio.sleep(250 / len(followers))
        recovered = await until(lambda: tracker.streaming >= len(followers), timeout_s=90, step_s=0.05)
        recovery_s = time.monotonic() - started
        curve = sorted(f.streaming_at - started for f in followers if f.streaming_at is not None)
        stop.set()
        await probing
        await cancel(tasks)
    return {
        "clients": len(followers),
        "streaming": tracker.streaming,
        "all_streaming": recovered,
        "seconds_until_all_streaming": round(recovery_s, 1),
        "streaming_after_s": {f"p{p}": round(percentile(curve, p), 2) for p in (50, 90, 99, 100)},
        "attempts": sum(f.attempts for f in followers),
        "refused": tracker.refused,
        "broken": tracker.broken,
        "ordinary_requests": {"statuses": probe_status, **summary_ms(probe_ms)},
        "curve": [round(t, 2) for t in curve[:: max(1, len(curve) // 200)]],
    }


async def measure_city(city: City, cpu_probe, *, couriers: int, tracking: int, seconds: int) -> dict:
    """`couriers` couriers reporting positions, `tracking` streams, the kitchen boards and placement
    for `seconds`; `cpu_probe()` reads each process's CPU seconds."""
    orders = city.watched(tracking // 2)
    tracker = Tracker()
    ops: dict[str, list[float]] = {"position": [], "placement": [], "kitchen accept": [], "board event": []}
    errors: dict[str, int] = {}
    fleet_tokens = city.fleet(couriers)
    gw = city.gateway
    background: set[asyncio.Task] = set()

    def later(coroutine) -> None:
        task = asyncio.create_task(coroutine)
        background.add(task)
        task.add_done_callback(background.discard)

    async with session_for(tracking + couriers) as session:

        async def timed(name: str, method: str, url: str, token: str, body=None, headers=None) -> dict | None:
            started = time.perf_counter()
            try:
                status, text = await request(session, method, url, token, body, headers)
            except (aiohttp.ClientError, TimeoutError):
                status, text = 0, ""
            if measuring:
                ops[name].append((time.perf_counter() - started) * 1000)
                if status >= 400 or status == 0:
                    errors[f"{name} {status}"] = errors.get(f"{name} {status}", 0) + 1
            return json.loads(text) if status < 400 and text else None

        measuring = False
        log(f"  {couriers} couriers going online")
        for first in range(0, couriers, 100):
            online = await asyncio.gather(
                *(
                    timed("position", "PATCH", f"{gw}/couriers/me", t, {"available": True})
                    for t in fleet_tokens[first : first + 100]
                )
            )
            # A fleet that never went on duty leaves every placement undispatched (until 2026-12-05,
            # the city's minted couriers had no account and every one of these was a quiet 404).
            if not all(courier and courier.get("available") for courier in online):
                raise SystemExit("couriers going online: refused (see the delivery service's log)")
        stop = asyncio.Event()

        async def courier(token: str) -> None:
            await asyncio.sleep(random.uniform(0, 5))  # noqa: S311 (spread the fleet)
            lat, lng = CENTRE[0] + random.uniform(-0.05, 0.05), CENTRE[1] + random.uniform(-0.05, 0.05)  # noqa: S311
            while not stop.is_set():
                lat, lng = lat + random.uniform(-1e-3, 1e-3), lng + random.uniform(-1e-3, 1e-3)  # noqa: S311
                await timed("position", "POST", f"{gw}/couriers/me/location", token, {"lat": lat, "lng": lng})
                await asyncio.sleep(5)

        async def customers() -> None:
            while not stop.is_set():
                tick = time.monotonic()
                for token, body in random.sample(city.customers, PLACEMENT_PER_S):
                    later(
                        timed(
                            "placement",
                            "POST",
                            f"{gw}/customers/me/orders",
                            token,
                            body,
                            {"Idempotency-Key": uuid.uuid4().hex},
                        )
                    )
                await asyncio.sleep(max(0.0, 1 - (time.monotonic() - tick)))

        async def kitchen(restaurant: dict) -> None:
            url = f"{gw}/restaurants/{restaurant['id']}/orders/events"
            accepted: set[str] = set()
            headers = {"Authorization": f"Bearer {restaurant['token']}"}
            while True:  # a kitchen's tablet comes back after a refusal (Retry-After) or a break
                try:
                    async with session.get(url, headers=headers) as response:
                        if response.status == 200:
                            await board(response, restaurant, accepted)
                        else:
                            errors[f"board {response.status}"] = errors.get(f"board {response.status}", 0) + 1
                        wait_s = float(response.headers.get("Retry-After", "2"))
                except (aiohttp.ClientError, TimeoutError):
                    wait_s = 2.0
                await asyncio.sleep(wait_s)

        async def board(response, restaurant: dict, accepted: set[str]) -> None:
            async for event in events(response):
                if event["event"] != "order":
                    continue
                order = event["data"]
                if measuring and order["status"] == "accepted" and order["id"] in moved_at:
                    ops["board event"].append((time.time() - moved_at[order["id"]]) * 1000)
                if order["status"] == "placed" and order["id"] not in accepted:
                    accepted.add(order["id"])
                    later(
                        timed(
                            "kitchen accept",
                            "POST",
                            f"{gw}/restaurants/{restaurant['id']}/orders/{order['id']}/status",
                            restaurant["token"],
                            {"status": "accepted"},
                        )
                    )

        moved_at: dict[str, float] = {}

        async def changes() -> None:  # 1% of the tracked streams' orders change each second
            per_s = max(1, tracking // 100 // 2)
            queue = list(orders)
            while not stop.is_set() and queue:
                tick = time.monotonic()
                for order in queue[:per_s]:
                    moved_at[order["id"]] = time.time()
                    later(
                        timed(
                            "kitchen accept",
                            "POST",
                            f"{gw}/restaurants/{order['restaurant_id']}/orders/{order['id']}/status",
                            city.owner_of[order["restaurant_id"]],
                            {"status": "accepted"},
                        )
                    )
                del queue[:per_s]
                await asyncio.sleep(max(0.0, 1 - (time.monotonic() - tick)))

        log(f"  {tracking} tracking streams and three kitchen boards opening")
        boards = [asyncio.create_task(kitchen(r)) for r in city.restaurants]
        followers, follower_tasks = await open_followers(session, city.gateway, orders, 2, 1000, tracker)
        await until(lambda: tracker.streaming >= len(followers), timeout_s=60)
        fleet = [asyncio.create_task(courier(t)) for t in fleet_tokens]
        await asyncio.sleep(6)  # every courier has reported once
        log(f"  the city runs for {seconds}s")
        tracker.delays_ms.clear()
        measuring = True
        cpu_before = cpu_probe()
        started = time.monotonic()
        load = [asyncio.create_task(customers()), asyncio.create_task(changes())]
        await asyncio.sleep(seconds)
        cpu_after = cpu_probe()
        elapsed = time.monotonic() - started
        measuring = False
        stop.set()
        await asyncio.sleep(1)
        await cancel([*load, *fleet, *boards, *follower_tasks, *background])
    ops["tracking event"] = tracker.delays_ms
    cpu = {name: round((cpu_after[name] - cpu_before.get(name, 0.0)) / elapsed * 1000, 1) for name in cpu_after}
    counts = {name: len(values) for name, values in ops.items()}
    return {
        "seconds": round(elapsed, 1),
        "couriers": couriers,
        "deliveries_created": city.deliveries(),
        "tracking_streams": len(followers),
        "tracking_streaming": tracker.streaming,
        "boards": len(boards),
        "operations": {name: summary_ms(values) for name, values in ops.items()},
        "per_second": {name: round(n / elapsed, 1) for name, n in counts.items()},
        "errors": errors,
        "cpu_ms_per_s_by_process": dict(sorted(cpu.items(), key=lambda kv: -kv[1])),
    }
