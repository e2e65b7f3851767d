"""The local store never stuck (issue #37), through the whole platform: a courier fleet at full
speed leaves every service ready, and an ordinary day's work leaves no cursor open in the store."""

from __future__ import annotations

import os
import time
import uuid
from datetime import UTC, datetime

import pytest
from pymongo import MongoClient

from common.testing.fleet import courier_token, readiness_after_write_behind, report_positions

SERVICES = ("gateway", "auth", "customer", "restaurant", "order", "delivery")


@pytest.fixture
def fleet_of_200(live_platform, store):
    """Tokens of 200 courier accounts. Setup only: the accounts are written to the auth service's
    database with unusable passwords and signed in with the platform's key, which costs
    milliseconds where 400 password hashes would cost a minute of the suite."""
    accounts = store[f"{live_platform.db_prefix}auth"]["accounts"]
    now = datetime.now(UTC)
    inserted = accounts.insert_many(
        [
            {
                "user_type": "courier",
                "email": f"fleet-{uuid.uuid4().hex}@example.com",
                "password": "!unusable",
                "name": f"Fleet {n}",
                "role": "user",
                "created_at": now,
                "mfa": {"enabled": False},
            }
            for n in range(200)
        ]
    )
    private_key, _ = live_platform.key_pair()
    return [courier_token(private_key, courier_id=str(account_id)) for account_id in inserted.inserted_ids]


def test_a_fleet_reporting_at_full_speed_leaves_every_service_ready(live_platform, fleet_of_200):
    fleet = report_positions(live_platform.url("gateway"), fleet_of_200, seconds=10)
    ready = readiness_after_write_behind({name: live_platform.url(name) for name in SERVICES})

    assert fleet.statuses.keys() == {204}, fleet.statuses
    assert fleet.reports > 200
    assert ready == dict.fromkeys(SERVICES, 200)


@pytest.fixture
def store(live_platform):
    client = MongoClient(os.environ["MONGO_URL"], serverSelectionTimeoutMS=5000, socketTimeoutMS=10_000)
    yield client
    client.close()


def _open_cursors(store: MongoClient) -> int:
    return int(store.admin.command("serverStatus")["metrics"]["cursor"]["open"]["total"])


def test_a_day_of_work_on_every_service_leaves_no_cursor_open_in_the_store(actors, store, no_orders_waiting):
    """Every service's reads and writes: sign-ups and sign-ins, a restaurant and its menu, browsing,
    an order through its whole life with a courier, the histories and lists."""
    _owner_id, owner = actors.user("restaurants", "Chef")
    world = actors.restaurant_with_menu(owner)
    rid = world["restaurant"]["id"]
    _customer_id, customer, address_id = actors.customer_with_address()
    _courier_id, courier = actors.user("couriers", "Kai")
    actors.ok("PATCH", "/couriers/me", headers=courier, json={"available": True})
    actors.ok("POST", "/couriers/me/location", headers=courier, json=world["restaurant"]["address"], expect=204)

    for path in ("/restaurants", "/restaurants/popular", f"/restaurants/{rid}", f"/restaurants/{rid}/menu"):
        actors.ok("GET", path)
    actors.ok("GET", f"/restaurants?address_id={address_id}", headers=customer)
    order = actors.place_order(customer, world, address_id)
    for status in ("accepted", "preparing", "ready"):
        actors.ok("POST", f"/restaurants/{rid}/orders/{order['id']}/status", headers=owner, json={"status": status})
    delivery = _wait_for_delivery(actors, courier, order["id"])
    for status in ("picked_up", "delivered"):
        actors.ok("POST", f"/deliveries/{delivery['id']}/status", headers=courier, json={"status": status})
    for path, headers in (
        (f"/orders/{order['id']}", customer),
        ("/customers/me/orders", customer),
        ("/customers/me/feed", customer),
        ("/customers/me", customer),
        (f"/restaurants/{rid}/orders", owner),
        ("/deliveries", courier),
        ("/couriers/me", courier),
    ):
        actors.ok("GET", path, headers=headers)
    actors.ok("PATCH", "/couriers/me", headers=courier, json={"available": False})

    deadline = time.monotonic() + 15
    while (open_now := _open_cursors(store)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert open_now == 0


def _wait_for_delivery(actors, courier: dict, order_id: str) -> dict:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for delivery in actors.ok("GET", "/deliveries", headers=courier)["results"]:
            if delivery["order_id"] == order_id:
                return delivery
        time.sleep(0.2)
    raise AssertionError(f"no delivery for order {order_id}")
