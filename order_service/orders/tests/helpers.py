"""One function per order-service call, raw (the response) and checked (asserts success), and the
customer whose address the customer service published."""

from common import address_book

ADDRESS = {"label": "Home", "line1": "2 Dam Sq", "city": "Amsterdam", "postcode": "1012", "lat": 52.37, "lng": 4.89}
CUSTOMER = "c" * 24
ADDRESS_ID = "a" * 24


def published_address(customer_id=CUSTOMER, address_id=ADDRESS_ID, address=ADDRESS) -> None:
    """The customer's address as the customer service publishes it (common/address_book.py)."""
    address_book.publish(customer_id, address_id, address, version=address_book.version(customer_id))


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
