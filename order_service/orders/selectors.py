"""Reads of the order service; object-level access is decided here."""

from __future__ import annotations

from common.mongo import get_database, parse_object_id
from common.pagination import PageRequest
from orders import lifecycle, lists, repository
from orders.errors import OrderNotFound


def order_get_for_party(*, order_id: str, actor_type: str, actor_id: str) -> dict:
    """The order if the caller is its customer, its restaurant's owner or its courier, or an
    operator (they follow the whole city); else 404."""
    oid = parse_object_id(order_id)
    return party_view(
        oid and repository.order_get(get_database(), order_id=oid), actor_type=actor_type, actor_id=actor_id
    )


def party_view(order: dict | None, *, actor_type: str, actor_id: str) -> dict:
    """`order` (as read) if the caller is one of its parties or an operator; else 404, as if it did
    not exist."""
    if not order:
        raise OrderNotFound()
    if actor_type != lifecycle.OPERATOR and not lifecycle.is_party(order, actor_type=actor_type, actor_id=actor_id):
        raise OrderNotFound()
    return order


def orders_for_customer(*, customer_id: str, page: PageRequest) -> tuple[int, list[dict]]:
    return lists.customer_page(customer_id=customer_id, skip=page.skip, limit=page.size)


def orders_for_restaurant(
    *, restaurant_id: str, owner_id: str, status: str | None, page: PageRequest
) -> tuple[int, list[dict]]:
    if not status:
        return lists.restaurant_page(restaurant_id=restaurant_id, owner_id=owner_id, skip=page.skip, limit=page.size)
    return lists.restaurant_status_page(
        restaurant_id=restaurant_id, owner_id=owner_id, status=status, skip=page.skip, limit=page.size
    )


def orders_awaiting_courier(*, limit: int) -> list[dict]:
    """The dispatch queue: orders without a courier that can still get one, oldest first."""
    return lists.waiting_page(limit=limit)


def orders_with_courier(*, limit: int, after: str | None) -> list[dict]:
    """Live orders that name a courier, in id order, a page at a time (the reconciler checks each)."""
    return repository.orders_in_dispatch(
        get_database(), dispatch=lifecycle.DISPATCH_ASSIGNED, limit=limit, after=parse_object_id(after)
    )


def orders_by_ids(*, order_ids: list[str]) -> list[dict]:
    ids = [oid for oid in map(parse_object_id, order_ids) if oid is not None]
    return repository.orders_by_ids(get_database(), order_ids=ids) if ids else []


def order_get_by_id(*, order_id: str) -> dict | None:
    """No access check: for code that already checked the caller (the event stream)."""
    oid = parse_object_id(order_id)
    return oid and repository.order_get(get_database(), order_id=oid)
