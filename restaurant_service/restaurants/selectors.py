"""Reads of the restaurant service: browsing, the cached menu and popular list, order quotes."""

from __future__ import annotations

from django.conf import settings

from common.mongo import get_database, parse_object_id
from common.pagination import PageRequest
from restaurants import cache, clients, hours, repository
from restaurants.errors import RestaurantNotFound
from restaurants.serializers import MenuItemOutput, RestaurantOutput


def current_slot() -> int:
    return hours.current_slot(tz=settings.PLATFORM_TIMEZONE)


def is_open_now(restaurant: dict) -> bool:
    return current_slot() in hours.open_slots(restaurant.get("opening_hours") or [])


def restaurant_get(*, restaurant_id: str) -> dict:
    oid = parse_object_id(restaurant_id)
    restaurant = oid and repository.restaurant_get(get_database(), restaurant_id=oid)
    if not restaurant:
        raise RestaurantNotFound()
    return restaurant


def restaurants_browse(*, text: str | None, cuisines: list[str], open_now: bool, page: PageRequest) -> tuple[int, list]:
    query = repository.browse_filter(text=text, cuisines=cuisines, open_slot=current_slot() if open_now else None)
    return repository.restaurants_page(get_database(), query=query, skip=page.skip, limit=page.size)


def restaurants_popular_json() -> str:
    """The most ordered restaurants as JSON text, from the cache when it has them."""

    def load() -> dict:
        restaurants = repository.restaurants_popular(get_database(), limit=settings.POPULAR_LIMIT)
        # A list in the contract's page shape; the whole list is one page.
        return {
            "count": len(restaurants),
            "next": None,
            "previous": None,
            "results": RestaurantOutput(restaurants, many=True).data,
        }

    return cache.popular_cached(load)


def menu_json(*, restaurant_id: str) -> str:
    """`{restaurant_id, items}` as JSON text, from the cache when it has it."""
    oid = parse_object_id(restaurant_id)
    if oid is None:
        raise RestaurantNotFound()

    def load() -> dict:
        restaurant = repository.restaurant_get(get_database(), restaurant_id=oid)
        if restaurant is None:
            raise RestaurantNotFound()
        items = repository.menu_items(get_database(), restaurant_id=oid)
        return {
            "restaurant_id": restaurant_id,
            "accepting_orders": restaurant.get("accepting_orders", True),
            "items": MenuItemOutput(items, many=True).data,
        }

    return cache.menu_cached(restaurant_id, load)


def delivery_radius_km(restaurant: dict) -> float:
    """The restaurant's own delivery radius, else the platform's default."""
    return restaurant.get("delivery_radius_km") or settings.DELIVERY_RADIUS_KM


def _quote_facts(restaurant_id: str) -> dict:
    """The restaurant's fields a quote needs, from the cache: the restaurant document is the
    platform's heaviest (its opening slots), and every placement would otherwise read it."""

    def load() -> dict:
        restaurant = restaurant_get(restaurant_id=restaurant_id)
        return {
            "owner_id": restaurant["owner_id"],
            "name": restaurant["name"],
            "address": restaurant.get("address"),
            "delivery_radius_km": delivery_radius_km(restaurant),
            "accepting_orders": restaurant.get("accepting_orders", True),
            "opening_hours": restaurant.get("opening_hours") or [],
        }

    return cache.quote_facts_cached(restaurant_id, load)


def order_quote(*, restaurant_id: str, item_ids: list[str]) -> dict:
    """The restaurant's current names and prices for an order: the items from MongoDB, never a
    cache; the restaurant's own fields from the versioned cache (`_quote_facts`)."""
    restaurant_oid = parse_object_id(restaurant_id)
    if restaurant_oid is None:
        raise RestaurantNotFound()  # before the cache: no entry is ever made for a malformed id
    facts = _quote_facts(restaurant_id)
    wanted = {item_id: parse_object_id(item_id) for item_id in item_ids}
    found = repository.menu_items_by_ids(
        get_database(), restaurant_id=restaurant_oid, item_ids=[oid for oid in wanted.values() if oid]
    )
    by_id = {str(item["_id"]): item for item in found}
    return {
        "restaurant_id": restaurant_id,
        "owner_id": facts["owner_id"],
        "name": facts["name"],
        "address": facts["address"],
        "delivery_radius_km": facts["delivery_radius_km"],
        "accepting_orders": facts["accepting_orders"],
        "is_open_now": is_open_now(facts),
        "items": [
            {
                "menu_item_id": item_id,
                "name": item["name"],
                "unit_price_cents": item["price_cents"],
                "available": item.get("available", True),
            }
            for item_id, item in by_id.items()
        ],
        "unknown_item_ids": sorted(item_id for item_id in wanted if item_id not in by_id),
    }


def restaurant_orders(
    *, restaurant_id: str, owner_id: str, status: str | None, page: PageRequest
) -> tuple[int, list[dict]]:
    """The restaurant's orders, newest first, for its owner only."""
    from restaurants.services import _owned_restaurant

    _owned_restaurant(restaurant_id=restaurant_id, owner_id=owner_id)
    result = clients.orders_of_restaurant(
        restaurant_id=restaurant_id, owner_id=owner_id, status=status, page=page.number, page_size=page.size
    )
    return result["count"], result["results"]
