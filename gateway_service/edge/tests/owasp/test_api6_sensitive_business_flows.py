"""OWASP API6:2023 Unrestricted Access to Sensitive Business Flows: an order cannot be placed twice
by replaying it, prices cannot be talked down, a quote never becomes an order, and sign-in cannot
be brute-forced (`auth_service/accounts/tests/test_registration_and_login.py` has the limits)."""

import uuid
from concurrent.futures import ThreadPoolExecutor


def test_a_replayed_placement_is_the_same_order(city):
    customer, owner = city.customers[1], city.owners[1]
    key = uuid.uuid4().hex
    body = {
        "restaurant_id": owner["restaurant"]["id"],
        "address_id": customer["address_id"],
        "items": [{"menu_item_id": owner["items"][0]["id"], "quantity": 1}],
    }

    def place(_):
        return city.call("POST", "/customers/me/orders", {**customer["headers"], "Idempotency-Key": key}, json=body)

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(place, range(8)))

    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["id"] for a in answers}) == 1
    assert sum(a.headers.get("Idempotent-Replayed") == "true" for a in answers) == 7


def test_a_quote_is_never_an_order(city):
    customer, owner = city.customers[1], city.owners[1]
    before = city.call("GET", "/customers/me/orders", customer["headers"]).json()["count"]
    body = {
        "restaurant_id": owner["restaurant"]["id"],
        "address_id": customer["address_id"],
        "items": [{"menu_item_id": owner["items"][0]["id"], "quantity": 1}],
    }
    for _ in range(5):
        assert city.call("POST", "/customers/me/orders/quote", customer["headers"], json=body).status_code == 200

    assert city.call("GET", "/customers/me/orders", customer["headers"]).json()["count"] == before


def test_an_accepted_order_cannot_be_cancelled_nor_accepted_twice(city):
    customer, owner = city.customers[1], city.owners[1]
    order = city.place(customer, owner)
    path = f"/restaurants/{owner['restaurant']['id']}/orders/{order['id']}/status"

    with ThreadPoolExecutor(6) as pool:
        moves = list(
            pool.map(
                lambda status: city.call("POST", path, owner["headers"], json={"status": status}),
                ["accepted", "rejected"] * 3,
            )
        )
    cancel = city.call("POST", f"/orders/{order['id']}/cancel", customer["headers"])

    assert sorted(m.status_code for m in moves) == [200, 409, 409, 409, 409, 409]
    assert cancel.status_code == 409


def test_sign_in_by_guessing_is_slowed_to_a_halt(actors):
    email = f"api6-{uuid.uuid4().hex[:8]}@example.com"
    actors.call("POST", "/customers/register", json={"email": email, "password": "correct horse battery", "name": "A"})

    answers = [
        actors.call("POST", "/customers/login", json={"email": email, "password": f"guess {n}"}) for n in range(7)
    ]

    assert answers[-1].status_code == 429
    assert int(answers[-1].headers["Retry-After"]) >= 1
