"""The operators' console stream `GET /operator/events`, in-process (an async view) against the real
MongoDB-compatible server, Redis and the live delivery service (the couriers' half of the re-read)."""

import asyncio

import pytest
from bson import ObjectId
from django.test import AsyncClient

from common.contracts import operator_console
from common.testing.sse import in_thread, open_stream, run
from orders.tests.helpers import placed, transition

PATH = "/operator/events"


@pytest.fixture(autouse=True)
def _quick_heartbeat(settings):
    settings.SSE_HEARTBEAT_S = 0.3
    settings.SSE_POLL_INTERVAL_S = 0.1


@pytest.fixture
def operator(issue_token):
    return {"Authorization": f"Bearer {issue_token('operator', sub=str(ObjectId()))}"}


def _open(headers, last_event_id=None):
    return open_stream(PATH, headers, last_event_id)


async def _orders_of(stream, order_ids: set[str], count: int, wait_s: float = 5.0, when=None) -> list[dict]:
    """The next `count` order events about these orders (the city has couriers of other tests), of
    those `when` accepts."""
    found: list[dict] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_s
    while len(found) < count:
        left = deadline - loop.time()
        assert left > 0, f"only {found} of {count} events came"
        for event in await stream.next_events(1, wait_s=left):
            if event["event"] == "order" and event["data"]["id"] in order_ids and (when is None or when(event)):
                found.append(event)
    return found


@pytest.mark.parametrize("kind", ["customer", "restaurant", "courier", "service"])
def test_the_console_stream_is_for_operators_only(issue_token, kind):
    async def status_of(headers):
        return (await AsyncClient().get(PATH, headers=headers)).status_code

    assert run(status_of({"Authorization": f"Bearer {issue_token(kind)}"})) == 403
    assert run(status_of({})) == 401
    assert run(status_of({"Authorization": "Bearer not-a-token"})) == 401


def test_the_console_opens_with_the_city_then_sends_each_change_of_an_order(
    api_client, service_headers, menu, operator, actors
):
    courier_id, courier = actors.user("couriers", "Cleo")
    actors.ok("PATCH", "/couriers/me", headers=courier, json={"available": False})
    first = placed(api_client, service_headers, menu, key="k1")

    async def scenario():
        console = await _open(operator)
        [snapshot] = await console.next_events(1)
        second = await in_thread(placed, api_client, service_headers, menu, key="k2")
        await in_thread(
            transition, api_client, service_headers, first["id"], "accepted", "restaurant", menu["owner_id"]
        )
        await in_thread(
            transition, api_client, service_headers, second["id"], "rejected", "restaurant", menu["owner_id"]
        )
        changes = await _orders_of(console, {first["id"], second["id"]}, 3)
        await console.close()
        return snapshot, second, changes

    snapshot, second, changes = run(scenario())

    assert snapshot["event"] == "snapshot"
    assert snapshot["id"]
    orders = {o["id"]: o for o in snapshot["data"]["orders"]}
    assert orders[first["id"]]["status"] == "placed"
    assert orders[first["id"]]["attention"] == []
    couriers = {c["id"]: c for c in snapshot["data"]["couriers"]}
    assert couriers[courier_id]["name"] == "Cleo"
    assert couriers[courier_id]["state"] == operator_console.OFF_DUTY
    assert set(couriers[courier_id]) >= {"id", "name", "vehicle", "available", "location", "deliveries", "state"}
    assert [(e["event"], e["data"]["id"], e["data"]["status"]) for e in changes] == [
        ("order", second["id"], "placed"),
        ("order", first["id"], "accepted"),
        ("order", second["id"], "rejected"),
    ]
    assert all(e["id"] for e in changes)


def test_attention_reaches_the_console_as_time_passes(api_client, service_headers, menu, operator, settings):
    settings.ATTENTION_ACCEPT_S = 1
    settings.ATTENTION_WAITING_S = 3600
    order = placed(api_client, service_headers, menu, key="k1")

    async def scenario():
        console = await _open(operator)
        [snapshot] = await console.next_events(1)
        [flagged] = await _orders_of(console, {order["id"]}, 1, wait_s=10, when=lambda e: e["data"]["attention"])
        await console.close()
        return snapshot, flagged

    snapshot, flagged = run(scenario())

    shown = {o["id"]: o for o in snapshot["data"]["orders"]}[order["id"]]
    assert shown["attention"] == []  # nothing happened to the order in between: time did
    assert flagged["data"]["attention"] == ["kitchen_slow"]
    assert flagged["data"]["status"] == "placed"


def test_orders_needing_attention_come_first_in_the_snapshot(api_client, service_headers, menu, operator, settings):
    settings.ATTENTION_WAITING_S = 3600
    older = placed(api_client, service_headers, menu, key="k1")
    settings.ATTENTION_ACCEPT_S = 0
    transition(api_client, service_headers, older["id"], "accepted", "restaurant", menu["owner_id"])
    newer = placed(api_client, service_headers, menu, key="k2")  # placed, and at once not accepted in time

    async def scenario():
        console = await _open(operator)
        [snapshot] = await console.next_events(1)
        await console.close()
        return snapshot

    ids = [o["id"] for o in run(scenario())["data"]["orders"] if o["id"] in (older["id"], newer["id"])]

    assert ids == [newer["id"], older["id"]]


def test_a_reconnecting_console_gets_exactly_what_it_missed(api_client, service_headers, menu, operator):
    order = placed(api_client, service_headers, menu, key="k1")

    async def scenario():
        console = await _open(operator)
        [snapshot] = await console.next_events(1)
        await in_thread(
            transition, api_client, service_headers, order["id"], "accepted", "restaurant", menu["owner_id"]
        )
        [seen] = await _orders_of(console, {order["id"]}, 1)
        await console.close()
        newer = await in_thread(placed, api_client, service_headers, menu, key="k2")
        await in_thread(
            transition, api_client, service_headers, order["id"], "preparing", "restaurant", menu["owner_id"]
        )
        again = await _open(operator, last_event_id=seen["id"])
        missed = await _orders_of(again, {order["id"], newer["id"]}, 2)
        await again.close()
        fresh = await _open(operator, last_event_id="123-0")
        [resnapshot] = await fresh.next_events(1)
        await fresh.close()
        return snapshot, seen, newer, missed, resnapshot

    snapshot, seen, newer, missed, resnapshot = run(scenario())

    assert snapshot["event"] == "snapshot"
    assert [(e["data"]["id"], e["data"]["status"]) for e in missed] == [
        (newer["id"], "placed"),
        (order["id"], "preparing"),
    ]
    assert len({seen["id"], *(e["id"] for e in missed)}) == 3
    assert resnapshot["event"] == "snapshot"
    statuses = {o["id"]: o["status"] for o in resnapshot["data"]["orders"]}
    assert (statuses[order["id"]], statuses[newer["id"]]) == ("preparing", "placed")


def test_each_re_read_asks_the_delivery_service_for_the_next_page_of_couriers(monkeypatch):
    """The heartbeat's re-read takes one page of couriers and the next one the time after, going
    round (the delivery service bounds a page: OPERATOR_CONSOLE_COURIERS_PAGE)."""
    from orders import clients, console

    def courier(courier_id):
        return {"id": courier_id, "name": courier_id, "vehicle": "", "available": True, "location": None}

    pages = {None: ([courier("a"), courier("b")], "b"), "b": ([courier("c")], None)}
    asked = []

    def console_couriers(*, after):
        asked.append(after)
        return pages[after]

    monkeypatch.setattr(clients, "console_couriers", console_couriers)
    spec = console.OperatorConsole()
    watched = {operator_console.SUBJECT: set()}

    shown = [
        sorted(e.key for e in spec.truth(watched)[operator_console.SUBJECT] if e.event == "courier") for _ in range(3)
    ]

    assert asked == [None, "b", None]
    assert shown == [["courier:a", "courier:b"], ["courier:c"], ["courier:a", "courier:b"]]
