"""OWASP API5:2023 Broken Function Level Authorization: each kind of user reaches only its own
functions. Every token route with every wrong kind of user is `test_security_regressions.py`
(`test_the_wrong_kind_of_user_is_refused`), the internal routes' unreachability too; here, the
functions that matter most, by name, and methods a route does not offer."""

import pytest


def test_a_customer_cannot_move_an_order_as_a_kitchen_or_a_courier(city):
    customer = city.customers[0]["headers"]
    rid = city.owners[0]["restaurant"]["id"]

    kitchen = city.call(
        "POST", f"/restaurants/{rid}/orders/{city.order['id']}/status", customer, json={"status": "accepted"}
    )
    courier = city.call("POST", f"/deliveries/{city.delivery['id']}/status", customer, json={"status": "picked_up"})

    assert kitchen.status_code == courier.status_code == 403


def test_a_courier_cannot_accept_orders_or_create_restaurants(city):
    courier = city.couriers[0]["headers"]
    rid = city.owners[0]["restaurant"]["id"]

    assert (
        city.call(
            "POST", f"/restaurants/{rid}/orders/{city.order['id']}/status", courier, json={"status": "accepted"}
        ).status_code
        == 403
    )
    assert (
        city.call(
            "POST", "/restaurants", courier, json={"name": "X", "cuisine": "y", "address": city.address}
        ).status_code
        == 403
    )


def test_a_restaurant_user_cannot_cancel_for_the_customer_or_report_positions(city):
    owner = city.owners[0]["headers"]

    assert city.call("POST", f"/orders/{city.order['id']}/cancel", owner).status_code == 403
    assert city.call("POST", "/couriers/me/location", owner, json={"lat": 1, "lng": 1}).status_code == 403


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", "/restaurants/{rid}"),
        ("PUT", "/orders/{oid}"),
        ("DELETE", "/orders/{oid}"),
        ("PATCH", "/deliveries/{did}"),
        ("TRACE", "/customers/me"),
        ("DELETE", "/customers/me"),
    ],
)
def test_methods_a_route_does_not_offer_are_405_with_allow(city, method, path):
    path = path.format(rid=city.owners[0]["restaurant"]["id"], oid=city.order["id"], did=city.delivery["id"])

    response = city.call(method, path, city.owners[0]["headers"])

    assert response.status_code == 405
    assert response.headers["Allow"]


def test_internal_routes_do_not_exist_from_outside_whatever_the_token(city):
    for path in (
        "/internal/orders/lookup",
        "/internal/deliveries/order-status",
        "/internal/orders/quote",
        "/internal/restaurants/x/owners/y",
        "/internal/customers/x/addresses/y",
        "/internal/orders/courier-etas",
    ):
        assert city.call("POST", path, city.customers[0]["headers"], json={}).status_code == 404, path
