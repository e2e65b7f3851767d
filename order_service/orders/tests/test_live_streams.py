"""The kitchen board's stream and resuming the order's stream, in-process (async views) against the
real MongoDB-compatible server, Redis and the live restaurant service."""

import asyncio

import pytest
from django.test import AsyncClient

from common import faults
from common.testing.sse import in_thread, run
from common.testing.sse import open_stream as _open
from orders.tests.helpers import placed, transition


@pytest.fixture(autouse=True)
def _quick_heartbeat(settings):
    settings.SSE_HEARTBEAT_S = 0.3
    settings.SSE_POLL_INTERVAL_S = 0.1


def _owner(issue_token, menu):
    return {"Authorization": f"Bearer {issue_token('restaurant', sub=menu['owner_id'])}"}


def _customer(issue_token):
    return {"Authorization": f"Bearer {issue_token('customer', sub='c' * 24)}"}


def _board(menu):
    return f"/restaurants/{menu['restaurant']['id']}/orders/events"


def test_the_board_opens_with_every_open_order_then_sends_each_change(api_client, service_headers, menu, issue_token):
    first = placed(api_client, service_headers, menu, key="k1")
    done = placed(api_client, service_headers, menu, key="k2")
    transition(api_client, service_headers, done["id"], "rejected", "restaurant", menu["owner_id"])

    async def scenario():
        board = await _open(_board(menu), _owner(issue_token, menu))
        [snapshot] = await board.next_events(1)
        second = await in_thread(placed, api_client, service_headers, menu, key="k3")
        await in_thread(
            transition, api_client, service_headers, first["id"], "accepted", "restaurant", menu["owner_id"]
        )
        await in_thread(
            api_client.put,
            f"/internal/orders/{first['id']}/courier",
            {"courier_id": "k" * 24, "delivery_id": "d" * 24},
            format="json",
            headers=service_headers,
        )
        await in_thread(
            transition, api_client, service_headers, second["id"], "rejected", "restaurant", menu["owner_id"]
        )
        changes = await board.next_events(4)
        await board.close()
        return snapshot, second, changes

    snapshot, second, changes = run(scenario())

    assert snapshot["event"] == "snapshot"
    assert [o["id"] for o in snapshot["data"]["orders"]] == [first["id"]]  # the rejected one is not on it
    assert set(snapshot["data"]["orders"][0]) >= {"id", "items", "total_cents", "status", "courier_id", "history"}
    assert [(e["event"], e["data"]["id"], e["data"]["status"], e["data"]["courier_id"]) for e in changes] == [
        ("order", second["id"], "placed", None),
        ("order", first["id"], "accepted", None),
        ("order", first["id"], "accepted", "k" * 24),
        ("order", second["id"], "rejected", None),
    ]


def test_only_the_restaurants_owner_opens_its_board(menu, issue_token, actors):
    async def status_of(path, headers):
        return (await AsyncClient().get(path, headers=headers)).status_code, path

    def opened(path, headers):
        status, _ = asyncio.run(status_of(path, headers))
        return status

    other_owner = {"Authorization": f"Bearer {issue_token('restaurant', sub='e' * 24)}"}
    assert opened(_board(menu), {}) == 401
    assert opened(_board(menu), {"Authorization": "Bearer junk"}) == 401
    assert opened(_board(menu), other_owner) == 403
    assert opened(_board(menu), _customer(issue_token)) == 403
    assert opened(_board(menu), {"Authorization": f"Bearer {issue_token('courier')}"}) == 403
    assert opened("/restaurants/" + "f" * 24 + "/orders/events", _owner(issue_token, menu)) == 404
    assert opened("/restaurants/not-an-id/orders/events", _owner(issue_token, menu)) == 404


def test_a_reconnecting_kitchen_gets_exactly_what_it_missed(api_client, service_headers, menu, issue_token):
    order = placed(api_client, service_headers, menu, key="k1")

    async def scenario():
        board = await _open(_board(menu), _owner(issue_token, menu))
        [snapshot] = await board.next_events(1)
        await in_thread(
            transition, api_client, service_headers, order["id"], "accepted", "restaurant", menu["owner_id"]
        )
        [seen] = await board.next_events(1)
        await board.close()  # the tablet drops off the network
        newer = await in_thread(placed, api_client, service_headers, menu, key="k2")
        await in_thread(
            transition, api_client, service_headers, order["id"], "preparing", "restaurant", menu["owner_id"]
        )
        again = await _open(_board(menu), _owner(issue_token, menu), last_event_id=seen["id"])
        missed = await again.next_events(2)
        quiet = await again.nothing_for(1.0)  # heartbeats re-read MongoDB: nothing else to send
        await again.close()
        fresh = await _open(_board(menu), _owner(issue_token, menu), last_event_id="123-0")
        [resnapshot] = await fresh.next_events(1)
        await fresh.close()
        return snapshot, newer, missed, quiet, resnapshot

    _snapshot, newer, missed, quiet, resnapshot = run(scenario())

    assert [(e["data"]["id"], e["data"]["status"]) for e in missed] == [
        (newer["id"], "placed"),
        (order["id"], "preparing"),
    ]
    assert quiet
    assert resnapshot["event"] == "snapshot"
    assert {(o["id"], o["status"]) for o in resnapshot["data"]["orders"]} == {
        (order["id"], "preparing"),
        (newer["id"], "placed"),
    }


def test_a_lost_publish_reaches_the_board_at_the_next_heartbeat(api_client, service_headers, menu, issue_token):
    order = placed(api_client, service_headers, menu, key="k1")

    def accept_and_die_before_publishing():
        with faults.armed("order.transition.after_update", faults.CRASH), pytest.raises(faults.InjectedCrash):
            transition(api_client, service_headers, order["id"], "accepted", "restaurant", menu["owner_id"])

    async def scenario():
        board = await _open(_board(menu), _owner(issue_token, menu))
        await board.next_events(1)
        await in_thread(accept_and_die_before_publishing)
        [event] = await board.next_events(1, wait_s=3)
        await board.close()
        return event

    event = run(scenario())

    assert (event["data"]["id"], event["data"]["status"]) == (order["id"], "accepted")


def test_the_order_stream_resumes_from_its_last_event_id(api_client, service_headers, menu, issue_token):
    order = placed(api_client, service_headers, menu, key="k1")
    path = f"/orders/{order['id']}/events"

    async def scenario():
        stream = await _open(path, _customer(issue_token))
        [current] = await stream.next_events(1)
        await stream.close()
        for status in ("accepted", "preparing"):
            await in_thread(
                transition, api_client, service_headers, order["id"], status, "restaurant", menu["owner_id"]
            )
        again = await _open(path, _customer(issue_token), last_event_id=current["id"])
        missed = await again.next_events(2)
        await in_thread(transition, api_client, service_headers, order["id"], "ready", "restaurant", menu["owner_id"])
        [live] = await again.next_events(1)
        await again.close()
        unknown = await _open(path, _customer(issue_token), last_event_id="1-1")
        [restarted] = await unknown.next_events(1)
        await unknown.close()
        return current, missed, live, restarted

    current, missed, live, restarted = run(scenario())

    assert current["data"]["status"] == "placed"
    assert [e["data"]["status"] for e in missed] == ["accepted", "preparing"]
    assert live["data"]["status"] == "ready"
    assert len({current["id"], *(e["id"] for e in missed), live["id"]}) == 4
    assert (restarted["event"], restarted["data"]["status"]) == ("status", "ready")


def test_a_final_order_resumed_after_its_end_just_ends(api_client, service_headers, menu, issue_token):
    order = placed(api_client, service_headers, menu, key="k1")
    transition(api_client, service_headers, order["id"], "rejected", "restaurant", menu["owner_id"])

    async def scenario():
        stream = await _open(f"/orders/{order['id']}/events", _customer(issue_token))
        events = await stream.until_end()
        again = await _open(f"/orders/{order['id']}/events", _customer(issue_token), last_event_id=events[-1]["id"])
        after = await again.until_end()
        return events, after, again.ended

    events, after, ended = run(scenario())

    assert [e["data"]["status"] for e in events] == ["rejected"]
    assert after == []
    assert ended
