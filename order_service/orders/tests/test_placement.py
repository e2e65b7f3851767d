"""Placing orders: server-side prices, validation, idempotency, a restaurant service that is down."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from orders.tests.helpers import place, placed


def test_an_order_is_stored_as_placed_with_the_restaurants_prices(api_client, service_headers, menu):
    order = placed(api_client, service_headers, menu, quantities=(2, 1))

    assert order["status"] == "placed"
    assert [(line["unit_price_cents"], line["quantity"]) for line in order["items"]] == [(1250, 2), (800, 1)]
    assert order["total_cents"] == 2 * 1250 + 800
    assert order["items"][0]["name"] == "Dish 0"
    assert order["courier_id"] is None
    assert order["history"][0]["status"] == "placed"
    assert order["history"][0]["actor_type"] == "customer"
    assert len(order["id"]) == 24


def test_prices_sent_by_the_client_are_ignored(api_client, service_headers, menu):
    items = [{"menu_item_id": menu["items"][0]["id"], "quantity": 1, "unit_price_cents": 1}]

    order = placed(api_client, service_headers, menu, items=items)

    assert order["total_cents"] == 1250


@pytest.mark.parametrize(("quantity", "status"), [(0, 400), (51, 400), (-1, 400), ("two", 400), (50, 201)])
def test_quantity_must_be_1_to_50(api_client, service_headers, menu, quantity, status):
    items = [{"menu_item_id": menu["items"][0]["id"], "quantity": quantity}]

    assert place(api_client, service_headers, menu, items=items).status_code == status


def test_unknown_items_are_a_400_naming_them(api_client, service_headers, menu):
    items = [{"menu_item_id": menu["items"][0]["id"], "quantity": 1}, {"menu_item_id": "f" * 24, "quantity": 1}]

    response = place(api_client, service_headers, menu, items=items)

    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "unknown_items",
        "message": response.json()["error"]["message"],
        "details": {"menu_item_ids": ["f" * 24]},
    }


def test_unavailable_items_are_a_409(api_client, service_headers, menu, actors):
    owner_headers = actors.user("restaurants")[1]
    other = actors.restaurant_with_menu(owner_headers)
    actors.ok(
        "PATCH",
        f"/restaurants/{other['restaurant']['id']}/menu/items/{other['items'][0]['id']}",
        headers=owner_headers,
        json={"available": False},
    )

    response = place(api_client, service_headers, other)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "items_unavailable"


def test_a_restaurant_not_taking_orders_is_a_409(api_client, service_headers, actors):
    owner_headers = actors.user("restaurants")[1]
    closed = actors.restaurant_with_menu(owner_headers, accepting_orders=False)

    response = place(api_client, service_headers, closed)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "restaurant_not_accepting"


ROTTERDAM = {
    "label": "Far",
    "line1": "1 Coolsingel",
    "city": "Rotterdam",
    "postcode": "3011",
    "lat": 51.92,
    "lng": 4.48,
}


def _place_to(api_client, service_headers, world, address):
    from orders.tests import helpers

    body = {
        "customer_id": "c" * 24,
        "restaurant_id": world["restaurant"]["id"],
        "items": [{"menu_item_id": world["items"][0]["id"], "quantity": 1}],
        "delivery_address": address,
        "idempotency_key": "far-1",
    }
    assert helpers.ADDRESS["city"] == "Amsterdam"  # where the live restaurants are
    return api_client.post("/internal/orders", body, format="json", headers=service_headers)


def test_an_address_outside_the_delivery_area_is_a_409_and_stores_nothing(api_client, service_headers, menu, mongo_db):
    response = _place_to(api_client, service_headers, menu, ROTTERDAM)

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "outside_delivery_area"
    assert error["details"]["radius_km"] == 8.0
    assert 55 < error["details"]["distance_km"] < 60
    assert mongo_db["orders"].count_documents({}) == 0


def test_a_restaurant_sets_its_own_delivery_radius(api_client, service_headers, actors):
    owner_headers = actors.user("restaurants")[1]
    far_reaching = actors.restaurant_with_menu(owner_headers, delivery_radius_km=80)

    assert _place_to(api_client, service_headers, far_reaching, ROTTERDAM).status_code == 201


def test_without_coordinates_there_is_no_distance_rule(api_client, service_headers, actors):
    owner_headers = actors.user("restaurants")[1]
    nowhere = actors.restaurant_with_menu(owner_headers, address={"line1": "1 A", "city": "B", "postcode": "1"})

    assert _place_to(api_client, service_headers, nowhere, ROTTERDAM).status_code == 201


def test_an_unknown_restaurant_is_a_400(api_client, service_headers, menu):
    bogus = {**menu, "restaurant": {"id": "0" * 24}}

    response = place(api_client, service_headers, bogus)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unknown_restaurant"


def test_the_same_key_returns_the_same_order(api_client, service_headers, menu, mongo_db):
    first = place(api_client, service_headers, menu, key="retry-me")
    second = place(api_client, service_headers, menu, key="retry-me")

    assert first.status_code == second.status_code == 201
    assert second.json()["id"] == first.json()["id"]
    assert second["Idempotent-Replayed"] == "true"
    assert mongo_db["orders"].count_documents({}) == 1


def test_a_reused_key_with_a_different_body_is_a_409(api_client, service_headers, menu):
    place(api_client, service_headers, menu, key="k", quantities=(1, 1))

    response = place(api_client, service_headers, menu, key="k", quantities=(3, 1))

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_reused"


def test_keys_belong_to_one_customer(api_client, service_headers, menu, mongo_db):
    place(api_client, service_headers, menu, key="shared", customer_id="a" * 24)
    place(api_client, service_headers, menu, key="shared", customer_id="b" * 24)

    assert mongo_db["orders"].count_documents({}) == 2


def test_concurrent_retries_with_one_key_store_one_order(api_client, service_headers, menu, mongo_db):
    from rest_framework.test import APIClient

    def attempt(_):
        return place(APIClient(), service_headers, menu, key="storm").json()["id"]

    with ThreadPoolExecutor(max_workers=6) as pool:
        ids = set(pool.map(attempt, range(12)))

    assert len(ids) == 1
    assert mongo_db["orders"].count_documents({}) == 1


def test_restaurant_service_down_is_a_503_and_stores_nothing(api_client, service_headers, menu, service_down, mongo_db):
    service_down("restaurant")

    response = place(api_client, service_headers, menu)

    assert response.status_code == 503
    assert response["Retry-After"]
    assert mongo_db["orders"].count_documents({}) == 0


def test_a_retry_gets_its_order_while_the_restaurant_service_is_down(
    api_client, service_headers, menu, service_down, mongo_db
):
    # The first attempt costs no idempotency read; a retry that cannot be priced must still find it.
    first = place(api_client, service_headers, menu, key="lost-answer")
    service_down("restaurant")

    retry = place(api_client, service_headers, menu, key="lost-answer")
    reused = place(api_client, service_headers, menu, key="lost-answer", quantities=(5, 1))

    assert retry.status_code == 201
    assert retry.json()["id"] == first.json()["id"]
    assert retry["Idempotent-Replayed"] == "true"
    assert reused.status_code == 409
    assert reused.json()["error"]["code"] == "idempotency_key_reused"
    assert mongo_db["orders"].count_documents({}) == 1


def test_delivery_service_down_still_acknowledges_the_order(api_client, service_headers, menu, service_down, mongo_db):
    service_down("delivery")

    response = place(api_client, service_headers, menu)

    assert response.status_code == 201
    assert mongo_db["orders"].count_documents({"courier_id": None}) == 1


def test_internal_routes_refuse_user_tokens(api_client, issue_token, menu):
    customer = {"Authorization": f"Bearer {issue_token('customer')}"}

    assert place(api_client, customer, menu).status_code == 403
    assert place(api_client, {}, menu).status_code == 401
