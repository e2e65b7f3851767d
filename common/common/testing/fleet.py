"""A courier fleet reporting positions at full speed through the gateway, and every service's
readiness right after it: the load that once left the local store stuck for good (issue #37), run
by the gateway suite and by `make chaos`.

The fleet is given as access tokens of existing courier accounts: `make chaos` signs its couriers
up and in as any client would; the suite signs in accounts it made with `courier_token` and the
platform's key, so that its load is the positions rather than 400 password hashes.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass

import aiohttp
import jwt
import requests

from common.testing.tokens import access_claims

AMSTERDAM = (52.37, 4.89)


def courier_token(private_key_pem: str, *, courier_id: str, lifetime_s: int = 900) -> str:
    """An access token for a courier, signed with the platform's key (ARCHITECTURE 4.1's claims)."""
    claims = access_claims(sub=courier_id, user_type="courier", lifetime_s=lifetime_s)
    return jwt.encode(claims, private_key_pem, algorithm="RS256")


@dataclass
class FleetReport:
    couriers: int
    seconds: float
    statuses: Counter

    @property
    def reports(self) -> int:
        return sum(self.statuses.values())


async def _send(session: aiohttp.ClientSession, method: str, url: str, token: str, body: dict) -> int:
    async with session.request(method, url, json=body, headers={"Authorization": f"Bearer {token}"}) as response:
        await response.read()
        return response.status


async def _fleet(gateway_url: str, tokens: list[str], seconds: float, centre: tuple[float, float]) -> FleetReport:
    statuses: Counter = Counter()
    connector = aiohttp.TCPConnector(limit=len(tokens))
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        on_duty = await asyncio.gather(
            *(_send(session, "PATCH", f"{gateway_url}/couriers/me", t, {"available": True}) for t in tokens)
        )
        if set(on_duty) != {200}:
            raise AssertionError(f"couriers could not go on duty: {Counter(on_duty)}")
        stop = time.monotonic() + seconds

        async def report(token: str) -> None:
            while time.monotonic() < stop:
                lat = centre[0] + random.uniform(-0.02, 0.02)
                lng = centre[1] + random.uniform(-0.02, 0.02)
                statuses[
                    await _send(session, "POST", f"{gateway_url}/couriers/me/location", token, {"lat": lat, "lng": lng})
                ] += 1

        await asyncio.gather(*(report(token) for token in tokens))
        # Off duty again: a fleet left available would take other tests' orders.
        await asyncio.gather(
            *(_send(session, "PATCH", f"{gateway_url}/couriers/me", t, {"available": False}) for t in tokens)
        )
    return FleetReport(couriers=len(tokens), seconds=seconds, statuses=statuses)


def report_positions(gateway_url: str, tokens: list[str], *, seconds: float = 10.0, centre=AMSTERDAM) -> FleetReport:
    """The couriers whose tokens these are go on duty, post positions as fast as the platform
    answers for `seconds`, and go off duty."""
    return asyncio.run(_fleet(gateway_url, tokens, seconds, centre))


async def _readiness(urls: dict[str, str], timeout_s: float) -> dict[str, int | str]:
    async def ready(session: aiohttp.ClientSession, url: str) -> int | str:
        try:
            async with session.get(f"{url}/readyz") as response:
                return response.status
        except (TimeoutError, aiohttp.ClientError) as exc:
            return type(exc).__name__

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout_s)) as session:
        answers = await asyncio.gather(*(ready(session, url) for url in urls.values()))
    return dict(zip(urls, answers, strict=True))


def readiness(urls: dict[str, str], *, timeout_s: float = 3.0) -> dict[str, int | str]:
    """Every service's `/readyz` asked at once: its status, or why it did not answer in time."""
    return asyncio.run(_readiness(urls, timeout_s))


def _positions_persisted(delivery_url: str) -> float:
    for line in requests.get(f"{delivery_url}/metrics", timeout=5).text.splitlines():
        if line.startswith("courier_positions_persisted_total "):
            return float(line.split()[1])
    return 0.0


def readiness_after_write_behind(urls: dict[str, str], *, wait_s: float = 30.0) -> dict[str, int | str]:
    """`readiness` once the delivery service (`urls["delivery"]`) has written positions behind to
    the store again, read from its metrics: the flush of a whole fleet's positions is what once
    left the store waiting for a connection nobody gave back. A flush that never ends shows as
    services not ready after `wait_s`."""
    start = _positions_persisted(urls["delivery"])
    deadline = time.monotonic() + wait_s
    while _positions_persisted(urls["delivery"]) <= start and time.monotonic() < deadline:
        time.sleep(0.2)
    return readiness(urls)
