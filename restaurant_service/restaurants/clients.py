"""Calls from the restaurant service to the order service (restaurant-side order actions)."""

from __future__ import annotations

from urllib.parse import quote

from common.http import internal_answer, internal_request, raise_for_upstream


def orders_of_restaurant(*, restaurant_id: str, owner_id: str, status: str | None, page: int, page_size: int) -> dict:
    params = {"restaurant_id": restaurant_id, "owner_id": owner_id, "page": page, "page_size": page_size}
    if status:
        params["status"] = status
    response = internal_request("order", "GET", "/internal/orders", params=params)
    if response.status_code == 404:
        return {"count": 0, "results": []}  # a page past the end
    raise_for_upstream(response, "order")
    return response.json()


def order_transition(
    *, restaurant_id: str, order_id: str, owner_id: str, status: str, ready_in_min: int | None = None
) -> dict:
    body = {"status": status, "actor_type": "restaurant", "actor_id": owner_id, "restaurant_id": restaurant_id}
    if ready_in_min is not None:
        body["ready_in_min"] = ready_in_min
    return internal_answer("order", "POST", f"/internal/orders/{quote(order_id, safe='')}/transition", json=body)


def order_delay(*, restaurant_id: str, order_id: str, owner_id: str, minutes: int) -> dict:
    return internal_answer(
        "order",
        "POST",
        f"/internal/orders/{quote(order_id, safe='')}/delay",
        json={"minutes": minutes, "owner_id": owner_id, "restaurant_id": restaurant_id},
    )


def customer_address_location(*, customer_id: str, address_id: str) -> tuple[float, float]:
    """(lat, lng) of one of the customer's addresses; the customer service's 404 otherwise."""
    body = internal_answer(
        "customer", "GET", f"/internal/customers/{quote(customer_id, safe='')}/addresses/{quote(address_id, safe='')}"
    )
    return body["lat"], body["lng"]
