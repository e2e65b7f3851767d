"""The courier's live task feed (`/couriers/me/events`), in-process against the real servers and
the live order service.

The live order service tells the live delivery service (not this in-process one) about order
moves, so here the order's status reaches a delivery either as that internal message, sent by the
test as the order service would, or through this process's reconciler: both paths are checked.
"""

import asyncio

import pytest
from django.test import AsyncClient

from common.testing.sse import SseReader
from deliveries import dispatch


@pytest.fixture(autouse=True)
def _quick_heartbeat(settings):
    settings.SSE_HEARTBEAT_S = 0.3
    settings.SSE_POLL_INTERVAL_S = 0.1


async def _feed(headers, last_event_id=None):
    if last_event_id is not None:
        headers = {**headers, "Last-Event-ID": last_event_id}
    response = await AsyncClient().get("/couriers/me/events", headers=headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/event-stream"
    return SseReader.of_response(response)


def run(coroutine):
    return asyncio.run(asyncio.wait_for(coroutine, 30))


async def _deliveries(feed, count: int) -> list[dict]:
    """The next `count` `delivery` events (the `route` events between them are the route's own test's)."""
    found = []
    while len(found) < count:
        [event] = await feed.next_events(1)
        if event["event"] == "delivery":
            found.append(event)
    return found


async def _no_delivery_for(feed, seconds: float) -> bool:
    return all(event["event"] == "route" for event in await feed.drain(seconds))


def in_thread(fn, *args, **kwargs):
    return asyncio.get_running_loop().run_in_executor(None, lambda: fn(*args, **kwargs))


def _online(api_client, headers):
    response = api_client.patch("/couriers/me", {"available": True}, format="json", headers=headers)
    assert response.status_code == 200, response.content


def _order_moved(api_client, service_headers, order):
    """What the order service sends after a transition of an order with a courier."""
    move = {
        "id": order["id"],
        "delivery_id": order["delivery_id"],
        "status": order["status"],
        "version": order["version"],
    }
    response = api_client.post(
        "/internal/deliveries/order-status", {"orders": [move]}, format="json", headers=service_headers
    )
    assert response.status_code == 204, response.content


async def _opening(headers) -> list[dict]:
    """What a feed opened now starts with."""
    feed = await _feed(headers)
    events = await feed.next_events(1)
    await feed.close()
    return events


def _snapshot_and_next(headers, *meanwhile) -> tuple[dict, dict]:
    """A feed's snapshot, and the event it sends after these calls (run in turn, each on a thread)."""

    async def scenario():
        feed = await _feed(headers)
        [snapshot] = await feed.next_events(1)
        for call in meanwhile:
            await in_thread(call)
        [after] = await feed.next_events(1)
        await feed.close()
        return snapshot, after

    return run(scenario())


@pytest.fixture
def service_headers(issue_token):
    return {"Authorization": f"Bearer {issue_token('service', sub='order')}"}


def test_a_courier_is_told_of_their_delivery_and_that_it_is_ready(
    api_client, actors, kitchen, place_order, courier, restaurant_moves, service_headers
):
    _courier_id, headers = courier
    api_client.get("/couriers/me", headers=headers)
    order = place_order()

    async def scenario():
        feed = await _feed(headers)
        [snapshot] = await feed.next_events(1)
        await in_thread(_online, api_client, headers)
        [assigned] = await _deliveries(feed, 1)
        await in_thread(restaurant_moves, order["id"], "accepted", "preparing", "ready")
        ready = await in_thread(actors.ok, "GET", f"/orders/{order['id']}", headers=kitchen["customer_headers"])
        await in_thread(_order_moved, api_client, service_headers, ready)
        [go_now] = await _deliveries(feed, 1)
        await in_thread(_order_moved, api_client, service_headers, {**ready, "status": "accepted", "version": 2})
        late_message_ignored = await _no_delivery_for(feed, 0.8)
        await feed.close()
        return snapshot, assigned, go_now, late_message_ignored

    snapshot, assigned, go_now, late_message_ignored = run(scenario())

    assert snapshot == {
        "id": snapshot["id"],
        "event": "snapshot",
        "data": {"delivery": None, "deliveries": [], "route": []},
    }
    assert assigned["event"] == "delivery"
    assert (assigned["data"]["order_id"], assigned["data"]["status"]) == (order["id"], "assigned")
    assert assigned["data"]["order_status"] == "placed"
    assert {"id", "order_id", "courier_id", "status", "pickup", "dropoff", "created_at"} <= set(assigned["data"])
    assert (go_now["data"]["status"], go_now["data"]["order_status"]) == ("assigned", "ready")
    assert late_message_ignored


def test_the_reconciler_tells_the_courier_what_a_lost_message_did_not(
    api_client, actors, kitchen, place_order, courier, restaurant_moves
):
    _courier_id, headers = courier
    order = place_order()
    _online(api_client, headers)

    snapshot, accepted = _snapshot_and_next(
        headers,
        lambda: restaurant_moves(order["id"], "accepted"),  # the message goes to another process
        dispatch.reconcile,
    )

    assert snapshot["data"]["delivery"]["order_status"] == "placed"
    assert accepted["data"]["order_status"] == "accepted"


def test_a_courier_whose_order_is_cancelled_is_told_they_are_free(api_client, actors, kitchen, place_order, courier):
    _courier_id, headers = courier
    order = place_order()
    _online(api_client, headers)

    snapshot, released = _snapshot_and_next(
        headers,
        lambda: actors.ok("POST", f"/orders/{order['id']}/cancel", headers=kitchen["customer_headers"]),
        lambda: dispatch.release(order_id=order["id"]),  # the order service's kick, as it would arrive
    )
    [fresh] = run(_opening(headers))

    assert snapshot["data"]["delivery"]["order_id"] == order["id"]
    assert (released["data"]["status"], released["data"]["order_status"]) == ("cancelled", "cancelled")
    assert fresh["data"] == {"delivery": None, "deliveries": [], "route": []}
    assert api_client.get("/couriers/me", headers=headers).json()["active_order_id"] is None


def test_a_reconnecting_courier_gets_exactly_what_they_missed(
    api_client, actors, kitchen, place_order, courier, restaurant_moves
):
    _courier_id, headers = courier
    order = place_order()

    async def scenario():
        feed = await _feed(headers)
        [snapshot] = await feed.next_events(1)
        await feed.close()  # the phone switches networks
        await in_thread(_online, api_client, headers)
        await in_thread(restaurant_moves, order["id"], "accepted")
        await in_thread(dispatch.reconcile)
        again = await _feed(headers, last_event_id=snapshot["id"])
        missed = await _deliveries(again, 2)
        quiet = await _no_delivery_for(again, 0.8)
        await again.close()
        return missed, quiet

    missed, quiet = run(scenario())

    assert [(e["data"]["status"], e["data"]["order_status"]) for e in missed] == [
        ("assigned", "placed"),
        ("assigned", "accepted"),
    ]
    assert quiet


def test_a_courier_sees_only_their_own_deliveries(api_client, actors, place_order, courier):
    _, headers = courier
    _other_id, other_headers = actors.user("couriers", "Noor")
    api_client.get("/couriers/me", headers=other_headers)
    place_order()

    async def scenario():
        other = await _feed(other_headers)
        await other.next_events(1)
        await in_thread(_online, api_client, headers)
        quiet = await other.nothing_for(0.8)
        await other.close()
        return quiet

    assert run(scenario())


def test_the_feed_is_for_couriers_only(issue_token):
    async def status_of(headers):
        return (await AsyncClient().get("/couriers/me/events", headers=headers)).status_code

    def opened(headers):
        return asyncio.run(status_of(headers))

    assert opened({}) == 401
    assert opened({"Authorization": "Bearer junk"}) == 401
    for kind in ("customer", "restaurant", "service"):
        assert opened({"Authorization": f"Bearer {issue_token(kind)}"}) == 403
