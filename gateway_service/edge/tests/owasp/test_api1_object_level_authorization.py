"""OWASP API1:2023 Broken Object Level Authorization: every route that names an object, tried by
someone it does not belong to. Another user's object is "not found" (ownership is part of the
query), except a restaurant, which is public to read and 403 `not_owner` to change."""

import pytest

ID = "65f0c0ffee00000000000001"


def _refused(response, *statuses):
    assert response.status_code in statuses, f"{response.status_code} {response.text}"
    assert "error" in response.json()


def test_another_customers_address_does_not_exist_for_you(city):
    mine, theirs = city.customers
    path = f"/customers/me/addresses/{mine['address_id']}"
    whole = {**city.address, "label": "x"}
    for method, body in (("GET", None), ("PUT", whole), ("PATCH", {"label": "x"}), ("DELETE", None)):
        _refused(city.call(method, path, theirs["headers"], json=body), 404)
    assert city.call("GET", path, mine["headers"]).status_code == 200


def test_ordering_or_quoting_to_someone_elses_address_is_refused(city):
    mine, theirs = city.customers
    owner = city.owners[0]
    body = {
        "restaurant_id": owner["restaurant"]["id"],
        "address_id": mine["address_id"],
        "items": [{"menu_item_id": owner["items"][0]["id"], "quantity": 1}],
    }
    _refused(city.call("POST", "/customers/me/orders", {**theirs["headers"], "Idempotency-Key": "x1"}, json=body), 400)
    _refused(city.call("POST", "/customers/me/orders/quote", theirs["headers"], json=body), 400)
    _refused(city.call("GET", "/restaurants", theirs["headers"], params={"address_id": mine["address_id"]}), 404)


def test_another_customers_order_does_not_exist_for_you(city):
    theirs = city.customers[1]["headers"]
    for method, path in (
        ("GET", f"/orders/{city.order['id']}"),
        ("GET", f"/orders/{city.order['id']}/events"),
        ("POST", f"/orders/{city.order['id']}/cancel"),
    ):
        _refused(city.call(method, path, theirs), 404)


def test_an_order_is_not_the_business_of_another_restaurant_or_courier(city):
    for headers in (city.owners[1]["headers"], city.couriers[1]["headers"]):
        _refused(city.call("GET", f"/orders/{city.order['id']}", headers), 404)
        _refused(city.call("GET", f"/orders/{city.order['id']}/events", headers), 404)


def test_a_restaurant_is_changed_only_by_its_owner(city):
    mine, theirs = city.owners
    rid, iid = mine["restaurant"]["id"], mine["items"][0]["id"]
    for method, path, body in (
        ("PATCH", f"/restaurants/{rid}", {"name": "Mine now"}),
        ("PUT", f"/restaurants/{rid}", {"name": "Mine now", "cuisine": "x", "address": city.address}),
        ("POST", f"/restaurants/{rid}/menu/items", {"name": "Pwned", "price_cents": 1}),
        ("PATCH", f"/restaurants/{rid}/menu/items/{iid}", {"price_cents": 1}),
        ("PUT", f"/restaurants/{rid}/menu/items/{iid}", {"name": "Pwned", "price_cents": 1}),
        ("DELETE", f"/restaurants/{rid}/menu/items/{iid}", None),
        ("GET", f"/restaurants/{rid}/orders", None),
        ("GET", f"/restaurants/{rid}/orders/events", None),
        ("POST", f"/restaurants/{rid}/orders/{city.order['id']}/status", {"status": "accepted"}),
        ("POST", f"/restaurants/{rid}/orders/{city.order['id']}/delay", {"minutes": 5}),
    ):
        response = city.call(method, path, theirs["headers"], json=body)
        _refused(response, 403)
        assert response.json()["error"]["code"] == "not_owner", (method, path)
    assert city.call("GET", f"/restaurants/{rid}/menu").json()["items"][0]["price_cents"] == 1250


def test_an_owner_cannot_reach_another_restaurants_order_through_their_own(city):
    theirs = city.owners[1]
    path = f"/restaurants/{theirs['restaurant']['id']}/orders/{city.order['id']}"
    _refused(city.call("POST", f"{path}/status", theirs["headers"], json={"status": "accepted"}), 404)
    _refused(city.call("POST", f"{path}/delay", theirs["headers"], json={"minutes": 5}), 404, 409)


def test_another_couriers_delivery_does_not_exist_for_you(city):
    theirs = city.couriers[1]["headers"]
    did = city.delivery["id"]
    _refused(city.call("GET", f"/deliveries/{did}", theirs), 404)
    _refused(city.call("POST", f"/deliveries/{did}/status", theirs, json={"status": "picked_up"}), 404)
    assert all(d["id"] != did for d in city.call("GET", "/deliveries", theirs).json()["results"])


@pytest.mark.parametrize("kind", [0, 1, 2])
def test_unknown_and_malformed_ids_are_404_never_500(city, kind):
    user = (city.customers[0], city.owners[0], city.couriers[0])[kind]["headers"]
    paths = {
        0: [f"/orders/{ID}", "/orders/not-an-id", f"/customers/me/addresses/{ID}", "/customers/me/addresses/$ne"],
        1: [f"/restaurants/{ID}", "/restaurants/not-an-id", f"/restaurants/{ID}/orders"],
        2: [f"/deliveries/{ID}", "/deliveries/not-an-id"],
    }[kind]
    for path in paths:
        _refused(city.call("GET", path, user), 404, 403)
