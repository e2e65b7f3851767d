"""A restaurant's terms for orders as the restaurant service publishes them for the order service,
and the quote made from them, against the real Redis."""

from datetime import UTC, datetime

from common import price_list

RESTAURANT = "65f0c0ffee00000000000001"
PHO, BANH_MI, GONE = "a" * 24, "b" * 24, "f" * 24
MONDAY_NOON = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)  # a Monday
SLOT = 12 * 4  # Monday 12:00-12:15, in 15-minute weekly slots from Monday 00:00

TERMS = {
    "restaurant_id": RESTAURANT,
    "owner_id": "o" * 24,
    "name": "Corner Pho",
    "address": {"line1": "1 Canal St", "lat": 52.37, "lng": 4.89},
    "delivery_radius_km": 5.0,
    "accepting_orders": True,
    "open_slots": [SLOT],
    "timezone": "UTC",
    "prep_time_min": 20,
    "delivery_fee_cents": 250,
    "items": {
        PHO: {"name": "Pho bo", "price_cents": 1250, "available": True},
        BANH_MI: {"name": "Banh mi", "price_cents": 800, "available": False},
    },
}


def test_a_quote_prices_the_wanted_items_and_names_the_unknown_ones():
    quote = price_list.quote(TERMS, [PHO, BANH_MI, GONE, "nope"], now=MONDAY_NOON)

    assert quote["items"] == [
        {"menu_item_id": PHO, "name": "Pho bo", "unit_price_cents": 1250, "available": True},
        {"menu_item_id": BANH_MI, "name": "Banh mi", "unit_price_cents": 800, "available": False},
    ]
    assert quote["unknown_item_ids"] == sorted([GONE, "nope"])
    assert {k: quote[k] for k in ("restaurant_id", "owner_id", "name", "delivery_fee_cents", "prep_time_min")} == {
        "restaurant_id": RESTAURANT,
        "owner_id": "o" * 24,
        "name": "Corner Pho",
        "delivery_fee_cents": 250,
        "prep_time_min": 20,
    }
    assert (quote["accepting_orders"], quote["delivery_radius_km"], quote["address"]) == (
        True,
        5.0,
        TERMS["address"],
    )


def test_a_quote_is_open_only_in_the_restaurants_slots_in_its_time_zone():
    assert price_list.quote(TERMS, [PHO], now=MONDAY_NOON)["is_open_now"] is True
    assert price_list.quote(TERMS, [PHO], now=datetime(2026, 11, 30, 12, 15, tzinfo=UTC))["is_open_now"] is False
    in_amsterdam = {**TERMS, "timezone": "Europe/Amsterdam"}  # 12:00 UTC is 13:00 there
    assert price_list.quote(in_amsterdam, [PHO], now=datetime(2026, 11, 30, 11, 0, tzinfo=UTC))["is_open_now"] is True


def test_a_pause_lasts_until_its_end_and_terms_from_before_pauses_have_none():
    paused = {**TERMS, "paused_until": "2026-11-30T12:30:00Z"}

    assert price_list.quote(paused, [PHO], now=MONDAY_NOON)["paused_until"] == "2026-11-30T12:30:00Z"
    assert price_list.quote(paused, [PHO], now=datetime(2026, 11, 30, 12, 30, tzinfo=UTC))["paused_until"] is None
    assert price_list.quote(TERMS, [PHO], now=MONDAY_NOON)["paused_until"] is None


def test_nothing_is_read_before_the_restaurant_service_published_its_terms(redis_client):
    assert price_list.published(RESTAURANT) is None


def test_published_terms_are_read_back(redis_client):
    price_list.publish(RESTAURANT, TERMS, version=price_list.version(RESTAURANT))

    assert price_list.published(RESTAURANT) == TERMS


def test_any_change_of_the_restaurant_or_its_menu_retires_its_terms(redis_client, settings):
    price_list.publish(RESTAURANT, TERMS, version=price_list.version(RESTAURANT))

    # What every write of the restaurant or its menu does before answering (restaurants/cache.py).
    redis_client.incr(f"{settings.REDIS_KEY_PREFIX}menu:{RESTAURANT}:version")

    assert price_list.published(RESTAURANT) is None


def test_terms_read_before_a_change_are_never_read(redis_client, settings):
    version = price_list.version(RESTAURANT)
    redis_client.incr(f"{settings.REDIS_KEY_PREFIX}menu:{RESTAURANT}:version")
    price_list.publish(RESTAURANT, TERMS, version=version)

    assert price_list.published(RESTAURANT) is None


def test_published_terms_expire(redis_client, settings):
    settings.PRICE_LIST_TTL_S = 30
    price_list.publish(RESTAURANT, TERMS, version=price_list.version(RESTAURANT))

    ttls = [redis_client.ttl(key) for key in redis_client.scan_iter(match=f"{settings.REDIS_KEY_PREFIX}terms:*")]

    assert ttls
    assert all(0 < ttl <= 30 for ttl in ttls)


def test_without_redis_nothing_is_published_or_read(redis_down):
    assert price_list.version(RESTAURANT) is None
    price_list.publish(RESTAURANT, TERMS, version="2")

    assert price_list.published(RESTAURANT) is None
