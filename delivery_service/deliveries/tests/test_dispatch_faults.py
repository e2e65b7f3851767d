"""Faults injected at every write and every internal call of assignment, release and delivery:
after each, one reconciler pass must restore every invariant (ARCHITECTURE 4.3).

The delivery service runs in-process (its faults can be armed); the order service is the live one.
Outcomes are checked as clients see them: orders through the gateway, couriers and deliveries
through this service's public routes, by `common.testing.invariants`.
"""

from __future__ import annotations

import contextlib

import pytest

from common import faults
from common.testing.invariants import dispatch_violations
from deliveries import dispatch, tracking


@pytest.fixture
def _loops_running():
    """No background loop here: each pass runs in the test, where its injected crash is seen."""


@pytest.fixture
def world(api_client, actors, kitchen):
    """Two couriers of this test, and a `call` that sends courier routes to this service."""
    couriers = [actors.user("couriers", f"Kai{n}")[1] for n in range(2)]

    def call(method: str, path: str, headers: dict | None = None, **kwargs):
        if path.startswith(("/couriers", "/deliveries")):
            return api_client.generic(method, path, headers=headers, **kwargs)
        return actors.call(method, path, headers=headers, **kwargs)

    def go_online(headers: dict) -> None:
        """The courier goes on duty, then the dispatch pass their kick asks for runs, here."""
        assert api_client.patch("/couriers/me", {"available": True}, format="json", headers=headers).status_code == 200
        dispatch.dispatch()

    def violations() -> list[str]:
        return dispatch_violations(call, customers=[kitchen["customer_headers"]], couriers=couriers)

    def active_order(headers: dict) -> str | None:
        return api_client.get("/couriers/me", headers=headers).json()["active_order_id"]

    def deliveries(headers: dict) -> list[dict]:
        return api_client.get("/deliveries", headers=headers).json()["results"]

    return {
        "couriers": couriers,
        "go_online": go_online,
        "violations": violations,
        "active_order": active_order,
        "deliveries": deliveries,
    }


@pytest.mark.parametrize(
    ("point", "mode"),
    [
        ("dispatch.after_claim", faults.CRASH),
        ("dispatch.after_delivery", faults.CRASH),
        ("dispatch.project", faults.CRASH_BEFORE),
        ("dispatch.project", faults.TIMEOUT_AFTER),
    ],
)
def test_an_assignment_interrupted_anywhere_converges(world, place_order, point, mode):
    first, second = place_order(), place_order()
    with faults.armed(point, mode):
        if mode == faults.TIMEOUT_AFTER:
            world["go_online"](world["couriers"][0])
        else:
            with pytest.raises(faults.InjectedCrash):
                world["go_online"](world["couriers"][0])
    # Nothing was undone: the claimed courier still holds the order, even when the outcome was unknown.
    assert world["active_order"](world["couriers"][0]) == first["id"]

    dispatch.reconcile()
    world["go_online"](world["couriers"][1])

    assert world["violations"]() == []
    assert {world["active_order"](h) for h in world["couriers"]} == {first["id"], second["id"]}


def test_a_leftover_claim_on_the_oldest_order_does_not_stop_dispatch(world, place_order):
    """What a delivery process that died between its two writes leaves behind."""
    first, second = place_order(), place_order()
    with faults.armed("dispatch.after_claim", faults.CRASH), pytest.raises(faults.InjectedCrash):
        world["go_online"](world["couriers"][0])

    world["go_online"](world["couriers"][1])  # a plain dispatch pass, no reconciler

    assert world["active_order"](world["couriers"][1]) == second["id"]
    assert world["active_order"](world["couriers"][0]) == first["id"]
    dispatch.reconcile()
    assert world["violations"]() == []


@pytest.mark.parametrize(
    ("point", "mode"), [("release.after_delivery_update", faults.CRASH), ("dispatch.project", faults.CRASH_BEFORE)]
)
def test_a_cancelled_order_frees_its_courier_without_the_release_message(
    world, place_order, actors, kitchen, point, mode
):
    """The order service's release kick never arrives (the delivery service was down or paused),
    or the release dies half-way: the reconciler frees the courier and gives them the next order."""
    first = place_order()
    courier = world["couriers"][0]
    world["go_online"](courier)
    assert world["active_order"](courier) == first["id"]
    actors.ok("POST", f"/orders/{first['id']}/cancel", headers=kitchen["customer_headers"])  # no kick reaches us
    second = place_order()

    with faults.armed(point, mode), contextlib.suppress(faults.InjectedCrash):
        dispatch.reconcile()
    dispatch.reconcile()

    assert world["active_order"](courier) == second["id"]
    deliveries = {d["order_id"]: d["status"] for d in world["deliveries"](courier)}
    assert deliveries[first["id"]] == "cancelled"
    assert world["violations"]() == []


@pytest.mark.parametrize(
    ("point", "mode"),
    [
        ("advance.order_transition", faults.CRASH_BEFORE),
        ("advance.order_transition", faults.TIMEOUT_AFTER),
        ("advance.after_order_transition", faults.CRASH),
        ("advance.after_delivery_update", faults.CRASH),
    ],
)
def test_a_delivery_interrupted_anywhere_converges(
    world, place_order, api_client, actors, kitchen, restaurant_moves, point, mode
):
    order = place_order()
    courier = world["couriers"][0]
    world["go_online"](courier)
    restaurant_moves(order["id"], "accepted", "preparing", "ready")
    delivery = world["deliveries"](courier)[0]
    status = f"/deliveries/{delivery['id']}/status"
    assert api_client.post(status, {"status": "picked_up"}, format="json", headers=courier).status_code == 200

    with faults.armed(point, mode), contextlib.suppress(faults.InjectedCrash):
        answer = api_client.post(status, {"status": "delivered"}, format="json", headers=courier)
        assert answer.status_code in (200, 503, 504)  # a timeout: the courier does not know
    dispatch.reconcile()
    retried = api_client.post(status, {"status": "delivered"}, format="json", headers=courier)

    assert retried.status_code in (200, 409)
    assert world["deliveries"](courier)[0]["status"] == "delivered"
    assert actors.ok("GET", f"/orders/{order['id']}", headers=kitchen["customer_headers"])["status"] == "delivered"
    assert world["active_order"](courier) is None
    assert world["violations"]() == []


def test_a_courier_acting_between_the_claim_and_the_projection_is_not_told_not_found(
    world, place_order, api_client, restaurant_moves
):
    """The courier sees the delivery as soon as it exists, a moment before the order names them (a
    crash here makes that moment last until the reconciler). Picking up then must work, not 404."""
    order = place_order()
    with faults.armed("dispatch.after_delivery", faults.CRASH), pytest.raises(faults.InjectedCrash):
        world["go_online"](world["couriers"][0])
    restaurant_moves(order["id"], "accepted", "preparing", "ready")
    [delivery] = world["deliveries"](world["couriers"][0])

    picked_up = api_client.post(
        f"/deliveries/{delivery['id']}/status", {"status": "picked_up"}, format="json", headers=world["couriers"][0]
    )

    assert picked_up.status_code == 200, picked_up.content
    assert picked_up.json()["status"] == "picked_up"
    assert world["violations"]() == []


def test_a_finished_delivery_that_redis_still_holds_stops_reaching_its_customer(
    world, place_order, api_client, restaurant_moves, redis_client
):
    """The write that drops a finished delivery from the courier's tasks in Redis is lost (Redis
    blinked): the reconciler drops it, so the courier's next positions no longer go to that order's
    customer, while another courier's live task stays."""
    done, live = place_order(), place_order()
    first, second = world["couriers"]
    world["go_online"](first)
    world["go_online"](second)
    restaurant_moves(done["id"], "accepted", "preparing", "ready")
    [delivery] = [d for d in world["deliveries"](first) + world["deliveries"](second) if d["order_id"] == done["id"]]
    courier = first if delivery in world["deliveries"](first) else second
    courier_id = api_client.get("/couriers/me", headers=courier).json()["id"]
    left_behind = redis_client.hget(tracking.tasks_key(), courier_id)
    for step in ("picked_up", "delivered"):
        api_client.post(f"/deliveries/{delivery['id']}/status", {"status": step}, format="json", headers=courier)
    redis_client.hset(tracking.tasks_key(), courier_id, left_behind)  # the removal that was lost

    dispatch.reconcile()

    assert redis_client.hget(tracking.tasks_key(), courier_id) is None
    others = [c for c in world["couriers"] if c is not courier]
    other_id = api_client.get("/couriers/me", headers=others[0]).json()["id"]
    assert live["id"] in redis_client.hget(tracking.tasks_key(), other_id)
