"""The live event stream, in-process (async view) against the real MongoDB-compatible server and Redis."""

import asyncio
import json
import time

import pytest
from django.test import AsyncClient

from orders.tests.helpers import placed, transition


@pytest.fixture
def order(api_client, service_headers, menu):
    return placed(api_client, service_headers, menu, customer_id="c" * 24)


@pytest.fixture(autouse=True)
def _fast_polling(settings):
    settings.SSE_POLL_INTERVAL_S = 0.1


def _parse(raw: bytes) -> list[str]:
    """The statuses of the `status` events (location events carry none)."""
    data = [json.loads(line[5:]) for line in raw.decode().splitlines() if line.startswith("data:")]
    return [d["status"] for d in data if "status" in d]


def _follow(order_id, headers, moves, *, stop_after: int | None = None):
    """Opens the stream, then makes `moves` (sync callables) from a thread; returns (ended, raw bytes).

    `ended` says whether the server closed the stream; with `stop_after` the client stops reading
    after that many events.
    """

    async def scenario():
        response = await AsyncClient().get(f"/orders/{order_id}/events", headers=headers)
        assert response["Content-Type"] == "text/event-stream"
        iterator = response.streaming_content.__aiter__()
        received = b""
        while b"data:" not in received:  # the current status arrives before anything moves
            received += await iterator.__anext__()
        mover = asyncio.get_running_loop().run_in_executor(None, lambda: [move() for move in moves])
        ended = True
        async for chunk in iterator:
            received += chunk
            if stop_after is not None and len(_parse(received)) >= stop_after:
                ended = False
                break
        await mover
        return ended, received

    return asyncio.run(asyncio.wait_for(scenario(), timeout=20))


def _customer(issue_token):
    return {"Authorization": f"Bearer {issue_token('customer', sub='c' * 24)}"}


def _by_restaurant(api_client, service_headers, menu, order, *statuses):
    return [
        (lambda s=s: transition(api_client, service_headers, order["id"], s, "restaurant", menu["owner_id"]))
        for s in statuses
    ]


def test_the_current_status_comes_first_then_each_transition(api_client, service_headers, menu, order, issue_token):
    moves = _by_restaurant(api_client, service_headers, menu, order, "accepted", "preparing", "ready")

    _ended, raw = _follow(order["id"], _customer(issue_token), moves, stop_after=4)

    assert _parse(raw) == ["placed", "accepted", "preparing", "ready"]
    first = json.loads(raw.decode().split("data: ", 1)[1].split("\n", 1)[0])
    assert set(first) == {"order_id", "status", "at", "courier_id"}
    assert b"event: status" in raw


def test_the_stream_ends_after_a_final_state(api_client, service_headers, menu, order, issue_token):
    ended, raw = _follow(
        order["id"], _customer(issue_token), _by_restaurant(api_client, service_headers, menu, order, "rejected")
    )

    assert ended
    assert _parse(raw) == ["placed", "rejected"]


def test_a_final_order_streams_its_status_once_and_ends(api_client, service_headers, menu, order, issue_token):
    transition(api_client, service_headers, order["id"], "rejected", "restaurant", menu["owner_id"])

    ended, raw = _follow(order["id"], _customer(issue_token), [])

    assert ended
    assert _parse(raw) == ["rejected"]


def test_without_redis_the_stream_polls_mongodb(api_client, service_headers, menu, order, issue_token, redis_down):
    def move_then_wait(status):
        transition(api_client, service_headers, order["id"], status, "restaurant", menu["owner_id"])
        time.sleep(0.5)  # longer than a poll, so each state is seen (polling can merge quick moves)

    _ended, raw = _follow(
        order["id"],
        _customer(issue_token),
        [lambda: move_then_wait("accepted"), lambda: move_then_wait("preparing")],
        stop_after=3,
    )

    assert _parse(raw) == ["placed", "accepted", "preparing"]


def test_heartbeats_keep_an_idle_stream_open(api_client, service_headers, menu, order, issue_token, settings):
    settings.SSE_HEARTBEAT_S = 0.2

    def pause_then_reject():
        time.sleep(0.7)
        transition(api_client, service_headers, order["id"], "rejected", "restaurant", menu["owner_id"])

    _ended, raw = _follow(order["id"], _customer(issue_token), [pause_then_reject])

    assert b": heartbeat" in raw
    assert _parse(raw) == ["placed", "rejected"]


def test_the_restaurant_owner_may_follow_too(api_client, service_headers, menu, order, issue_token):
    owner = {"Authorization": f"Bearer {issue_token('restaurant', sub=menu['owner_id'])}"}

    _ended, raw = _follow(order["id"], owner, _by_restaurant(api_client, service_headers, menu, order, "rejected"))

    assert _parse(raw) == ["placed", "rejected"]


def test_only_the_orders_parties_may_follow_it(order, issue_token):
    async def status_of(headers):
        return (await AsyncClient().get(f"/orders/{order['id']}/events", headers=headers)).status_code

    def run(headers):
        return asyncio.run(status_of(headers))

    assert run({}) == 401
    assert run({"Authorization": "Bearer junk"}) == 401
    assert run({"Authorization": f"Bearer {issue_token('customer', sub='d' * 24)}"}) == 404
    assert run({"Authorization": f"Bearer {issue_token('courier', sub='k' * 24)}"}) == 404
    assert run({"Authorization": f"Bearer {issue_token('service')}"}) == 403

    async def opened(path):
        return (await AsyncClient().get(path, headers=_customer(issue_token))).status_code

    assert asyncio.run(opened("/orders/" + "f" * 24 + "/events")) == 404
    assert asyncio.run(opened("/orders/not-an-id/events")) == 404


def test_streams_opened_at_once_each_show_their_own_order(api_client, service_headers, menu, issue_token):
    """Opens arriving together share their reads (common/batching.py): each still gets its own order,
    and a stranger among them still gets 404."""
    customers = [f"{n:x}" * 24 for n in range(1, 7)]
    orders = [placed(api_client, service_headers, menu, customer_id=c) for c in customers]
    for made in orders[::2]:
        transition(api_client, service_headers, made["id"], "accepted", "restaurant", menu["owner_id"])

    async def first_status(order_id: str, customer_id: str):
        headers = {"Authorization": f"Bearer {issue_token('customer', sub=customer_id)}"}
        response = await AsyncClient().get(f"/orders/{order_id}/events", headers=headers)
        if response.status_code != 200:
            return response.status_code
        received = b""
        async for chunk in response.streaming_content:
            received += chunk
            if b"data:" in received:
                return json.loads(received.split(b"data:", 1)[1].split(b"\n", 1)[0])
        return None  # ended before its first event

    async def storm():
        opens = [first_status(o["id"], c) for o, c in zip(orders, customers, strict=True)]
        return await asyncio.gather(*opens, first_status(orders[0]["id"], "e" * 24))

    *seen, stranger = asyncio.run(asyncio.wait_for(storm(), timeout=20))

    assert [(s["order_id"], s["status"]) for s in seen] == [
        (o["id"], "accepted" if n % 2 == 0 else "placed") for n, o in enumerate(orders)
    ]
    assert stranger == 404


def test_a_lost_publish_reaches_the_stream_at_the_next_heartbeat(
    api_client, service_headers, menu, order, issue_token, settings
):
    """The process that moved the order dies before publishing: MongoDB has the new status, Redis
    never hears of it. The stream re-reads the order every heartbeat, so it still arrives."""
    from common import faults

    settings.SSE_HEARTBEAT_S = 0.3

    def reject_and_die_before_publishing():
        with faults.armed("order.transition.after_update", faults.CRASH), pytest.raises(faults.InjectedCrash):
            transition(api_client, service_headers, order["id"], "rejected", "restaurant", menu["owner_id"])

    started = time.monotonic()
    ended, raw = _follow(order["id"], _customer(issue_token), [reject_and_die_before_publishing])

    assert ended
    assert _parse(raw) == ["placed", "rejected"]
    assert time.monotonic() - started < 5


def _assign(api_client, service_headers, order, courier_id="k" * 24):
    response = api_client.put(
        f"/internal/orders/{order['id']}/courier",
        {"courier_id": courier_id, "delivery_id": "d" * 24},
        format="json",
        headers=service_headers,
    )
    assert response.status_code == 200, response.content


_last_version = [0]


def _published_position(redis_client, order_id, courier_id, lat=52.38, lng=4.9, eta_s=240, publish=False):
    """What the delivery service publishes for the followers of the order (deliveries/tracking.py)."""
    from common.contracts import order_location, order_stream

    event = json.dumps(
        {
            "order_id": order_id,
            "courier_id": courier_id,
            "lat": lat,
            "lng": lng,
            "at": "2026-11-24T12:00:00+00:00",
            "eta_s": eta_s,
        }
    )
    redis_client.set(order_location.key(order_id), event)
    if publish:
        from common import streams

        # Versions only grow, as the delivery service's do: two publishes in one millisecond must
        # not share one (the second would be dropped as already seen).
        version = _last_version[0] = max(int(time.time() * 1000), _last_version[0] + 1)
        entry = streams.Entry(key=order_stream.LOCATION, version=version, event="location", data=json.loads(event))
        streams.publish([(order_stream.topic(order_id), [entry])])


def test_the_order_shows_where_its_courier_is_and_when_they_arrive(
    api_client, service_headers, order, issue_token, redis_client
):
    customer = _customer(issue_token)
    unassigned = api_client.get(f"/orders/{order['id']}", headers=customer).json()
    _assign(api_client, service_headers, order)
    _published_position(redis_client, order["id"], "k" * 24)

    shown = api_client.get(f"/orders/{order['id']}", headers=customer).json()

    assert (unassigned["courier_location"], unassigned["eta_s"]) == (None, None)
    assert shown["courier_location"] == {"lat": 52.38, "lng": 4.9, "at": "2026-11-24T12:00:00+00:00"}
    assert shown["eta_s"] == 240


def test_another_couriers_position_is_never_shown(api_client, service_headers, order, issue_token, redis_client):
    _assign(api_client, service_headers, order)
    _published_position(redis_client, order["id"], "j" * 24)

    shown = api_client.get(f"/orders/{order['id']}", headers=_customer(issue_token)).json()

    assert shown["courier_location"] is None


def test_the_stream_carries_the_couriers_position(
    api_client, service_headers, menu, order, issue_token, redis_client, settings
):
    settings.SSE_HEARTBEAT_S = 0.3
    _assign(api_client, service_headers, order)

    def courier_moves_then_restaurant_rejects():
        time.sleep(0.3)
        _published_position(redis_client, order["id"], "j" * 24, publish=True)  # not this order's courier
        _published_position(redis_client, order["id"], "k" * 24, publish=True)
        time.sleep(0.3)
        transition(api_client, service_headers, order["id"], "rejected", "restaurant", menu["owner_id"])

    _ended, raw = _follow(order["id"], _customer(issue_token), [courier_moves_then_restaurant_rejects])

    text = raw.decode()
    locations = [
        json.loads(line[5:])
        for block in text.split("\n\n")
        if "event: location" in block
        for line in block.splitlines()
        if line.startswith("data:")
    ]
    assert locations == [
        {
            "order_id": order["id"],
            "courier_id": "k" * 24,
            "lat": 52.38,
            "lng": 4.9,
            "at": "2026-11-24T12:00:00+00:00",
            "eta_s": 240,
        }
    ]
    assert _parse(raw)[-1] == "rejected"
