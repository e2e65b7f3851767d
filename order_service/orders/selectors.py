"""Reads of the order service; object-level access is decided here."""

from __future__ import annotations

from common.mongo import get_database, parse_object_id
from common.pagination import PageRequest
from orders import lifecycle, repository
from orders.errors import OrderNotFound


def order_get_for_party(*, order_id: str, actor_type: str, actor_id: str) -> dict:
    """The order if the caller is its customer, its restaurant's owner or its courier; else 404."""
    oid = parse_object_id(order_id)
    order = oid and repository.order_get(get_database(), order_id=oid)
    if not order or not lifecycle.is_party(order, actor_type=actor_type, actor_id=actor_id):
        raise OrderNotFound()
    return order


def orders_for_customer(*, customer_id: str, page: PageRequest) -> tuple[int, list[dict]]:
    return repository.orders_page(get_database(), query={"customer_id": customer_id}, skip=page.skip, limit=page.size)


def orders_for_restaurant(
    *, restaurant_id: str, owner_id: str, status: str | None, page: PageRequest
) -> tuple[int, list[dict]]:
    query = {"restaurant_id": restaurant_id, "restaurant_owner_id": owner_id}
    if status:
        query["status"] = status
    return repository.orders_page(get_database(), query=query, skip=page.skip, limit=page.size)


def orders_awaiting_courier(*, limit: int) -> list[dict]:
    # Picked-up orders always have a courier; every other active state may still wait for one.
    states = lifecycle.AWAITING_COURIER_STATES
    return repository.orders_awaiting_courier(get_database(), states=states, limit=limit)


def order_get_by_id(*, order_id: str) -> dict | None:
    """No access check: for code that already checked the caller (the event stream)."""
    oid = parse_object_id(order_id)
    return oid and repository.order_get(get_database(), order_id=oid)
