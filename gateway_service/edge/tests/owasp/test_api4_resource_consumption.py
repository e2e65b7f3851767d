"""OWASP API4:2023 Unrestricted Resource Consumption: bodies, nesting, pages, lines of an order and
live streams are all bounded, with the contract's error when a client asks for more."""

import pytest


def test_a_body_over_the_limit_is_refused_before_it_is_read(city):
    headers = {**city.customers[1]["headers"], "Content-Type": "application/json"}
    response = city.call("POST", "/customers/me/addresses", headers, data=b"x" * (300 * 1024))

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


@pytest.mark.parametrize("route", ["/customers/me/addresses", "/restaurants", "/couriers/me/location"])
def test_json_nested_thousands_deep_is_a_400_everywhere(city, route):
    kind = {
        "/customers/me/addresses": city.customers,
        "/restaurants": city.owners,
        "/couriers/me/location": city.couriers,
    }
    headers = {**kind[route][1]["headers"], "Content-Type": "application/json"}

    response = city.call("POST", route, headers, data=b"[" * 50_000 + b"]" * 50_000)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_request"


def test_a_page_is_never_bigger_than_the_largest_page(city):
    page = city.call("GET", "/restaurants", params={"page_size": 10**9}).json()

    assert len(page["results"]) <= 100


@pytest.mark.parametrize("change", [{"quantity": 51}, {"lines": 51}])
def test_an_order_is_bounded_in_lines_and_quantities(city, change):
    owner, customer = city.owners[1], city.customers[1]
    line = {"menu_item_id": owner["items"][0]["id"], "quantity": change.get("quantity", 1)}
    items = [line] * change.get("lines", 1)

    response = city.call(
        "POST",
        "/customers/me/orders/quote",
        customer["headers"],
        json={"restaurant_id": owner["restaurant"]["id"], "address_id": customer["address_id"], "items": items},
    )

    assert response.status_code == 400


def test_one_user_cannot_hold_every_live_stream(city, live_platform_env):
    """SSE_MAX_STREAMS_PER_USER (20 by default) across replicas; the 21st is a 429 with Retry-After."""
    import requests

    courier = city.couriers[1]["headers"]
    opened = []
    try:
        for _ in range(20):
            response = requests.get(f"{city.gateway}/couriers/me/events", headers=courier, stream=True, timeout=10)
            assert response.status_code == 200
            opened.append(response)
        refused = requests.get(f"{city.gateway}/couriers/me/events", headers=courier, timeout=10)
    finally:
        for response in opened:
            response.close()

    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "too_many_streams"
    assert int(refused.headers["Retry-After"]) >= 1
