"""Overload is shed, not timed out, and never locks everyone out (ARCHITECTURE 4.4): a service's
deliberate 503 is no failure of its circuit, and a storm of failing stream opens has a circuit of
its own, apart from the upstream's ordinary requests."""

import asyncio

from django.test import AsyncClient

from common.errors import OVERLOADED_HEADER


def test_an_upstream_shedding_load_never_opens_its_circuit(echo, run_async, settings):
    settings.BREAKER_FAILURE_THRESHOLD = 2
    echo.forced = (503, {OVERLOADED_HEADER: "true", "Retry-After": "3", "Content-Type": "application/json"})

    async def scenario():
        client = AsyncClient()
        return [await client.get("/restaurants") for _ in range(6)]

    responses = run_async(scenario())

    assert [r.status_code for r in responses] == [503] * 6
    assert len(echo.received) == 6  # every one reached it: the circuit stayed closed
    assert {r["Retry-After"] for r in responses} == {"3"}  # its jittered wait, passed on


def test_an_upstream_failing_for_real_still_opens_it(echo, run_async, settings):
    settings.BREAKER_FAILURE_THRESHOLD = 2
    echo.forced = (503, {"Content-Type": "application/json"})

    async def scenario():
        client = AsyncClient()
        return [await client.get("/restaurants") for _ in range(4)]

    run_async(scenario())

    assert len(echo.received) == 2  # then the gateway answered by itself


def test_failing_stream_opens_never_lock_out_the_upstreams_ordinary_requests(echo, run_async, settings, issue_token):
    settings.BREAKER_FAILURE_THRESHOLD = 2
    headers = {"Authorization": f"Bearer {issue_token('customer')}"}
    reachable = settings.UPSTREAMS["order"]
    settings.UPSTREAMS = {**settings.UPSTREAMS, "order": "http://127.0.0.1:9"}  # the storm: nothing connects

    async def scenario():
        client = AsyncClient()
        storm = [await client.get(f"/orders/o{n}/events", headers=headers) for n in range(5)]
        settings.UPSTREAMS = {**settings.UPSTREAMS, "order": reachable}  # it catches up
        ordinary = await client.get("/orders/abc", headers=headers)
        stream_now = await client.get("/orders/abc/events", headers=headers)
        return storm, ordinary, stream_now

    storm, ordinary, stream_now = run_async(scenario())

    assert {r.status_code for r in storm} == {503}
    assert ordinary.status_code == 200  # its own circuit saw nothing wrong
    assert stream_now.status_code == 503  # the streams' circuit is open until its reset...
    assert int(stream_now["Retry-After"]) >= 1


def test_a_gateway_relaying_its_ceiling_of_streams_sheds_the_next_until_one_ends(
    echo, run_async, settings, issue_token
):
    from edge import proxy

    settings.SSE_MAX_STREAMS_PER_PROCESS = 2
    headers = {"Authorization": f"Bearer {issue_token('customer')}"}

    async def scenario():
        client = AsyncClient()
        first = await client.get("/orders/a/events", headers=headers)
        second = await client.get("/orders/b/events", headers=headers)
        third = await client.get("/orders/c/events", headers=headers)
        first.close()  # a client gone: its slot is given back
        fourth = await client.get("/orders/d/events", headers=headers)
        relayed = b"".join([chunk async for chunk in second.streaming_content])  # ends by itself
        fifth = await client.get("/orders/e/events", headers=headers)
        fourth.close()
        fifth.close()
        return first, second, third, fourth, fifth, relayed

    first, second, third, fourth, fifth, relayed = run_async(scenario())

    assert (first.status_code, second.status_code) == (200, 200)
    assert third.status_code == 503
    assert third[OVERLOADED_HEADER] == "true"
    assert 1 <= int(third["Retry-After"]) <= settings.SSE_SHED_RETRY_MAX_S
    assert third.json()["error"]["code"] == "overloaded"
    assert (fourth.status_code, fifth.status_code) == (200, 200)
    assert relayed == b"data: 0\n\ndata: 1\n\ndata: 2\n\n"
    assert proxy.RELAYED.open == 0
    assert len([r for r in echo.received if r["path"].endswith("/events")]) == 4  # the shed one never left


def test_stream_opens_waiting_for_their_upstream_are_bounded_and_the_rest_shed_fast(
    echo, run_async, settings, issue_token
):
    settings.SSE_MAX_OPENING_PER_PROCESS = 2
    echo.delay_s = 0.5  # the upstream is slow to answer: opens pile up at the gateway
    headers = {"Authorization": f"Bearer {issue_token('customer')}"}

    async def scenario():
        client = AsyncClient()
        responses = await asyncio.gather(*(client.get(f"/orders/o{n}/events", headers=headers) for n in range(5)))
        for response in responses:
            response.close()
        echo.delay_s = 0.0
        later = await client.get("/orders/o9/events", headers=headers)
        later.close()
        return responses, later

    responses, later = run_async(scenario())

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 200, 503, 503, 503]
    assert {r[OVERLOADED_HEADER] for r in responses if r.status_code == 503} == {"true"}
    assert later.status_code == 200  # the bound is on opens in flight, not a lockout


def test_a_stream_open_the_upstream_refuses_is_answered_whole_not_relayed_as_a_stream(
    echo, run_async, settings, issue_token, caplog
):
    """In a storm most opens are refused: each refusal relayed as a stream cost a relay, a task
    watching for a hang-up and a stream's close; answered whole it is an ordinary response."""
    from edge.proxy import RELAYED

    echo.forced = (503, {OVERLOADED_HEADER: "true", "Retry-After": "2", "Content-Type": "application/json"})
    headers = {"Authorization": f"Bearer {issue_token('customer')}"}

    async def scenario():
        return await AsyncClient().get("/orders/abc/events", headers=headers)

    response = run_async(scenario())

    assert response.status_code == 503
    assert not response.streaming
    assert response["Retry-After"] == "2"
    assert response[OVERLOADED_HEADER] == "true"
    assert RELAYED.open == 0
    # Shed where it was, counted there: no error line per refusal here either.
    assert not [r for r in caplog.records if r.name == "django.request"]


def test_an_open_circuit_logs_its_opening_once_not_an_error_per_refusal(echo, run_async, settings, caplog):
    """In a storm the streams' circuit refused thousands of opens a second, each written as an ERROR
    line (a tenth of a gateway worker's time); the failures that open it are still logged."""
    import logging

    settings.BREAKER_FAILURE_THRESHOLD = 2
    settings.UPSTREAMS = {**settings.UPSTREAMS, "restaurant": "http://127.0.0.1:9"}  # nothing connects
    caplog.set_level(logging.INFO)

    async def scenario():
        client = AsyncClient()
        return [await client.get("/restaurants") for _ in range(6)]

    responses = run_async(scenario())

    assert [r.status_code for r in responses] == [503] * 6
    errors = [r for r in caplog.records if r.name == "django.request"]
    assert len(errors) == 2  # the two failures, not the four refusals after them
    opened = [r for r in caplog.records if r.getMessage() == "circuit opened"]
    assert [(r.levelno, r.upstream) for r in opened] == [(logging.WARNING, "restaurant")]
