"""The customer's quote (`POST /customers/me/orders/quote`): what an order would cost and when it
would arrive, before placing it; priced by the live order and restaurant services."""

import uuid

import pytest

from common.testing.live import ADDRESS


@pytest.fixture
def kitchen(actors):
    _owner_id, owner_headers = actors.user("restaurants", "Chef")
    return actors.restaurant_with_menu(owner_headers, prices=(1250, 800), delivery_fee_cents=350)


@pytest.fixture
def me(api_client, customer):
    _customer_id, token = customer
    headers = {"Authorization": f"Bearer {token}"}
    address = api_client.post("/customers/me/addresses", {"label": "Home", **ADDRESS}, format="json", headers=headers)
    return headers, address.json()["id"]


def _body(kitchen, address_id, quantity=2):
    return {
        "restaurant_id": kitchen["restaurant"]["id"],
        "address_id": address_id,
        "items": [{"menu_item_id": kitchen["items"][0]["id"], "quantity": quantity}],
    }


def test_the_quote_is_what_the_order_then_costs_and_nothing_is_stored(api_client, me, kitchen):
    headers, address_id = me

    quoted = api_client.post("/customers/me/orders/quote", _body(kitchen, address_id), format="json", headers=headers)
    history = api_client.get("/customers/me/orders", headers=headers).json()
    order = api_client.post(
        "/customers/me/orders",
        _body(kitchen, address_id),
        format="json",
        headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
    ).json()

    assert quoted.status_code == 200, quoted.content
    assert history["count"] == 0
    q = quoted.json()
    assert set(q) >= {
        "restaurant_id",
        "items",
        "subtotal_cents",
        "delivery_fee_cents",
        "total_cents",
        "distance_km",
        "estimated_delivery_at",
    }
    assert (q["subtotal_cents"], q["delivery_fee_cents"], q["total_cents"]) == (2500, 350, 2850)
    assert (order["subtotal_cents"], order["delivery_fee_cents"], order["total_cents"]) == (2500, 350, 2850)
    assert q["items"] == order["items"]


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"address_id": "f" * 24}, 400, "unknown_address"),
        ({"items": [{"menu_item_id": "f" * 24, "quantity": 1}]}, 400, "unknown_items"),
        ({"items": [{"menu_item_id": "x", "quantity": 1}]}, 400, "invalid"),
        ({"restaurant_id": {"$ne": None}}, 400, "invalid"),
    ],
)
def test_a_quote_gets_the_errors_placement_gets(api_client, me, kitchen, change, status, code):
    headers, address_id = me

    response = api_client.post(
        "/customers/me/orders/quote", {**_body(kitchen, address_id), **change}, format="json", headers=headers
    )

    assert (response.status_code, response.json()["error"]["code"]) == (status, code)


def test_quotes_are_for_customers(api_client, issue_token, kitchen):
    body = _body(kitchen, "f" * 24)

    assert api_client.post("/customers/me/orders/quote", body, format="json").status_code == 401
    courier = {"Authorization": f"Bearer {issue_token('courier')}"}
    assert api_client.post("/customers/me/orders/quote", body, format="json", headers=courier).status_code == 403
