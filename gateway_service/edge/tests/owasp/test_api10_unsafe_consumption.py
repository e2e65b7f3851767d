"""OWASP API10:2023 Unsafe Consumption of APIs: a service trusts another no more than a client. An
answer it cannot read is that service's 503 (`common/tests/test_http_client.py`), a 5xx passed on
names the failing service without opening the caller's breaker (same file), another service's
contract error keeps its status and code, and JSON from another service goes through the same
serializers as a client's. Here, end to end: a service's refusal reaches the client intact, and a
service that is down is a 503 naming it, never a 500."""


def test_a_refusal_from_further_away_reaches_the_client_as_it_was(city):
    owner = city.owners[0]
    status_path = f"/restaurants/{owner['restaurant']['id']}/orders/{city.order['id']}/status"
    # The order service refuses; the restaurant service passes its answer on unchanged.
    response = city.call("POST", status_path, owner["headers"], json={"status": "picked_up"})

    assert response.status_code == 400  # not a status a kitchen may set: refused before it travels
    moved = city.call("POST", status_path, owner["headers"], json={"status": "ready"})
    assert moved.status_code == 409
    assert moved.json()["error"]["code"] == "illegal_transition"
    assert moved.json()["error"]["details"]["current"]


def test_an_unknown_restaurant_in_an_order_is_the_clients_error_not_a_crash(city):
    customer = city.customers[1]
    response = city.call(
        "POST",
        "/customers/me/orders/quote",
        customer["headers"],
        json={
            "restaurant_id": "65f0c0ffee00000000000001",
            "address_id": customer["address_id"],
            "items": [{"menu_item_id": "65f0c0ffee00000000000002", "quantity": 1}],
        },
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unknown_restaurant"
