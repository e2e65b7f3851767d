"""Writes and rules of the restaurant service: restaurants, menu items, the order counter."""

from __future__ import annotations

from datetime import UTC, datetime

from bson import ObjectId
from django.conf import settings

from common.errors import NotFound
from common.mongo import get_database, parse_object_id
from restaurants import browse, cache, clients, hours, nearby, pause, repository
from restaurants.errors import MenuItemNotFound, NotTheOwner, RestaurantNotFound


def _now() -> datetime:
    return datetime.now(UTC)


def _restaurant_oid(restaurant_id: str) -> ObjectId:
    oid = parse_object_id(restaurant_id)
    if oid is None:
        raise RestaurantNotFound()
    return oid


def _owned_restaurant(*, restaurant_id: str, owner_id: str) -> dict:
    """The restaurant if it exists (else 404) and the caller owns it (else 403: it is public)."""
    restaurant = repository.restaurant_get(get_database(), restaurant_id=_restaurant_oid(restaurant_id))
    if restaurant is None:
        raise RestaurantNotFound()
    if restaurant["owner_id"] != owner_id:
        raise NotTheOwner()
    return restaurant


def restaurant_owned_by(*, restaurant_id: str, owner_id: str) -> dict:
    """The restaurant, if `owner_id` owns it; 404 if it does not exist, 403 if someone else owns it."""
    return _owned_restaurant(restaurant_id=restaurant_id, owner_id=owner_id)


def _derived_fields(data: dict) -> dict:
    derived = {}
    if "name" in data:
        derived["name_key"] = data["name"].casefold()
    if "cuisine" in data:
        derived["cuisine"] = data["cuisine"].strip().lower()
    if "opening_hours" in data:
        derived["open_slots"] = hours.open_slots(data["opening_hours"])
    if ("accepting_orders" in data and data["accepting_orders"] is not True) or data.get("paused_until"):
        derived["resting"] = repository.RESTING  # unmarked once it takes orders again (_settle_resting)
    return derived


def _settle_resting(restaurant: dict) -> None:
    """Unmarks a restaurant taking orders again: restaurants/browse.py lists it with those that do."""
    if (
        restaurant.get("resting")
        and restaurant.get("accepting_orders") is True
        and restaurant.get("paused_until") is None
    ):
        repository.restaurant_unmark_resting(get_database(), restaurant_id=restaurant["_id"])


def restaurant_create(*, owner_id: str, data: dict) -> dict:
    now = _now()
    document = {
        "owner_id": owner_id,
        "description": "",
        "opening_hours": [],
        "accepting_orders": True,
        "paused_until": None,
        "prep_time_min": settings.DEFAULT_PREP_TIME_MIN,
        "delivery_fee_cents": settings.DEFAULT_DELIVERY_FEE_CENTS,
        **data,
        "order_count": 0,
        "created_at": now,
        "updated_at": now,
    }
    document.update(_derived_fields(document))
    document.setdefault("resting", repository.TAKING)
    restaurant = repository.restaurant_insert(get_database(), document=document)
    nearby.index(restaurant)
    browse.listed(restaurant)
    cache.popular_invalidate()
    return restaurant


def restaurant_update(*, restaurant_id: str, owner_id: str, changes: dict) -> dict:
    restaurant = _owned_restaurant(restaurant_id=restaurant_id, owner_id=owner_id)
    if not changes:
        return restaurant
    updated = repository.restaurant_update(
        get_database(),
        restaurant_id=restaurant["_id"],
        owner_id=owner_id,
        changes={**changes, **_derived_fields(changes), "updated_at": _now()},
    )
    if updated is None:
        raise RestaurantNotFound()
    _settle_resting(updated)
    browse.listed(updated, before=restaurant)
    nearby.index(updated)
    cache.popular_invalidate()
    cache.menu_invalidate(restaurant_id)  # the menu shows whether the restaurant takes orders
    return updated


def restaurant_pause(*, restaurant_id: str, owner_id: str, minutes: int) -> dict:
    """The owner takes no new orders for `minutes` (restaurants/pause.py); a new pause replaces the last."""
    return _set_pause(restaurant_id=restaurant_id, owner_id=owner_id, until=pause.until(minutes, at=pause.now()))


def restaurant_resume(*, restaurant_id: str, owner_id: str) -> dict:
    """The owner takes orders again before the pause ends (resuming an unpaused restaurant changes nothing)."""
    return _set_pause(restaurant_id=restaurant_id, owner_id=owner_id, until=None)


def _set_pause(*, restaurant_id: str, owner_id: str, until) -> dict:
    restaurant = _owned_restaurant(restaurant_id=restaurant_id, owner_id=owner_id)
    updated = repository.restaurant_update(
        get_database(),
        restaurant_id=restaurant["_id"],
        owner_id=owner_id,
        changes={"paused_until": until, "updated_at": _now(), **_derived_fields({"paused_until": until})},
    )
    if updated is None:
        raise RestaurantNotFound()
    _settle_resting(updated)
    # Before the answer: the menu, its published terms (the order service's quotes) and the popular
    # list show the pause from now on.
    cache.menu_invalidate(restaurant_id)
    cache.popular_invalidate()
    return updated


def restaurant_count_orders(*, restaurant_id: str, count: int) -> None:
    """Counts placed orders for the popular list (called by the order service)."""
    if not repository.restaurant_count_orders(
        get_database(), restaurant_id=_restaurant_oid(restaurant_id), count=count
    ):
        raise RestaurantNotFound()


def menu_item_create(*, restaurant_id: str, owner_id: str, data: dict) -> dict:
    restaurant = _owned_restaurant(restaurant_id=restaurant_id, owner_id=owner_id)
    now = _now()
    document = {
        "description": "",
        "available": True,
        "category": "",
        "dietary_tags": [],
        **data,
        "restaurant_id": restaurant["_id"],
        "created_at": now,
        "updated_at": now,
    }
    item = repository.menu_item_insert(get_database(), document=document)
    cache.menu_invalidate(restaurant_id)
    return item


def _item_oid(item_id: str) -> ObjectId:
    oid = parse_object_id(item_id)
    if oid is None:
        raise MenuItemNotFound()
    return oid


def menu_item_update(*, restaurant_id: str, item_id: str, owner_id: str, changes: dict) -> dict:
    restaurant = _owned_restaurant(restaurant_id=restaurant_id, owner_id=owner_id)
    item = repository.menu_item_update(
        get_database(), restaurant_id=restaurant["_id"], item_id=_item_oid(item_id), changes=changes, now=_now()
    )
    if item is None:
        raise MenuItemNotFound()
    cache.menu_invalidate(restaurant_id)
    return item


def menu_item_delete(*, restaurant_id: str, item_id: str, owner_id: str) -> None:
    restaurant = _owned_restaurant(restaurant_id=restaurant_id, owner_id=owner_id)
    if not repository.menu_item_delete(get_database(), restaurant_id=restaurant["_id"], item_id=_item_oid(item_id)):
        raise MenuItemNotFound()
    cache.menu_invalidate(restaurant_id)


def restaurant_order_transition(
    *, restaurant_id: str, order_id: str, owner_id: str, status: str, ready_in_min: int | None = None
) -> dict:
    """The owner accepts (maybe saying in how many minutes the food will be ready), rejects, starts
    preparing or marks an order ready (the order service decides whether the move is allowed)."""
    _owned_restaurant(restaurant_id=restaurant_id, owner_id=owner_id)
    if parse_object_id(order_id) is None:
        raise NotFound("Order not found.", code="order_not_found")
    return clients.order_transition(
        restaurant_id=restaurant_id, order_id=order_id, owner_id=owner_id, status=status, ready_in_min=ready_in_min
    )


def restaurant_order_delay(*, restaurant_id: str, order_id: str, owner_id: str, minutes: int) -> dict:
    """The owner says an order will be `minutes` late (the order service moves its estimates)."""
    _owned_restaurant(restaurant_id=restaurant_id, owner_id=owner_id)
    if parse_object_id(order_id) is None:
        raise NotFound("Order not found.", code="order_not_found")
    return clients.order_delay(restaurant_id=restaurant_id, order_id=order_id, owner_id=owner_id, minutes=minutes)
