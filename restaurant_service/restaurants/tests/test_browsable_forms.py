"""The browsable API for a restaurant user: HTML forms for every change, filters as serializers."""

import re

import pytest

from common.testing.browsable import HTML, form_fields
from restaurants.tests.helpers import ADDRESS, add_item, create_restaurant


def test_the_restaurants_page_offers_a_create_form_with_the_nested_address(api_client, owner):
    page = api_client.get("/restaurants", headers={**HTML, **owner[1]}).content.decode()

    assert form_fields(page, "post-object-form") >= {"name", "cuisine", "address.line1", "address.lat"}


def test_a_restaurant_created_from_the_form_starts_open_like_a_json_one(api_client, owner):
    page = api_client.get("/restaurants", headers={**HTML, **owner[1]}).content.decode()
    form = page.split('id="post-object-form"', 1)[1].split("</form>", 1)[0]
    assert 'name="accepting_orders"' in form
    assert "checked" in form.split('name="accepting_orders"', 1)[1].split(">", 1)[0]

    fields = {"name": "Form Pho", "cuisine": "thai", "accepting_orders": "true"}
    fields |= {f"address.{key}": str(value) for key, value in ADDRESS.items()}
    created = api_client.post("/restaurants", fields, headers=owner[1])

    assert created.status_code == 201, created.content
    assert created.json()["address"]["lat"] == ADDRESS["lat"]
    assert created.json()["accepting_orders"] is True


def test_a_restaurant_page_has_its_edit_form_and_put_changes_it(api_client, owner):
    restaurant = create_restaurant(api_client, owner[1])
    path = f"/restaurants/{restaurant['id']}"

    page = api_client.get(path, headers={**HTML, **owner[1]}).content.decode()
    assert form_fields(page, "put-object-form") >= {"name", "cuisine", "address.city"}

    body = {"name": "Pho Paradise", "cuisine": "vietnamese", "address": ADDRESS}
    changed = api_client.put(path, body, format="json", headers=owner[1])
    assert changed.status_code == 200, changed.content
    assert changed.json()["name"] == "Pho Paradise"


def test_menu_items_are_added_and_changed_through_forms(api_client, owner):
    restaurant = create_restaurant(api_client, owner[1])
    item = add_item(api_client, owner[1], restaurant["id"])
    path = f"/restaurants/{restaurant['id']}/menu/items/{item['id']}"

    page = api_client.get(path, headers={**HTML, **owner[1]}).content.decode()
    changed = api_client.patch(path, {"price_cents": "1400"}, headers=owner[1])  # multipart

    assert form_fields(page, "put-object-form") >= {"name", "price_cents", "available"}
    assert changed.status_code == 200, changed.content
    assert changed.json()["price_cents"] == 1400


@pytest.mark.parametrize(
    ("path", "field"),
    [("/restaurants?open_now=perhaps", "open_now"), ("/restaurants/{rid}/orders?status=lost", "status")],
)
def test_a_bad_filter_value_is_a_400_naming_it(api_client, owner, path, field):
    restaurant = create_restaurant(api_client, owner[1])

    response = api_client.get(path.format(rid=restaurant["id"]), headers=owner[1])

    assert response.status_code == 400
    assert set(response.json()["error"]["details"]) == {field}


def test_the_restaurant_list_offers_its_filters_as_a_form_filled_with_the_current_ones(api_client, owner):
    create_restaurant(api_client, owner[1])

    browse = api_client.get("/restaurants?q=pho", headers=HTML).content.decode()

    filters = browse.split('id="filtersModal"', 1)[1]
    assert {"q", "cuisine", "open_now"} <= set(re.findall(r'name="([a-z_]+)"', filters))
    assert 'value="pho"' in filters
