"""A real service process paused (SIGSTOP) for longer than its callers' read timeout, the way a GC
pause, an overloaded node or a network partition would, while couriers come online or an order is
cancelled. Afterwards the invariants hold, checked through the gateway as clients see them.

This module starts a platform of its own (pausing the shared one would disturb other tests).
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from common.testing.invariants import wait_for_dispatch_invariants
from common.testing.live import LiveActors, LivePlatform

PAUSE_S = 7.0  # longer than HTTP_READ_TIMEOUT_S (5 s)


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    platform = LivePlatform(
        tmp_path_factory.mktemp("paused"), extra_env={"DISPATCH_SWEEP_S": "1"}, own_redis=True
    ).start()
    yield platform
    platform.stop()


@pytest.fixture
def actors(platform):
    return LiveActors(platform.url("gateway"))


@pytest.fixture
def kitchen(actors):
    _owner_id, owner_headers = actors.user("restaurants", "Chef")
    world = actors.restaurant_with_menu(owner_headers)
    _customer_id, customer_headers, address_id = actors.customer_with_address()
    return {**world, "customer_headers": customer_headers, "address_id": address_id}


def _paused(platform, service: str, seconds: float):
    platform.stack.pause(service)
    return lambda: (time.sleep(seconds), platform.stack.resume(service))


def _until(predicate, timeout_s: float = 20.0):
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.2)


def test_couriers_coming_online_while_the_order_service_pauses(platform, actors, kitchen):
    orders = [actors.place_order(kitchen["customer_headers"], kitchen, kitchen["address_id"]) for _ in range(3)]
    couriers = [actors.user("couriers", f"Kai{n}")[1] for n in range(3)]

    resume = _paused(platform, "order", PAUSE_S)
    try:
        with ThreadPoolExecutor(max_workers=3) as pool:
            answers = list(
                pool.map(lambda h: actors.call("PATCH", "/couriers/me", headers=h, json={"available": True}), couriers)
            )
    finally:
        resume()

    assert [a.status_code for a in answers] == [200, 200, 200]  # going online never waits for dispatch
    problems = wait_for_dispatch_invariants(
        actors.call, customers=[kitchen["customer_headers"]], couriers=couriers, timeout_s=30
    )
    assert problems == []
    named = {actors.ok("GET", f"/orders/{o['id']}", headers=kitchen["customer_headers"])["courier_id"] for o in orders}
    assert len(named) == 3
    assert None not in named


def test_an_order_cancelled_while_the_delivery_service_pauses_frees_its_courier(platform, actors, kitchen):
    customer = kitchen["customer_headers"]
    _courier_id, courier = actors.user("couriers", "Kai")
    first = actors.place_order(customer, kitchen, kitchen["address_id"])
    actors.ok("PATCH", "/couriers/me", headers=courier, json={"available": True})
    _until(lambda: actors.ok("GET", "/couriers/me", headers=courier)["active_order_id"] == first["id"])

    resume = _paused(platform, "delivery", PAUSE_S)
    try:
        started = time.monotonic()
        cancelled = actors.call("POST", f"/orders/{first['id']}/cancel", headers=customer)
        took = time.monotonic() - started
        second = actors.place_order(customer, kitchen, kitchen["address_id"])
    finally:
        resume()

    assert cancelled.status_code == 200
    assert took < 2.0  # the cancel is the order service's; it does not wait for the delivery service
    problems = wait_for_dispatch_invariants(actors.call, customers=[customer], couriers=[courier], timeout_s=30)
    assert problems == []
    assert actors.ok("GET", "/couriers/me", headers=courier)["active_order_id"] == second["id"]
    deliveries = {d["order_id"]: d["status"] for d in actors.ok("GET", "/deliveries", headers=courier)["results"]}
    assert deliveries[first["id"]] == "cancelled"


def test_dispatch_carries_on_while_redis_pauses(platform, actors, kitchen):
    """Redis only reduces contention (the lock per order); assignment is correct without it."""
    customer = kitchen["customer_headers"]
    couriers = [actors.user("couriers", f"Rae{n}")[1] for n in range(2)]
    orders = [actors.place_order(customer, kitchen, kitchen["address_id"]) for _ in range(2)]

    resume = _paused(platform, "redis", PAUSE_S)
    try:
        for headers in couriers:
            actors.ok("PATCH", "/couriers/me", headers=headers, json={"available": True})
    finally:
        resume()

    problems = wait_for_dispatch_invariants(actors.call, customers=[customer], couriers=couriers, timeout_s=30)
    assert problems == []
    assert all(actors.ok("GET", f"/orders/{o['id']}", headers=customer)["courier_id"] for o in orders)
