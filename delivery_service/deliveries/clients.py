"""Calls from the delivery service to the order and auth services (service tokens)."""

from __future__ import annotations

from common.http import internal_request, raise_for_upstream


def orders_awaiting_courier(*, limit: int) -> list[dict]:
    response = internal_request("order", "GET", "/internal/orders/awaiting-courier", params={"limit": limit})
    raise_for_upstream(response, "order")
    return response.json()["results"]


def order_assign_courier(*, order_id: str, courier_id: str, delivery_id: str) -> dict:
    response = internal_request(
        "order",
        "POST",
        f"/internal/orders/{order_id}/courier",
        json={"courier_id": courier_id, "delivery_id": delivery_id},
    )
    raise_for_upstream(response, "order")
    return response.json()


def order_transition(*, order_id: str, status: str, courier_id: str) -> dict:
    response = internal_request(
        "order",
        "POST",
        f"/internal/orders/{order_id}/transition",
        json={"status": status, "actor_type": "courier", "actor_id": courier_id},
    )
    raise_for_upstream(response, "order")
    return response.json()


def auth_courier(*, courier_id: str) -> dict:
    response = internal_request("auth", "GET", f"/internal/accounts/courier/{courier_id}")
    raise_for_upstream(response, "auth")
    return response.json()
