"""The small world `make bench` measures in, made through the public API like any client's: a
restaurant with a menu, its owner, and a customer with an address (bench/run.py and
bench/stream_memory.py)."""

from __future__ import annotations

import uuid

MENU_ITEMS = 20


def http(method: str, url: str, token: str | None = None, body: dict | None = None, headers=None) -> dict:
    """One call; its JSON answer. Anything but success ends the run with what was answered."""
    import requests

    all_headers = {**(headers or {}), **({"Authorization": f"Bearer {token}"} if token else {})}
    response = requests.request(method, url, json=body, headers=all_headers, timeout=30)
    if response.status_code >= 400:
        raise SystemExit(f"{method} {url}: {response.status_code} {response.text}")
    return response.json() if response.content else {}


def seed(gateway: str) -> dict:
    """{owner, customer (their login answers), restaurant, order_body (an order the customer can place)}."""

    def user(kind: str) -> dict:
        email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
        http(
            "POST",
            f"{gateway}/{kind}/register",
            body={"email": email, "password": "correct horse battery", "name": "Bench"},
        )
        return http("POST", f"{gateway}/{kind}/login", body={"email": email, "password": "correct horse battery"})

    owner = user("restaurants")
    restaurant = http(
        "POST",
        f"{gateway}/restaurants",
        owner["access"],
        {
            "name": "Bench Bistro",
            "cuisine": "bench",
            "address": {"line1": "1 A", "city": "B", "postcode": "1", "lat": 1, "lng": 1},
        },
    )
    items = [
        http(
            "POST",
            f"{gateway}/restaurants/{restaurant['id']}/menu/items",
            owner["access"],
            {"name": f"Dish {n}", "description": "x" * 80, "price_cents": 1000 + n},
        )
        for n in range(MENU_ITEMS)
    ]
    customer = user("customers")
    address = http(
        "POST",
        f"{gateway}/customers/me/addresses",
        customer["access"],
        {"label": "Home", "line1": "2 C", "city": "B", "postcode": "2", "lat": 1, "lng": 1},
    )
    order_body = {
        "restaurant_id": restaurant["id"],
        "address_id": address["id"],
        "items": [{"menu_item_id": items[0]["id"], "quantity": 2}],
    }
    return {"owner": owner, "customer": customer, "restaurant": restaurant, "order_body": order_body}
