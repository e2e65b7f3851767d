"""One function per order-service call, raw (the response) and checked (asserts success), and what
the tests of `/customers/me/orders` (the view and its fast path) place orders with."""

from common.contracts import customer_addresses, restaurant_terms

ADDRESS = {"label": "Home", "line1": "2 Dam Sq", "city": "Amsterdam", "postcode": "1012", "lat": 52.37, "lng": 4.89}
CUSTOMER = "c" * 24
ADDRESS_ID = "a" * 24


def customer_order(menu, address_id=ADDRESS_ID, quantity=2) -> dict:
    """The body of `POST /customers/me/orders`: the menu's first item, to a customer's address."""
    return {
        "restaurant_id": menu["restaurant"]["id"],
        "items": [{"menu_item_id": menu["items"][0]["id"], "quantity": quantity}],
        "address_id": address_id,
    }


def publish_address(customer_id=CUSTOMER, address_id=ADDRESS_ID, address=ADDRESS) -> None:
    """The address as the customer service publishes it for placement (common/contracts/customer_addresses.py)."""
    customer_addresses.publish(customer_id, address_id, address, version=customer_addresses.version(customer_id))


def place(client, headers, menu, *, customer_id="c" * 24, quantities=(2, 1), key="key-1", items=None):
    body = {
        "customer_id": customer_id,
        "restaurant_id": menu["restaurant"]["id"],
        "items": items
        if items is not None
        else [{"menu_item_id": item["id"], "quantity": q} for item, q in zip(menu["items"], quantities, strict=False)],
        "delivery_address": ADDRESS,
        "idempotency_key": key,
    }
    return client.post("/internal/orders", body, format="json", headers=headers)


def placed(client, headers, menu, **kwargs) -> dict:
    response = place(client, headers, menu, **kwargs)
    assert response.status_code == 201, response.content
    return response.json()


def transition(client, headers, order_id, status, actor_type, actor_id, **extra):
    return client.post(
        f"/internal/orders/{order_id}/transition",
        {"status": status, "actor_type": actor_type, "actor_id": actor_id, **extra},
        format="json",
        headers=headers,
    )


ALWAYS = [["2000-01-01T00:00:00+00:00", "2100-01-01T00:00:00+00:00"]]


def publish_terms(menu, **changes) -> None:
    """Publishes the menu's restaurant's terms as the restaurant service would
    (common/contracts/restaurant_terms.py), with its dishes at 11.11 and 9.00, a 3.00 fee, open at
    every hour; `changes` replace fields."""
    restaurant_id = menu["restaurant"]["id"]
    terms = {
        "restaurant_id": restaurant_id,
        "owner_id": menu["owner_id"],
        "name": "Published Pho",
        "address": {"line1": "1 Canal St", "city": "Amsterdam", "postcode": "1011", "lat": 52.37, "lng": 4.89},
        "delivery_radius_km": 8.0,
        "accepting_orders": True,
        "paused_until": None,
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
