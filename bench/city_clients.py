"""The city's load clients: followers that hold an order's stream as a phone does (reconnecting after a
refusal or a break from the last event they saw), what they saw, and the HTTP session they share."""

from __future__ import annotations

import asyncio
import random
import time
from datetime import datetime

import aiohttp
from placement import percentile
from sse import events


def summary_ms(values: list[float]) -> dict:
    """Count, p50/p90/p95/p99 and max of latencies in ms, as the city reports each operation."""
    ordered = sorted(values)
    return {
        "count": len(ordered),
        "p50_ms": round(percentile(ordered, 50), 1),
        "p90_ms": round(percentile(ordered, 90), 1),
        "p95_ms": round(percentile(ordered, 95), 1),
        "p99_ms": round(percentile(ordered, 99), 1),
        "max_ms": round(ordered[-1], 1) if ordered else 0.0,
    }


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


async def open_followers(session, gateway: str, orders: list[dict], per_order: int, rate: float, tracker) -> list:
    """Followers for every order, `per_order` each, started at `rate` a second (0: all at once)."""
    followers = [
        Follower(session, gateway, order, order["token"], tracker) for order in orders for _ in range(per_order)
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
