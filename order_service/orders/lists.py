"""The customers' histories and the kitchens' lists of orders as ranked indexes (common/ranked_index.py):
a page and its count cost the same whether the customer or the restaurant has ten orders or ten
thousand. Newest first, as `repository.NEWEST_FIRST`: the score is the order's creation time and
ties go to the larger id, which is how a sorted set orders equal scores in reverse."""

from __future__ import annotations

from django.conf import settings

from common import ranked_index
from common.mongo import get_database
from common.redis_client import redis_key
from orders import repository


def customer_key(customer_id: str) -> str:
    return redis_key("orders", "of-customer", customer_id)


def restaurant_key(restaurant_id: str) -> str:
    return redis_key("orders", "of-restaurant", restaurant_id)


def _score(order: dict) -> float:
    """Milliseconds, as MongoDB keeps times: the same order scores the same before and after storing."""
    at = order["created_at"]
    return round(at.replace(microsecond=at.microsecond // 1000 * 1000).timestamp() * 1000)


def listed(order: dict) -> None:
    """A new order joins its customer's and its restaurant's lists (those that are built)."""
    member, score = str(order["_id"]), _score(order)
    ranked_index.add(
        (customer_key(order["customer_id"]), member, score), (restaurant_key(order["restaurant_id"]), member, score)
    )


def _page(key: str, query: dict, *, skip: int, limit: int) -> tuple[int, list[dict]] | None:
    db = get_database()

    def rebuild():
        return ((str(order["_id"]), _score(order)) for order in repository.orders_listed(db, query=query))

    found = ranked_index.page(
        key, skip=skip, limit=limit, newest_first=True, rebuild=rebuild, ttl_s=settings.ORDER_LISTS_TTL_S
    )
    if found is None:
        return None
    count, ids = found
    return count, repository.orders_in_order(db, order_ids=ids)


def customer_page(*, customer_id: str, skip: int, limit: int) -> tuple[int, list[dict]]:
    query = {"customer_id": customer_id}
    found = _page(customer_key(customer_id), query, skip=skip, limit=limit)
    return found if found is not None else repository.orders_page(get_database(), query=query, skip=skip, limit=limit)


def restaurant_page(*, restaurant_id: str, owner_id: str, skip: int, limit: int) -> tuple[int, list[dict]]:
    """The restaurant's orders, if `owner_id` owns them (every order names its restaurant's owner)."""
    query = {"restaurant_id": restaurant_id, "restaurant_owner_id": owner_id}
    found = _page(restaurant_key(restaurant_id), {"restaurant_id": restaurant_id}, skip=skip, limit=limit)
    if found is None or any(order["restaurant_owner_id"] != owner_id for order in found[1]):
        return repository.orders_page(get_database(), query=query, skip=skip, limit=limit)
    return found
