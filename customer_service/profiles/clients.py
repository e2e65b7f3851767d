"""Calls from the customer service to other services."""

from __future__ import annotations

from common.errors import NotFound, ServiceUnavailable
from common.http import internal_answer, internal_request, raise_for_upstream, service_client


def auth_account(*, customer_id: str) -> dict:
    response = internal_request("auth", "GET", f"/internal/accounts/customer/{customer_id}")
    if response.status_code == 404:
        raise NotFound("No customer account for this token.")
    if response.status_code != 200:
        raise ServiceUnavailable(
            "The auth service could not be asked for the account.", details={"status": response.status_code}
        )
    return response.json()


def restaurants_open(*, cuisines: list[str], page: int, page_size: int) -> dict:
    """One page of open restaurants of these cuisines, from the restaurant service's public browse."""
    params = {"open_now": "true", "page": page, "page_size": page_size}
    if cuisines:
        params["cuisine"] = ",".join(cuisines)
    response = service_client("restaurant").request("GET", "/restaurants", params=params)
    if response.status_code == 404:
        return {"count": 0, "results": []}  # a page past the end
    if response.status_code != 200:
        raise ServiceUnavailable(
            "The restaurant service could not be asked for restaurants.", details={"status": response.status_code}
        )
    return response.json()


def order_place(
    *, customer_id: str, restaurant_id: str, items: list[dict], delivery_address: dict, idempotency_key: str | None
) -> tuple[dict, bool]:
    """(order, created). Sent once, never retried here: a client retry with the same
    Idempotency-Key is what makes a lost answer safe."""
    order = _order(customer_id, restaurant_id, items, delivery_address)
    response = internal_request("order", "POST", "/internal/orders", json={**order, "idempotency_key": idempotency_key})
    raise_for_upstream(response, "order")
    return response.json(), response.headers.get("Idempotent-Replayed") != "true"


def order_quote(*, customer_id: str, restaurant_id: str, items: list[dict], delivery_address: dict) -> dict:
    order = _order(customer_id, restaurant_id, items, delivery_address)
    return internal_answer("order", "POST", "/internal/orders/quote", json=order)


def _order(customer_id: str, restaurant_id: str, items: list[dict], delivery_address: dict) -> dict:
    """An order as the order service's internal routes take it, to place or to quote."""
    return {
        "customer_id": customer_id,
        "restaurant_id": restaurant_id,
        "items": items,
        "delivery_address": delivery_address,
    }


def orders_of_customer(*, customer_id: str, page: int, page_size: int) -> dict:
    response = internal_request(
        "order",
        "GET",
        "/internal/orders",
        params={"customer_id": customer_id, "page": page, "page_size": page_size},
    )
    if response.status_code == 404:
        return {"count": 0, "results": []}
    raise_for_upstream(response, "order")
    return response.json()
