"""A restaurant's terms for orders as the restaurant service publishes them for the order service,
and the quote made from them, against the real Redis."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from common.contracts import restaurant_terms

RESTAURANT = "65f0c0ffee00000000000001"
PHO, BANH_MI, GONE = "a" * 24, "b" * 24, "f" * 24
MONDAY_NOON = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)

TERMS = {
    "restaurant_id": RESTAURANT,
    "owner_id": "o" * 24,
    "name": "Corner Pho",
    "address": {"line1": "1 Canal St", "lat": 52.37, "lng": 4.89},
    "delivery_radius_km": 5.0,
    "accepting_orders": True,
    "paused_until": None,
    "open_periods": [["2026-11-30T12:00:00+00:00", "2026-11-30T12:15:00+00:00"]],
    "prep_time_min": 20,
    "delivery_fee_cents": 250,
    "items": {
        PHO: {"name": "Pho bo", "price_cents": 1250, "available": True},
        BANH_MI: {"name": "Banh mi", "price_cents": 800, "available": False},
    },
}


def test_a_quote_prices_the_wanted_items_and_names_the_unknown_ones():
    quote = restaurant_terms.quote(TERMS, [PHO, BANH_MI, GONE, "nope"], now=MONDAY_NOON)

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


def test_a_quote_is_open_only_within_the_published_periods():
    def open_at(hour: int, minute: int) -> bool:
        return restaurant_terms.quote(TERMS, [PHO], now=datetime(2026, 11, 30, hour, minute, tzinfo=UTC))["is_open_now"]

    assert (open_at(11, 59), open_at(12, 0), open_at(12, 14), open_at(12, 15)) == (False, True, True, False)
    in_amsterdam = datetime(2026, 11, 30, 13, 5, tzinfo=ZoneInfo("Europe/Amsterdam"))  # 12:05 UTC
    assert restaurant_terms.quote(TERMS, [PHO], now=in_amsterdam)["is_open_now"] is True


def test_a_pause_lasts_until_its_end():
    paused = {**TERMS, "paused_until": "2026-11-30T12:30:00+00:00"}

    assert restaurant_terms.quote(paused, [PHO], now=MONDAY_NOON)["paused_until"] == "2026-11-30T12:30:00+00:00"
    assert restaurant_terms.quote(paused, [PHO], now=datetime(2026, 11, 30, 12, 30, tzinfo=UTC))["paused_until"] is None
    assert restaurant_terms.quote(TERMS, [PHO], now=MONDAY_NOON)["paused_until"] is None


@pytest.mark.parametrize("missing", ["open_periods", "paused_until"])
def test_terms_in_an_older_shape_count_as_not_published(redis_client, missing):
    """Published by a restaurant service from before the periods or the pauses (a rolling deploy):
    asked afresh."""
    older = {key: value for key, value in TERMS.items() if key != missing}
    restaurant_terms.publish(RESTAURANT, {**older, "open_slots": [48]}, version=restaurant_terms.version(RESTAURANT))

    assert restaurant_terms.published(RESTAURANT) is None


def test_nothing_is_read_before_the_restaurant_service_published_its_terms(redis_client):
    assert restaurant_terms.published(RESTAURANT) is None


def test_published_terms_are_read_back(redis_client):
    restaurant_terms.publish(RESTAURANT, TERMS, version=restaurant_terms.version(RESTAURANT))

    assert restaurant_terms.published(RESTAURANT) == TERMS


def test_any_change_of_the_restaurant_or_its_menu_retires_its_terms(redis_client):
    restaurant_terms.publish(RESTAURANT, TERMS, version=restaurant_terms.version(RESTAURANT))

    # What every write of the restaurant or its menu does before answering (restaurants/cache.py).
    redis_client.incr(restaurant_terms.version_key(RESTAURANT))

    assert restaurant_terms.published(RESTAURANT) is None


def test_terms_read_before_a_change_are_never_read(redis_client):
    version = restaurant_terms.version(RESTAURANT)
    redis_client.incr(restaurant_terms.version_key(RESTAURANT))
    restaurant_terms.publish(RESTAURANT, TERMS, version=version)

    assert restaurant_terms.published(RESTAURANT) is None


def test_published_terms_expire(redis_client, settings):
    settings.PRICE_LIST_TTL_S = 30
    restaurant_terms.publish(RESTAURANT, TERMS, version=restaurant_terms.version(RESTAURANT))

    ttls = [redis_client.ttl(key) for key in redis_client.scan_iter(match=f"{settings.REDIS_KEY_PREFIX}terms:*")]

    assert ttls
    assert all(0 < ttl <= 30 for ttl in ttls)


def test_without_redis_nothing_is_published_or_read(redis_down):
    assert restaurant_terms.version(RESTAURANT) is None
    restaurant_terms.publish(RESTAURANT, TERMS, version="2")

    assert restaurant_terms.published(RESTAURANT) is None
