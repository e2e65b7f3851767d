"""Placement priced from the terms the restaurant service published (common/contracts/restaurant_terms.py): no
call to the restaurant service while they are published, the same checks as its own quote."""

import pytest

from orders.tests.helpers import ADDRESS, place, publish_terms


def test_an_order_is_priced_from_the_published_terms_without_the_restaurant_service(
    api_client, service_headers, menu, restaurant_service_down, mongo_db
):
    publish_terms(menu)

    response = place(api_client, service_headers, menu, quantities=(2, 1))

    assert response.status_code == 201, response.content
    order = response.json()
    assert [line["unit_price_cents"] for line in order["items"]] == [1111, 900]
    assert (order["subtotal_cents"], order["delivery_fee_cents"]) == (2 * 1111 + 900, 300)
    assert order["total_cents"] == 2 * 1111 + 900 + 300
    assert order["restaurant_name"] == "Published Pho"
    assert mongo_db["orders"].count_documents({}) == 1


@pytest.mark.parametrize(
    ("changes", "status", "code"),
    [
        ({"accepting_orders": False}, 409, "restaurant_not_accepting"),
        ({"open_periods": []}, 409, "restaurant_not_accepting"),
        ({"items": {}}, 400, "unknown_items"),
        (
            {"delivery_radius_km": 0.5, "address": {"line1": "far", "lat": 40.0, "lng": 3.0}},
            409,
            "outside_delivery_area",
        ),
    ],
)
def test_published_terms_refuse_what_the_restaurant_refuses(
    api_client, service_headers, menu, restaurant_service_down, mongo_db, changes, status, code
):
    publish_terms(menu, **changes)

    response = place(api_client, service_headers, menu)

    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code
    assert mongo_db["orders"].count_documents({}) == 0


def test_an_unavailable_published_item_is_a_409(api_client, service_headers, menu, restaurant_service_down):
    sold_out = {menu["items"][0]["id"]: {"name": "Dish 0", "price_cents": 1111, "available": False}}
    publish_terms(menu, items=sold_out)

    response = place(api_client, service_headers, menu, quantities=(1,))

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "items_unavailable"


def test_the_quote_is_made_from_the_published_terms_too(api_client, service_headers, menu, restaurant_service_down):
    publish_terms(menu)
    body = {
        "customer_id": "c" * 24,
        "restaurant_id": menu["restaurant"]["id"],
        "items": [{"menu_item_id": menu["items"][0]["id"], "quantity": 1}],
        "delivery_address": ADDRESS,
    }

    response = api_client.post("/internal/orders/quote", body, format="json", headers=service_headers)

    assert response.status_code == 200, response.content
    assert response.json()["total_cents"] == 1111 + 300


def test_without_published_terms_a_restaurant_service_that_is_down_is_a_503(
    api_client, service_headers, menu, restaurant_service_down, mongo_db
):
    response = place(api_client, service_headers, menu)

    assert response.status_code == 503
    assert mongo_db["orders"].count_documents({}) == 0
