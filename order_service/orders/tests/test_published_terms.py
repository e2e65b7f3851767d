"""Placement priced from the terms the restaurant service published (common/contracts/restaurant_terms.py): no
call to the restaurant service while they are published, the same checks as its own quote."""

import pytest

from common.contracts import restaurant_terms
from orders.tests.helpers import ADDRESS, place

ALWAYS = [["2000-01-01T00:00:00+00:00", "2100-01-01T00:00:00+00:00"]]


@pytest.fixture
def restaurant_service_down(settings):
    settings.SERVICE_URLS = {**settings.SERVICE_URLS, "restaurant": "http://127.0.0.1:9"}


def _publish(menu, **changes):
    restaurant_id = menu["restaurant"]["id"]
    terms = {
        "restaurant_id": restaurant_id,
        "owner_id": menu["owner_id"],
        "name": "Published Pho",
        "address": {"line1": "1 Canal St", "city": "Amsterdam", "postcode": "1011", "lat": 52.37, "lng": 4.89},
        "delivery_radius_km": 8.0,
        "accepting_orders": True,
        "open_periods": ALWAYS,
        "prep_time_min": 15,
        "delivery_fee_cents": 300,
        "items": {
            menu["items"][0]["id"]: {"name": "Dish 0", "price_cents": 1111, "available": True},
            menu["items"][1]["id"]: {"name": "Dish 1", "price_cents": 900, "available": True},
        },
        **changes,
    }
    restaurant_terms.publish(restaurant_id, terms, version=restaurant_terms.version(restaurant_id))


def test_an_order_is_priced_from_the_published_terms_without_the_restaurant_service(
    api_client, service_headers, menu, restaurant_service_down, mongo_db
):
    _publish(menu)

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
    _publish(menu, **changes)

    response = place(api_client, service_headers, menu)

    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code
    assert mongo_db["orders"].count_documents({}) == 0


def test_an_unavailable_published_item_is_a_409(api_client, service_headers, menu, restaurant_service_down):
    sold_out = {menu["items"][0]["id"]: {"name": "Dish 0", "price_cents": 1111, "available": False}}
    _publish(menu, items=sold_out)

    response = place(api_client, service_headers, menu, quantities=(1,))

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "items_unavailable"


def test_the_quote_is_made_from_the_published_terms_too(api_client, service_headers, menu, restaurant_service_down):
    _publish(menu)
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
