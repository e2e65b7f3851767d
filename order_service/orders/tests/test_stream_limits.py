"""Streams are the scarcest resource: capped per user across replicas (429), per process (503),
with slots that closed or crashed streams give back. Real Redis, real MongoDB, the order stream."""

import asyncio
import resource
import time

import pytest
from django.test import AsyncClient

from common import open_files
from common.streams import admission
from common.testing.sse import SseReader
from orders.tests.helpers import placed


@pytest.fixture(autouse=True)
def _small_limits(settings):
    settings.SSE_HEARTBEAT_S = 0.3
    settings.SSE_MAX_STREAMS_PER_USER = 2


@pytest.fixture
def order(api_client, service_headers, menu):
    return placed(api_client, service_headers, menu, customer_id="c" * 24)


def _customer(issue_token):
    return {"Authorization": f"Bearer {issue_token('customer', sub='c' * 24)}"}


async def _open(order, headers):
    response = await AsyncClient().get(f"/orders/{order['id']}/events", headers=headers)
    if response.status_code != 200:
        return response, None
    reader = SseReader.of_response(response)
    await reader.next_events(1)  # open for real: the stream runs until closed
    return response, reader


def test_a_user_holds_at_most_the_cap_and_a_closed_stream_frees_its_slot(order, issue_token):
    async def scenario():
        first = await _open(order, _customer(issue_token))
        second = await _open(order, _customer(issue_token))
        refused, _ = await _open(order, _customer(issue_token))
        await first[1].close()
        await asyncio.sleep(0.1)  # the slot goes back in a task of its own
        third = await _open(order, _customer(issue_token))
        for _response, reader in (second, third):
            await reader.close()
        return refused, third[0].status_code

    refused, third = asyncio.run(asyncio.wait_for(scenario(), 20))

    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "too_many_streams"
    assert int(refused["Retry-After"]) >= 1
    assert third == 200


def test_the_cap_counts_across_processes_and_a_crashed_ones_slots_expire(order, issue_token):
    """Slots live in Redis: another replica's count (here taken directly, as a replica that then
    died would have) holds the user back until its slots expire."""

    async def scenario():
        for n in range(2):
            assert await admission.take_user_slot("c" * 24, f"replica-that-died:{n}") == 0
        refused, _ = await _open(order, _customer(issue_token))
        await asyncio.sleep(admission.slot_lifetime_s() + 0.2)  # nobody renews them
        after, reader = await _open(order, _customer(issue_token))
        await reader.close()
        return refused.status_code, after.status_code

    assert asyncio.run(asyncio.wait_for(scenario(), 30)) == (429, 200)


def test_an_open_stream_keeps_its_slot_by_renewing_it(order, issue_token):
    async def scenario():
        held = [await _open(order, _customer(issue_token)) for _ in range(2)]
        deadline = time.monotonic() + admission.slot_lifetime_s() + 0.5
        while time.monotonic() < deadline:  # the streams are read, as a server does: they renew
            for _response, reader in held:
                await reader.drain(0.1)
        refused, _ = await _open(order, _customer(issue_token))
        for _response, reader in held:
            await reader.close()
        return refused.status_code

    assert asyncio.run(asyncio.wait_for(scenario(), 30)) == 429


def test_a_full_process_sheds_new_streams_fast_with_a_spread_retry_after(order, issue_token, settings):
    settings.SSE_MAX_STREAMS_PER_PROCESS = 1
    settings.SSE_SHED_RETRY_MAX_S = 5

    async def scenario():
        _response, reader = await _open(order, _customer(issue_token))
        sheds = [(await _open(order, _customer(issue_token)))[0] for _ in range(12)]
        await reader.close()
        return sheds

    sheds = asyncio.run(asyncio.wait_for(scenario(), 20))

    assert {r.status_code for r in sheds} == {503}
    assert {r.json()["error"]["code"] for r in sheds} == {"overloaded"}
    retry_afters = {int(r["Retry-After"]) for r in sheds}
    assert retry_afters <= set(range(1, 6))
    assert len(retry_afters) > 1  # spread, not one moment for everyone


def test_a_process_at_its_open_file_limit_sheds_new_streams_instead_of_failing_to_accept(order, issue_token):
    """Each stream holds a descriptor: past the limit, accept() would fail for every client."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (open_files.RESERVED + 1, hard))  # room for one stream

    async def scenario():
        _response, reader = await _open(order, _customer(issue_token))
        shed, _ = await _open(order, _customer(issue_token))
        await reader.close()
        return shed

    try:
        shed = asyncio.run(asyncio.wait_for(scenario(), 20))
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))

    assert shed.status_code == 503
    assert shed.json()["error"]["code"] == "overloaded"
    assert int(shed["Retry-After"]) >= 1


def test_without_redis_streams_still_open_within_the_process_ceiling(order, issue_token, redis_down):
    async def scenario():
        opened = [await _open(order, _customer(issue_token)) for _ in range(3)]
        for _response, reader in opened:
            await reader.close()
        return [response.status_code for response, _ in opened]

    assert asyncio.run(asyncio.wait_for(scenario(), 20)) == [200, 200, 200]


def test_a_stream_whose_client_left_before_it_began_gives_its_places_back(order, issue_token):
    """Django closes the response of a client gone before the first byte: the stream's generator
    never runs, so its own end never comes; the close gives back the process's place and the
    user's slot (one kept until it expired held the user at their cap meanwhile)."""
    from common.streams.views import SERVED

    async def scenario():
        statuses = []
        for _ in range(3):  # one more than the cap
            response = await AsyncClient().get(f"/orders/{order['id']}/events", headers=_customer(issue_token))
            statuses.append(response.status_code)
            response.close()
        await asyncio.sleep(0)
        return statuses, SERVED.open

    statuses, still_open = asyncio.run(asyncio.wait_for(scenario(), 20))

    assert statuses == [200, 200, 200]
    assert still_open == 0
