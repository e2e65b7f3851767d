"""A reconnect storm, small enough for the suite (`make bench` has the 5,000-client figure).

A platform of its own whose order service opens at most 8 streams at once: 120 clients open
their streams in the same instant, as after a gateway restart, and reconnect as real clients do
(after `Retry-After`). All of them must be streaming again soon, every refusal must be the fast,
deliberate 503 (never a timeout, never the gateway's breaker answering for an upstream that is up),
and a customer reading an order meanwhile must never be refused.
"""

import asyncio
import contextlib
import random
import time

import aiohttp
import pytest

from common.errors import OVERLOADED_HEADER
from common.testing.live import LiveActors, LivePlatform

CUSTOMERS, STREAMS_EACH = 8, 15  # within the per-user cap of 20


@pytest.fixture(scope="module")
def storm_platform(tmp_path_factory):
    platform = LivePlatform(
        tmp_path_factory.mktemp("storm"),
        extra_env={"SSE_MAX_OPENING_PER_PROCESS": "8", "SSE_SHED_RETRY_MAX_S": "2"},
    ).start()
    yield platform
    platform.stop()


@pytest.fixture(scope="module")
def watched(storm_platform):
    actors = LiveActors(storm_platform.url("gateway"))
    _owner_id, chef = actors.user("restaurants", "Chef")
    kitchen = actors.restaurant_with_menu(chef)
    orders = []
    for _ in range(CUSTOMERS + 1):
        _customer_id, headers, address_id = actors.customer_with_address()
        orders.append((headers, actors.place_order(headers, kitchen, address_id)["id"]))
    return storm_platform.url("gateway"), orders


async def _storm(gateway: str, orders: list) -> dict:
    refusals: list[tuple[int, str | None]] = []
    streaming_after: list[float] = []
    ordinary: list[int] = []
    reader_headers, reader_order = orders[-1]
    stop, all_streaming = asyncio.Event(), asyncio.Event()
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=30)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0), timeout=timeout) as session:
        started = time.monotonic()

        async def follow(headers: dict, order_id: str) -> None:
            while True:
                async with session.get(f"{gateway}/orders/{order_id}/events", headers=headers) as response:
                    if response.status == 200:
                        async for line in response.content:
                            if line.startswith(b"data:"):
                                streaming_after.append(time.monotonic() - started)
                                if len(streaming_after) == len(followers):
                                    all_streaming.set()
                                await stop.wait()  # holds its stream until the storm is over
                                return
                        return
                    refusals.append((response.status, response.headers.get(OVERLOADED_HEADER)))
                    wait_s = float(response.headers.get("Retry-After", "1"))
                    await response.read()
                await asyncio.sleep(wait_s * random.uniform(0.5, 1.0))  # jitter, as clients do

        async def read_order() -> None:
            while not stop.is_set():
                async with session.get(f"{gateway}/orders/{reader_order}", headers=reader_headers) as response:
                    ordinary.append(response.status)
                    await response.read()
                await asyncio.sleep(0.1)

        reader = asyncio.create_task(read_order())
        followers = [
            asyncio.create_task(follow(headers, order_id))
            for headers, order_id in orders[:-1]
            for _ in range(STREAMS_EACH)
        ]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(all_streaming.wait(), timeout=30)
        stop.set()
        await asyncio.wait_for(asyncio.gather(*followers, reader), timeout=30)
    return {"streaming_after": streaming_after, "refusals": refusals, "ordinary": ordinary}


def test_a_reconnect_storm_is_shed_fast_and_every_client_streams_again(watched):
    gateway, orders = watched

    outcome = asyncio.run(_storm(gateway, orders))

    assert len(outcome["streaming_after"]) == CUSTOMERS * STREAMS_EACH
    assert max(outcome["streaming_after"]) < 20
    assert outcome["refusals"], "the storm was never shed: it did not exceed what the platform opens at once"
    assert {status for status, _ in outcome["refusals"]} == {503}
    assert {overloaded for _, overloaded in outcome["refusals"]} == {"true"}  # shed, not a breaker's 503
    assert outcome["ordinary"]
    assert set(outcome["ordinary"]) == {200}
