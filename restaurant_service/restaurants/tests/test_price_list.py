"""The terms this service publishes for placement (common/contracts/restaurant_terms.py): what the order service
reading them sees after a quote, an edit of the menu or of the restaurant, against the real Redis."""

import pytest

from common.contracts import restaurant_terms
from restaurants.tests.helpers import add_item, create_restaurant, order_quote

EVERY_DAY = [{"day": day, "open": "00:00", "close": "24:00"} for day in range(7)]


@pytest.fixture
def restaurant(api_client, owner):
    return create_restaurant(api_client, owner[1], opening_hours=EVERY_DAY, delivery_fee_cents=250)


def test_a_quote_publishes_the_terms_and_they_quote_what_the_service_quotes(
    api_client, owner, restaurant, service_headers
):
    pho = add_item(api_client, owner[1], restaurant["id"])
    sold_out = add_item(api_client, owner[1], restaurant["id"], name="Banh mi", price_cents=800, available=False)
    wanted = [pho["id"], sold_out["id"], "0" * 24]

    answered = order_quote(api_client, service_headers, restaurant["id"], wanted)

    terms = restaurant_terms.published(restaurant["id"])
    assert terms is not None
    assert set(terms["items"]) == {pho["id"], sold_out["id"]}
    from_terms = restaurant_terms.quote(terms, wanted)
    assert {**from_terms, "items": sorted(from_terms["items"], key=str)} == {
        **answered,
        "items": sorted(answered["items"], key=str),
    }
    assert answered["delivery_fee_cents"] == 250
    assert answered["is_open_now"] is True


def test_a_menu_edit_retires_the_published_terms(api_client, owner, restaurant, service_headers):
    pho = add_item(api_client, owner[1], restaurant["id"])
    order_quote(api_client, service_headers, restaurant["id"], [pho["id"]])

    edited = api_client.patch(
        f"/restaurants/{restaurant['id']}/menu/items/{pho['id']}",
        {"price_cents": 1400},
        format="json",
        headers=owner[1],
    )

    assert edited.status_code == 200
    assert restaurant_terms.published(restaurant["id"]) is None
    order_quote(api_client, service_headers, restaurant["id"], [pho["id"]])
    assert restaurant_terms.published(restaurant["id"])["items"][pho["id"]]["price_cents"] == 1400


def test_a_new_dish_and_a_restaurant_edit_retire_the_published_terms(api_client, owner, restaurant, service_headers):
    pho = add_item(api_client, owner[1], restaurant["id"])
    order_quote(api_client, service_headers, restaurant["id"], [pho["id"]])

    add_item(api_client, owner[1], restaurant["id"], name="Bun cha")

    assert restaurant_terms.published(restaurant["id"]) is None
    order_quote(api_client, service_headers, restaurant["id"], [pho["id"]])
    api_client.patch(f"/restaurants/{restaurant['id']}", {"accepting_orders": False}, format="json", headers=owner[1])
    assert restaurant_terms.published(restaurant["id"]) is None
    order_quote(api_client, service_headers, restaurant["id"], [pho["id"]])
    assert restaurant_terms.published(restaurant["id"])["accepting_orders"] is False


def test_a_deleted_dish_leaves_the_terms(api_client, owner, restaurant, service_headers):
    pho = add_item(api_client, owner[1], restaurant["id"])
    order_quote(api_client, service_headers, restaurant["id"], [pho["id"]])

    assert (
        api_client.delete(f"/restaurants/{restaurant['id']}/menu/items/{pho['id']}", headers=owner[1]).status_code
        == 204
    )
    order_quote(api_client, service_headers, restaurant["id"], [pho["id"]])

    assert restaurant_terms.published(restaurant["id"])["items"] == {}
