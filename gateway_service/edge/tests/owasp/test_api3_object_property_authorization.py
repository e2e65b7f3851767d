"""OWASP API3:2023 Broken Object Property Level Authorization: for every writable resource, the
properties a client must not set (owner, prices, status, ids, counters) are ignored, and no answer
exposes what a client must not see (password hashes, MFA secrets, idempotency internals)."""

import uuid

PRIVILEGED = {
    "id": "65f0c0ffee00000000000001",
    "_id": "65f0c0ffee00000000000001",
    "owner_id": "65f0c0ffee00000000000002",
    "customer_id": "65f0c0ffee00000000000003",
    "courier_id": "65f0c0ffee00000000000004",
    "user_type": "service",
    "role": "admin",
    "is_staff": True,
    "created_at": "2000-01-01T00:00:00Z",
    "version": 999,
}
NEVER_SHOWN = ("password", "password_hash", "mfa", "secret", "recovery_codes", "request_hash", "idempotency_key")


def _no_secrets(body) -> None:
    text = str(body).lower()
    for name in NEVER_SHOWN:
        assert f"'{name}'" not in text, name


def test_registering_cannot_choose_a_kind_or_a_role(actors):
    email = f"api3-{uuid.uuid4().hex[:8]}@example.com"
    account = actors.ok(
        "POST",
        "/customers/register",
        expect=201,
        json={"email": email, "password": "correct horse battery", "name": "A", **PRIVILEGED},
    )

    assert account["user_type"] == "customer"
    assert account["id"] != PRIVILEGED["id"]
    _no_secrets(account)


def test_a_profile_keeps_its_owner(city):
    me = city.customers[1]
    profile = city.call("PATCH", "/customers/me", me["headers"], json={"name": "B", **PRIVILEGED}).json()

    assert profile["id"] == me["id"]
    assert profile["name"] == "B"
    _no_secrets(profile)


def test_a_restaurant_keeps_its_owner_and_its_counters(city):
    owner = city.owners[1]
    rid = owner["restaurant"]["id"]
    changed = city.call(
        "PATCH", f"/restaurants/{rid}", owner["headers"], json={"order_count": 10**6, "open_slots": [1], **PRIVILEGED}
    ).json()

    assert (changed["id"], changed["owner_id"]) == (rid, owner["id"])
    assert changed["order_count"] == owner["restaurant"]["order_count"]
    assert "open_slots" not in changed


def test_a_menu_item_stays_in_its_restaurant(city):
    owner = city.owners[1]
    item = city.call(
        "POST",
        f"/restaurants/{owner['restaurant']['id']}/menu/items",
        owner["headers"],
        json={"name": "Soup", "price_cents": 500, "restaurant_id": city.owners[0]["restaurant"]["id"], **PRIVILEGED},
    ).json()

    assert item["restaurant_id"] == owner["restaurant"]["id"]
    assert item["id"] != PRIVILEGED["id"]


def test_an_order_takes_nothing_from_the_client_but_what_it_wants(city):
    customer, owner = city.customers[1], city.owners[1]
    order = city.place(
        customer,
        owner,
        status="delivered",
        total_cents=1,
        subtotal_cents=1,
        delivery_fee_cents=0,
        estimated_delivery_at="2000-01-01T00:00:00Z",
        **{k: v for k, v in PRIVILEGED.items() if k not in ("id", "_id")},
    )

    assert (order["status"], order["courier_id"], order["customer_id"]) == ("placed", None, customer["id"])
    assert order["total_cents"] == 1250
    assert order["estimated_delivery_at"] > "2001"
    _no_secrets(order)


def test_a_status_change_acts_as_the_caller_only(city):
    customer, owner = city.customers[1], city.owners[1]
    order = city.place(customer, owner)
    moved = city.call(
        "POST",
        f"/restaurants/{owner['restaurant']['id']}/orders/{order['id']}/status",
        owner["headers"],
        json={"status": "rejected", "actor_type": "system", "actor_id": "someone", "restaurant_id": "x"},
    ).json()

    assert moved["history"][-1]["actor_type"] == "restaurant"
    assert moved["history"][-1]["actor_id"] == owner["id"]


def test_a_courier_cannot_give_themselves_an_order_or_a_position_by_patching(city):
    courier = city.couriers[1]
    me = city.call(
        "PATCH",
        "/couriers/me",
        courier["headers"],
        json={"active_order_id": city.order["id"], "location": {"lat": 1, "lng": 1}, **PRIVILEGED},
    ).json()

    assert me["id"] == courier["id"]
    assert me["active_order_id"] is None
    assert me["location"] is None
