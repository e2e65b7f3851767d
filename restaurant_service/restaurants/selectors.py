"""Reads of the restaurant service: browsing, the cached menu and popular list, order quotes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bson import ObjectId
from django.conf import settings

from common.contracts import restaurant_terms
from common.errors import Forbidden, Unauthorized
from common.mongo import found_by_id, get_database, parse_object_id
from common.pagination import PageRequest
from restaurants import browse, cache, clients, hours, nearby, pause, repository
from restaurants.errors import RestaurantNotFound
from restaurants.serializers import MenuItemOutput, RestaurantOutput, datetime_text


def restaurant_get(*, restaurant_id: str) -> dict:
    return found_by_id(
        restaurant_id, lambda oid: repository.restaurant_get(get_database(), restaurant_id=oid), RestaurantNotFound
    )


def restaurants_browse(
    *,
    text: str | None,
    cuisines: list[str],
    open_now: bool,
    page: PageRequest,
    near: tuple[float, float] | None = None,
    owner_id: str | None = None,
) -> tuple[int, list]:
    """A page of restaurants by name; with `near` (lat, lng), only those delivering there, nearest
    first, each with `distance_km` and `estimated_delivery_min`. Either way those taking orders
    come before those that do not (paused, or switched off: restaurants/pause.py)."""
    query = repository.browse_filter(
        text=text,
        cuisines=cuisines,
        open_slot=hours.current_slot(tz=settings.PLATFORM_TIMEZONE) if open_now else None,
        owner_id=owner_id,
    )
    at = pause.now()
    if near is None:
        # By name, a cuisine or a name's text: ranked lists (restaurants/browse.py); what is open
        # now, or an owner's own, from MongoDB.
        if not open_now and owner_id is None:
            listed = browse.page(skip=page.skip, limit=page.size, at=at, cuisines=cuisines, text=text)
            if listed is not None:
                return listed
        return repository.restaurants_page(get_database(), query=query, skip=page.skip, limit=page.size, at=at)
    covering = nearby.covering(lat=near[0], lng=near[1])
    if not covering:
        return 0, []
    db = get_database()
    km_by_id = {ObjectId(rid): km for rid, km in covering}
    matching = repository.restaurant_ids_matching(db, query=query, ids=list(km_by_id)) if query else set(km_by_id)
    # Those not taking orders: the few marked resting (restaurants/browse.py), checked at `at`.
    resting = {r["_id"] for r in browse.resting_at(at=at)}
    # Nearest first (covering is sorted), those taking orders before the others.
    ordered = [oid for oid in km_by_id if oid in matching and oid not in resting]
    ordered += [oid for oid in km_by_id if oid in matching and oid in resting]
    wanted = ordered[page.skip : page.skip + page.size]
    found = {r["_id"]: r for r in repository.restaurants_by_ids(db, ids=wanted)} if wanted else {}
    results = []
    for oid in wanted:
        if (restaurant := found.get(oid)) is not None:
            km = km_by_id[oid]
            minutes = restaurant.get("prep_time_min", settings.DEFAULT_PREP_TIME_MIN) + nearby.ride_min(km)
            results.append({**restaurant, "distance_km": round(km, 2), "estimated_delivery_min": round(minutes)})
    return len(ordered), results


def owner_browsing(*, user) -> str:
    """The restaurant user asking for their own restaurants (`mine=true`)."""
    if user is None:
        raise Unauthorized("Sign in as a restaurant user to see your restaurants.")
    if user.user_type != "restaurant":
        raise Forbidden("Only restaurant users have restaurants of their own.")
    return user.id


def customer_location(*, user, address_id: str) -> tuple[float, float]:
    """Where one of the signed-in customer's addresses is: browsing by `address_id` is for customers."""
    if user is None:
        raise Unauthorized("Sign in as a customer to browse by one of your addresses.")
    if user.user_type != "customer":
        raise Forbidden("Only customers have addresses to browse by.")
    return clients.customer_address_location(customer_id=user.id, address_id=address_id)


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

    def ttl_s(popular: dict) -> int:
        return pause.cache_lifetime_s(settings.POPULAR_CACHE_TTL_S, popular["results"], at=pause.now())

    return cache.popular_cached(load, ttl_s=ttl_s)


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
        at = pause.now()
        return {
            "restaurant_id": restaurant_id,
            "accepting_orders": pause.accepting(restaurant, at=at),
            "paused_until": datetime_text(pause.paused_until(restaurant, at=at)),
            "items": MenuItemOutput(items, many=True).data,
        }

    def ttl_s(menu: dict) -> int:
        return pause.cache_lifetime_s(settings.MENU_CACHE_TTL_S, [menu], at=pause.now())

    return cache.menu_cached(restaurant_id, load, ttl_s=ttl_s)


def _quote_facts(restaurant_id: str) -> dict:
    """The restaurant's fields a quote needs, from the cache: the restaurant document is the
    platform's heaviest (its opening slots), and every placement would otherwise read it."""

    def load() -> dict:
        restaurant = restaurant_get(restaurant_id=restaurant_id)
        return {
            "owner_id": restaurant["owner_id"],
            "name": restaurant["name"],
            "address": restaurant.get("address"),
            "delivery_radius_km": nearby.radius_km(restaurant),
            "accepting_orders": restaurant.get("accepting_orders", True),
            "paused_until": datetime_text(restaurant.get("paused_until")),
            "opening_hours": restaurant.get("opening_hours") or [],
            "prep_time_min": restaurant.get("prep_time_min", settings.DEFAULT_PREP_TIME_MIN),
            "delivery_fee_cents": restaurant.get("delivery_fee_cents", settings.DEFAULT_DELIVERY_FEE_CENTS),
        }

    return cache.quote_facts_cached(restaurant_id, load)


def order_quote(*, restaurant_id: str, item_ids: list[str]) -> dict:
    """The restaurant's current names and prices for an order: the menu from MongoDB, never a
    cache; the restaurant's own fields from the versioned cache (`_quote_facts`). The terms the
    quote is made from are published on the way (common/contracts/restaurant_terms.py), so the order
    service prices the next orders from them without asking."""
    restaurant_oid = parse_object_id(restaurant_id)
    if restaurant_oid is None:
        raise RestaurantNotFound()  # before the cache: no entry is ever made for a malformed id
    version = restaurant_terms.version(restaurant_id)  # before the reads: an edit meanwhile retires them
    facts = _quote_facts(restaurant_id)
    items = repository.menu_items(get_database(), restaurant_id=restaurant_oid)
    terms = {
        "restaurant_id": restaurant_id,
        "owner_id": facts["owner_id"],
        "name": facts["name"],
        "address": facts["address"],
        "delivery_radius_km": facts["delivery_radius_km"],
        "accepting_orders": facts["accepting_orders"],
        "paused_until": facts.get("paused_until"),
        "open_periods": _open_periods(facts["opening_hours"]),
        # Cached entries written before these fields existed lack them: the defaults, as for a new restaurant.
        "prep_time_min": facts.get("prep_time_min", settings.DEFAULT_PREP_TIME_MIN),
        "delivery_fee_cents": facts.get("delivery_fee_cents", settings.DEFAULT_DELIVERY_FEE_CENTS),
        "items": {
            str(item["_id"]): {
                "name": item["name"],
                "price_cents": item["price_cents"],
                "available": item.get("available", True),
            }
            for item in items
        },
    }
    restaurant_terms.publish(restaurant_id, terms, version=version)
    return restaurant_terms.quote(terms, item_ids, now=pause.now())


def _open_periods(opening_hours: list[dict]) -> list[list[str]]:
    """When the restaurant is open from now on, for as long as its published terms can be read and
    then some (a day at least)."""
    span = timedelta(seconds=max(24 * 3600, 2 * settings.PRICE_LIST_TTL_S))
    periods = hours.open_periods(
        hours.open_slots(opening_hours), tz=settings.PLATFORM_TIMEZONE, start=datetime.now(UTC), span=span
    )
    return [[start.isoformat(), until.isoformat()] for start, until in periods]


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
