"""A city's load on two cores (issue #23): its fleet and its watchers, not its few orders a second.

    python bench/city.py            # starts its own platform; prints and writes bench/out/city.json

Three measurements, each through the gateway of a platform started here (its gateway with two
uvicorn workers: every relayed stream holds two descriptors there, and this machine's hard limit
is 20,000 per process, which the tooling cannot raise; the other services run one process each):

  streams   CITY_STREAMS (10,000) tracking streams opened at CITY_OPEN_RATE (1,000) a second, then
            for CITY_SECONDS (30) one in a hundred streams' orders changes every second: the delay
            from each change (the event's `at`, the server's clock) to its arrival at every
            follower, events missed, and memory per open stream (gateway and order service RSS
            growth over the streams open).
  storm     CITY_STORM (5,000) clients open their streams within one second, as after a gateway
            restart, and reconnect as real clients do (honouring Retry-After and the stream's
            `retry:`): seconds until every one is streaming again, and ordinary requests (an order
            read) made meanwhile: their answers and latency.
  city      for CITY_SECONDS_CITY (60): CITY_COURIERS (1,000) couriers reporting a position every
            5 s, CITY_TRACKING (2,000) tracking streams, three kitchen boards whose kitchens accept
            what they are shown, customers placing 10 orders/s, and 1% of the tracked orders
            changing each second: p50/p99 of each operation, and the CPU each process spent.

The watched orders are stored straight into the order service's database (as bench/placement.py's
stored orders are), for customers whose access tokens are signed here with the platform's key, in
the shape the auth service issues them: thousands of customers cannot be registered in a benchmark's
time (Argon2 is slow on purpose). Every request still goes through the gateway and is authorized per
object as any other; each customer holds at most ten streams (the per-user cap is 20).

CITY_ONLY (streams,storm,city) runs some of them.

The load client shares the machine's two cores with the platform, and holds as many connections
and streams as the gateway: its garbage collector gets the services' settings
(common/garbage_collection.py), so that its own pauses are neither measured as the platform's delays
nor take the platform's CPU. With CPython's defaults it spent 27 s of a 10,000-stream run in the
collector, 16 s of it in full collections of up to 1.8 s each, every event arriving meanwhile
measured that much late. CITY_CLIENT_GC=python keeps CPython's defaults (as every figure before
2026-11-30's fifth session in bench/RESULTS.md was measured).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import resource
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "bench"))
import aiohttp  # noqa: E402
import devstack  # noqa: E402
import jwt  # noqa: E402
from placement import ADDRESS, _call, _user, percentile  # noqa: E402
from sse import events  # noqa: E402

OUT = ROOT / "bench" / "out"
STREAMS = int(os.environ.get("CITY_STREAMS", 10_000))
OPEN_RATE = int(os.environ.get("CITY_OPEN_RATE", 1000))
SECONDS = int(os.environ.get("CITY_SECONDS", 30))
STORM = int(os.environ.get("CITY_STORM", 5000))
COURIERS = int(os.environ.get("CITY_COURIERS", 1000))
TRACKING = int(os.environ.get("CITY_TRACKING", 2000))
CITY_SECONDS = int(os.environ.get("CITY_SECONDS_CITY", 60))
PLACEMENT_PER_S = 10
STREAMS_PER_ORDER = 10
CENTRE = (52.37, 4.89)
ONLY = set(filter(None, os.environ.get("CITY_ONLY", "streams,storm,city").split(",")))


def log(message: str) -> None:
    print(f"[city] {message}", flush=True)


def summary_ms(values: list[float]) -> dict:
    ordered = sorted(values)
    return {
        "count": len(ordered),
        "p50_ms": round(percentile(ordered, 50), 1),
        "p90_ms": round(percentile(ordered, 90), 1),
        "p95_ms": round(percentile(ordered, 95), 1),
        "p99_ms": round(percentile(ordered, 99), 1),
        "max_ms": round(ordered[-1], 1) if ordered else 0.0,
    }


# --- tokens and watched orders ---------------------------------------------------------------------


class Minter:
    """Access tokens for made-up users, signed with the platform's key in the shape of a real one
    (its header and claims, with another subject, user type and id)."""

    def __init__(self, private_key_file: Path, real_token: str):
        self.jwt = jwt
        from cryptography.hazmat.primitives.serialization import load_pem_private_key

        # Loaded once: PyJWT parses (and checks) a PEM key on every signature otherwise, ~50 ms each.
        self.key = load_pem_private_key(private_key_file.read_bytes(), password=None)
        self.header = jwt.get_unverified_header(real_token)
        self.claims = jwt.decode(real_token, options={"verify_signature": False})

    def token(self, sub: str, user_type: str) -> str:
        claims = {**self.claims, "sub": sub, "user_type": user_type, "jti": uuid.uuid4().hex}
        claims["iat"] = int(time.time())
        claims["exp"] = claims["iat"] + 3600
        return self.jwt.encode(claims, self.key, algorithm=self.header["alg"], headers={"kid": self.header.get("kid")})


def store_watched_orders(stack, template_id: str, restaurants: list[dict], count: int) -> list[dict]:
    """`count` placed orders copied from a real one (its stored shape), each for a customer of its
    own, spread over `restaurants` ({id, owner_id}); not dispatched (`dispatch: closed`): they are
    here to be watched and moved by their kitchens. Returns [{id, customer_id, restaurant_id}]."""
    from bson import ObjectId
    from pymongo import MongoClient

    client = MongoClient(stack.mongo_url)
    orders = client[f"{stack.db_prefix}orders"]["orders"]
    template = orders.find_one({"_id": ObjectId(template_id)})
    now = datetime.now(UTC)
    documents, watched = [], []
    for n in range(count):
        restaurant = restaurants[n % len(restaurants)]
        customer_id = str(ObjectId())
        document = {
            **template,
            "_id": ObjectId(),
            "customer_id": customer_id,
            "restaurant_id": restaurant["id"],
            "restaurant_owner_id": restaurant["owner_id"],
            "dispatch": "closed",
            "history": [{"status": "placed", "at": now, "actor_type": "customer", "actor_id": customer_id}],
            "idempotency_key": f"city-{uuid.uuid4().hex}",
            "created_at": now,
            "updated_at": now,
        }
        documents.append(document)
        watched.append({"id": str(document["_id"]), "customer_id": customer_id, "restaurant_id": restaurant["id"]})
    for first in range(0, len(documents), 2000):
        orders.insert_many(documents[first : first + 2000], ordered=False)
    client.close()
    return watched


# --- following a stream as a real client does ------------------------------------------------------


class Follower:
    """One client following one order's stream: reconnects after a refusal or a break (Retry-After,
    else the stream's `retry:`, with jitter) from the last event it saw, as a phone would."""

    def __init__(self, session, gateway: str, order: dict, token: str, tracker: Tracker):
        self.session, self.url, self.token, self.tracker = (
            session,
            f"{gateway}/orders/{order['id']}/events",
            token,
            tracker,
        )
        self.order_id = order["id"]
        self.last_id: str | None = None
        self.streaming_at: float | None = None
        self.attempts = 0

    async def run(self) -> None:
        retry_s = 2.0
        while True:
            self.attempts += 1
            headers = {"Authorization": f"Bearer {self.token}"}
            if self.last_id:
                headers["Last-Event-ID"] = self.last_id
            wait_s = retry_s
            try:
                async with self.session.get(self.url, headers=headers) as response:
                    if response.status != 200:
                        self.tracker.refused[response.status] = self.tracker.refused.get(response.status, 0) + 1
                        wait_s = float(response.headers.get("Retry-After") or retry_s)
                        await response.read()
                    else:
                        async for event in events(response):
                            self.last_id = event["id"] or self.last_id
                            if self.streaming_at is None:
                                self.streaming_at = time.monotonic()
                                self.tracker.streaming += 1
                                continue
                            self.tracker.seen(self.order_id, event)
                        return  # the stream ended (a final status)
            except (aiohttp.ClientError, TimeoutError) as exc:
                name = type(exc).__name__
                self.tracker.broken[name] = self.tracker.broken.get(name, 0) + 1
            await asyncio.sleep(wait_s * random.uniform(0.5, 1.5))  # noqa: S311 (jitter)


class Tracker:
    """What the followers saw: delays from each change to its arrival, and refusals."""

    def __init__(self):
        self.streaming = 0
        self.refused: dict[int, int] = {}
        self.broken: dict[str, int] = {}
        self.delays_ms: list[float] = []
        self.arrivals: dict[tuple[str, str], int] = {}

    def seen(self, order_id: str, event: dict) -> None:
        if event["event"] != "status" or not event["data"].get("at"):
            return
        at = datetime.fromisoformat(event["data"]["at"]).timestamp()
        self.delays_ms.append((time.time() - at) * 1000)
        key = (order_id, event["data"]["status"])
        self.arrivals[key] = self.arrivals.get(key, 0) + 1


async def request(session, method: str, url: str, token: str, body=None, headers=None) -> tuple[int, str]:
    """(status, text); a keep-alive connection the server closed just as it was reused is retried once
    on a new one (the request never reached the server: aiohttp only raises this before an answer)."""
    for attempt in (1, 2):
        try:
            async with session.request(
                method, url, json=body, headers={"Authorization": f"Bearer {token}", **(headers or {})}
            ) as response:
                return response.status, await response.text()
        except aiohttp.ServerDisconnectedError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def session_for(connections: int) -> aiohttp.ClientSession:
    # Idle connections are dropped before uvicorn's keep-alive (5 s) would close them under a POST.
    connector = aiohttp.TCPConnector(limit=0, keepalive_timeout=2)
    return aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=None, sock_connect=30, sock_read=None)
    )


def tree_rss_kib(pid: int) -> int:
    """Resident memory of a process and its children (uvicorn's workers), in KiB."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if int(entry.name) == pid or int(fields.get("PPid", "0").strip()) == pid:
            total += int(fields.get("VmRSS", "0 kB").split()[0])
    return total


# --- the world ------------------------------------------------------------------------------------


class City:
    """A platform with restaurants, customers placing real orders, and a minter for the crowds."""

    def __init__(self, stack, session, gateway: str):
        self.stack, self.session, self.gateway = stack, session, gateway

    async def build(self, restaurants: int = 3, customers: int = 20) -> None:
        gw, s = self.gateway, self.session
        self.restaurants = []
        for n in range(restaurants):
            owner = await _user(s, gw, "restaurants")
            lat, lng = CENTRE[0] + 0.01 * n, CENTRE[1] + 0.01 * n
            restaurant = await _call(
                s,
                "POST",
                f"{gw}/restaurants",
                owner,
                {"name": f"City Kitchen {n}", "cuisine": "bench", "address": {**ADDRESS, "lat": lat, "lng": lng}},
            )
            item = await _call(
                s,
                "POST",
                f"{gw}/restaurants/{restaurant['id']}/menu/items",
                owner,
                {"name": "Dish", "description": "x" * 80, "price_cents": 1200},
            )
            owner_id = jwt.decode(owner, options={"verify_signature": False})["sub"]
            self.restaurants.append({"id": restaurant["id"], "owner_id": owner_id, "token": owner, "item": item["id"]})
        self.customers = []
        for n in range(customers):
            token = await _user(s, gw, "customers")
            address = await _call(
                s, "POST", f"{gw}/customers/me/addresses", token, {**ADDRESS, "lat": CENTRE[0], "lng": CENTRE[1]}
            )
            restaurant = self.restaurants[n % len(self.restaurants)]
            body = {
                "restaurant_id": restaurant["id"],
                "address_id": address["id"],
                "items": [{"menu_item_id": restaurant["item"], "quantity": 1}],
            }
            self.customers.append((token, body))
        token, body = self.customers[0]
        template = await _call(
            s, "POST", f"{gw}/customers/me/orders", token, body, {"Idempotency-Key": uuid.uuid4().hex}
        )
        self.minter = Minter(self.stack.data_dir / "secrets" / "jwt-private.pem", token)
        self.template_id = template["id"]
        self.owner_of = {r["id"]: r["token"] for r in self.restaurants}

    def watched(self, count: int) -> list[dict]:
        orders = store_watched_orders(self.stack, self.template_id, self.restaurants, count)
        for order in orders:
            order["token"] = self.minter.token(order["customer_id"], "customer")
        return orders

    async def place(self, token: str, body: dict) -> dict:
        """An order placed as a client would, retried with the same Idempotency-Key while the platform
        answers 503/504 (busy: say, closing the previous measurement's thousands of streams)."""
        key = uuid.uuid4().hex
        for _attempt in range(30):
            status, text = await request(
                self.session, "POST", f"{self.gateway}/customers/me/orders", token, body, {"Idempotency-Key": key}
            )
            if status < 500:
                return json.loads(text)
            await asyncio.sleep(2)
        raise SystemExit(f"placing an order: still {status} after a minute: {text}")

    async def settle(self, token: str) -> float:
        """Seconds until the platform answers an ordinary read within a second again (after a phase
        that leaves it busy); measured, so the next phase starts on a quiet platform."""
        started = time.monotonic()
        while time.monotonic() - started < 120:
            tick = time.monotonic()
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                status, _ = await request(self.session, "GET", f"{self.gateway}/orders/{self.template_id}", token)
                if status == 200 and time.monotonic() - tick < 1.0:
                    break
            await asyncio.sleep(1)
        return round(time.monotonic() - started, 1)

    async def accept(self, order: dict) -> tuple[int, float]:
        started = time.perf_counter()
        status, _ = await request(
            self.session,
            "POST",
            f"{self.gateway}/restaurants/{order['restaurant_id']}/orders/{order['id']}/status",
            self.owner_of[order["restaurant_id"]],
            {"status": "accepted"},
        )
        return status, (time.perf_counter() - started) * 1000


async def open_followers(session, city: City, orders: list[dict], per_order: int, rate: float, tracker) -> list:
    """Followers for every order, `per_order` each, started at `rate` a second (0: all at once)."""
    followers = [
        Follower(session, city.gateway, order, order["token"], tracker) for order in orders for _ in range(per_order)
    ]
    random.shuffle(followers)
    tasks = []
    for n, follower in enumerate(followers):
        tasks.append(asyncio.create_task(follower.run()))
        if rate and n % 100 == 99:
            await asyncio.sleep(100 / rate)
    return followers, tasks


async def until(predicate, timeout_s: float, step_s: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        await asyncio.sleep(step_s)
    return predicate()


async def cancel(tasks) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


# --- the measurements -----------------------------------------------------------------------------


async def measure_streams(city: City, pids: dict[str, int]) -> dict:
    orders = city.watched(STREAMS // STREAMS_PER_ORDER)
    tracker = Tracker()
    rss_before = {name: tree_rss_kib(pid) for name, pid in pids.items()}
    async with session_for(STREAMS) as session:
        started = time.monotonic()
        followers, tasks = await open_followers(session, city, orders, STREAMS_PER_ORDER, OPEN_RATE, tracker)
        all_open = await until(lambda: tracker.streaming >= len(followers), timeout_s=120)
        open_s = time.monotonic() - started
        log(
            f"  {tracker.streaming} streams open after {open_s:.1f}s; refused {tracker.refused}, broken {tracker.broken}"
        )
        await asyncio.sleep(3)  # settled
        rss_open = {name: tree_rss_kib(pid) for name, pid in pids.items()}
        # One in a hundred streams' orders changes every second.
        changes_per_s = max(1, STREAMS // 100 // STREAMS_PER_ORDER)
        moved, accept_ms, errors = [], [], 0
        for second in range(SECONDS):
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


async def measure_storm(city: City) -> dict:
    orders = city.watched(STORM // 5)
    tracker = Tracker()
    probe_ms: list[float] = []
    probe_status: dict[int, int] = {}
    token, body = city.customers[1 % len(city.customers)]
    order = await city.place(token, body)
    async with session_for(STORM) as session:
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


async def measure_city(city: City, cpu_probe) -> dict:
    orders = city.watched(TRACKING // 2)
    tracker = Tracker()
    ops: dict[str, list[float]] = {"position": [], "placement": [], "kitchen accept": [], "board event": []}
    errors: dict[str, int] = {}
    couriers = [city.minter.token(uuid.uuid4().hex[:24], "courier") for _ in range(COURIERS)]
    gw = city.gateway
    background: set[asyncio.Task] = set()

    def later(coroutine) -> None:
        task = asyncio.create_task(coroutine)
        background.add(task)
        task.add_done_callback(background.discard)

    async with session_for(TRACKING + COURIERS) as session:

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
        log(f"  {COURIERS} couriers going online")
        for first in range(0, COURIERS, 100):
            await asyncio.gather(
                *(
                    timed("position", "PATCH", f"{gw}/couriers/me", t, {"available": True})
                    for t in couriers[first : first + 100]
                )
            )
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
            per_s = max(1, TRACKING // 100 // 2)
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

        log(f"  {TRACKING} tracking streams and three kitchen boards opening")
        boards = [asyncio.create_task(kitchen(r)) for r in city.restaurants]
        followers, follower_tasks = await open_followers(session, city, orders, 2, 1000, tracker)
        await until(lambda: tracker.streaming >= len(followers), timeout_s=60)
        fleet = [asyncio.create_task(courier(t)) for t in couriers]
        await asyncio.sleep(6)  # every courier has reported once
        log(f"  the city runs for {CITY_SECONDS}s")
        tracker.delays_ms.clear()
        measuring = True
        cpu_before = cpu_probe()
        started = time.monotonic()
        load = [asyncio.create_task(customers()), asyncio.create_task(changes())]
        await asyncio.sleep(CITY_SECONDS)
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
        "couriers": COURIERS,
        "tracking_streams": len(followers),
        "tracking_streaming": tracker.streaming,
        "boards": len(boards),
        "operations": {name: summary_ms(values) for name, values in ops.items()},
        "per_second": {name: round(n / elapsed, 1) for name, n in counts.items()},
        "errors": errors,
        "cpu_ms_per_s_by_process": dict(sorted(cpu.items(), key=lambda kv: -kv[1])),
    }


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, middle, right) = plt.subplots(1, 3, figsize=(18, 5))
    if "city" in results:
        ops = results["city"]["operations"]
        names = list(ops)
        ys = range(len(names))
        left.barh([y + 0.2 for y in ys], [ops[n]["p50_ms"] for n in names], height=0.4, label="p50")
        left.barh([y - 0.2 for y in ys], [ops[n]["p99_ms"] for n in names], height=0.4, label="p99")
        left.set_yticks(list(ys), names)
        left.set(title=f"The city for {results['city']['seconds']} s: latency by operation", xlabel="ms")
        left.legend()
        cpu = results["city"]["cpu_ms_per_s_by_process"]
        middle.barh(list(cpu), [v / 10 for v in cpu.values()])
        middle.set(title="CPU by process during the city (% of one core)", xlabel="%")
    if "storm" in results:
        curve = results["storm"]["curve"]
        right.plot(curve, [n / max(len(curve) - 1, 1) * results["storm"]["streaming"] for n in range(len(curve))])
        right.axvline(30, color="grey", linestyle="--", label="target: all within 30 s")
        right.set(
            title=f"Reconnect storm: {results['storm']['clients']} clients within 1 s",
            xlabel="seconds since the storm began",
            ylabel="clients streaming",
        )
        right.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def cpu_probe_of(stack):
    from run import cpu_seconds

    return lambda: cpu_seconds(stack)


async def run_all(stack) -> dict:
    results: dict = {}
    pids = {"gateway": stack.pid_of("gateway"), "order": stack.pid_of("order")}
    async with session_for(0) as session:
        city = City(stack, session, stack.gateway_url)
        log("building the city: three restaurants, twenty customers")
        await city.build()
        if "streams" in ONLY:
            log(f"streams: {STREAMS} opened at {OPEN_RATE}/s, then 1% of them told of a change each second")
            results["streams"] = await measure_streams(city, pids)
        if "storm" in ONLY:
            if "streams" in results:
                results["streams"]["seconds_to_settle_after_closing"] = await city.settle(city.customers[0][0])
                log(f"  settled {results['streams']['seconds_to_settle_after_closing']}s after closing them")
            log(f"storm: {STORM} clients opening within one second")
            results["storm"] = await measure_storm(city)
        if "city" in ONLY:
            if "storm" in results:
                results["storm"]["seconds_to_settle_after_closing"] = await city.settle(city.customers[0][0])
            log(f"city: {COURIERS} couriers, {TRACKING} streams, 3 boards, {PLACEMENT_PER_S} orders/s")
            results["city"] = await measure_city(city, cpu_probe_of(stack))
    return results


def start_stack(work: Path):
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # this client's thousands of connections
    stack = devstack.Stack(
        data_dir=work,
        free_ports=True,
        quiet=True,
        db_prefix=f"city_{uuid.uuid4().hex[:6]}_",
        extra_env={"RATE_LIMITS_ENABLED": "false", "LOG_LEVEL": "WARNING"},
        workers={"gateway": 2},
    )
    try:
        stack.start_databases()
        stack.start_services()
    except BaseException:
        stack.stop()  # what started before a readiness timeout must not outlive this run
        raise
    return stack


def print_summary(results: dict) -> None:
    s = results.get("streams")
    if s:
        print(
            f"streams: {s['streams_open']}/{s['streams_requested']} open in {s['seconds_to_open']}s; "
            f"{s['events_received']}/{s['events_expected']} events, delay p50 {s['event_delay']['p50_ms']} ms, "
            f"p99 {s['event_delay']['p99_ms']} ms; memory per stream {s['kib_per_stream_total']} KiB "
            f"({s['kib_per_stream']})"
        )
    st = results.get("storm")
    if st:
        print(
            f"storm: {st['streaming']}/{st['clients']} streaming again after {st['seconds_until_all_streaming']}s "
            f"({st['attempts']} attempts, refused {st['refused']}, broken {st['broken']}); ordinary requests "
            f"meanwhile {st['ordinary_requests']['statuses']}, p99 {st['ordinary_requests']['p99_ms']} ms"
        )
    c = results.get("city")
    if c:
        print(f"city ({c['seconds']}s, {c['couriers']} couriers, {c['tracking_streaming']} streams, 3 boards):")
        for name, row in c["operations"].items():
            print(f"  {name:<15} {c['per_second'][name]:>7}/s  p50 {row['p50_ms']:>7} ms  p99 {row['p99_ms']:>7} ms")
        print(f"  errors {c['errors']}; CPU ms per second by process {c['cpu_ms_per_s_by_process']}")


def settle_client_collector() -> None:
    if os.environ.get("CITY_CLIENT_GC", "tuned") != "python":
        from common.garbage_collection import DEFAULT_THRESHOLDS, prepare_for_serving

        prepare_for_serving(DEFAULT_THRESHOLDS)


def measure() -> dict:
    """Every measurement on a platform of its own; writes bench/out/city.json and city.png."""
    import shutil

    settle_client_collector()

    OUT.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="fd-city-"))
    try:
        stack = start_stack(work)
        try:
            results = asyncio.run(run_all(stack))
        finally:
            stack.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    (OUT / "city.json").write_text(json.dumps(results, indent=2))
    plot(results, OUT / "city.png")
    return results


def main() -> int:
    print_summary(measure())
    print(f"wrote {OUT / 'city.json'} and {OUT / 'city.png'}")
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
