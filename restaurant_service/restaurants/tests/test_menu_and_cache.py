"""Menus, and the Redis cache in front of them, against the real servers."""

import pytest

from restaurants.tests.helpers import add_item, create_restaurant, order_quote


@pytest.fixture
def restaurant(api_client, owner):
    return create_restaurant(api_client, owner[1])


def test_the_owner_builds_the_menu_and_anyone_reads_it(api_client, owner, restaurant):
    item = add_item(api_client, owner[1], restaurant["id"], category="Soups", dietary_tags=["gluten-free"])

    menu = api_client.get(f"/restaurants/{restaurant['id']}/menu")

    assert menu.status_code == 200
    body = menu.json()
    assert body["restaurant_id"] == restaurant["id"]
    assert [i["id"] for i in body["items"]] == [item["id"]]
    assert body["items"][0]["price_cents"] == 1250
    assert body["items"][0]["available"] is True


@pytest.mark.parametrize("price", [0, -5, "12.50", 12.5, None, {"$gt": 0}])
def test_prices_must_be_positive_integer_cents(api_client, owner, restaurant, price):
    response = api_client.post(
        f"/restaurants/{restaurant['id']}/menu/items",
        {"name": "X", "price_cents": price},
        format="json",
        headers=owner[1],
    )

    assert response.status_code == 400
    assert "price_cents" in response.json()["error"]["details"]


def test_another_restaurant_user_cannot_touch_the_menu(api_client, owner, rival, restaurant):
    item = add_item(api_client, owner[1], restaurant["id"])
    base = f"/restaurants/{restaurant['id']}/menu/items"

    assert api_client.post(base, {"name": "X", "price_cents": 1}, format="json", headers=rival).status_code == 403
    assert api_client.patch(f"{base}/{item['id']}", {"price_cents": 1}, format="json", headers=rival).status_code == 403
    assert api_client.delete(f"{base}/{item['id']}", headers=rival).status_code == 403


def test_an_item_of_another_restaurant_is_not_found(api_client, owner, restaurant):
    other = create_restaurant(api_client, owner[1], name="Other")
    item = add_item(api_client, owner[1], other["id"])

    response = api_client.patch(
        f"/restaurants/{restaurant['id']}/menu/items/{item['id']}", {"price_cents": 1}, format="json", headers=owner[1]
    )

    assert response.status_code == 404


def test_menu_reads_are_served_from_the_cache(api_client, owner, restaurant, mongo_db):
    add_item(api_client, owner[1], restaurant["id"])
    api_client.get(f"/restaurants/{restaurant['id']}/menu")
    # Changed behind the service's back: only a cached read still shows the old price.
    mongo_db["menu_items"].update_many({}, {"$set": {"price_cents": 1}})

    menu = api_client.get(f"/restaurants/{restaurant['id']}/menu").json()

    assert menu["items"][0]["price_cents"] == 1250


def test_a_price_change_is_visible_on_the_next_read(api_client, owner, restaurant):
    item = add_item(api_client, owner[1], restaurant["id"])
    api_client.get(f"/restaurants/{restaurant['id']}/menu")  # now cached

    api_client.patch(
        f"/restaurants/{restaurant['id']}/menu/items/{item['id']}",
        {"price_cents": 1400},
        format="json",
        headers=owner[1],
    )

    assert api_client.get(f"/restaurants/{restaurant['id']}/menu").json()["items"][0]["price_cents"] == 1400


def test_adding_and_deleting_items_invalidate_the_menu(api_client, owner, restaurant):
    first = add_item(api_client, owner[1], restaurant["id"], name="A")
    api_client.get(f"/restaurants/{restaurant['id']}/menu")
    add_item(api_client, owner[1], restaurant["id"], name="B")
    assert len(api_client.get(f"/restaurants/{restaurant['id']}/menu").json()["items"]) == 2

    deleted = api_client.delete(f"/restaurants/{restaurant['id']}/menu/items/{first['id']}", headers=owner[1])

    assert deleted.status_code == 204
    assert [i["name"] for i in api_client.get(f"/restaurants/{restaurant['id']}/menu").json()["items"]] == ["B"]


def test_cache_entries_expire_on_their_own(api_client, owner, restaurant, redis_client):
    add_item(api_client, owner[1], restaurant["id"])
    api_client.get(f"/restaurants/{restaurant['id']}/menu")

    ttls = [redis_client.ttl(key) for key in redis_client.scan_iter(match="*menu*") if not key.endswith("version")]

    assert ttls
    assert all(0 < ttl <= 300 for ttl in ttls)


def test_with_redis_down_menus_are_read_from_mongodb(api_client, owner, restaurant, request):
    add_item(api_client, owner[1], restaurant["id"])
    request.getfixturevalue("redis_down")

    menu = api_client.get(f"/restaurants/{restaurant['id']}/menu")
    edited = api_client.patch(
        f"/restaurants/{restaurant['id']}", {"name": "Still works"}, format="json", headers=owner[1]
    )
    popular = api_client.get("/restaurants/popular")

    assert menu.status_code == 200
    assert len(menu.json()["items"]) == 1
    assert edited.status_code == 200
    assert popular.status_code == 200


def test_popular_follows_orders_placed_and_is_invalidated_by_edits(api_client, owner, restaurant, service_headers):
    other = create_restaurant(api_client, owner[1], name="Zebra Grill")
    for _ in range(2):
        counted = api_client.post(f"/internal/restaurants/{other['id']}/orders-placed", headers=service_headers)
        assert counted.status_code == 204
    api_client.get("/restaurants/popular")  # now cached
    api_client.patch(f"/restaurants/{other['id']}", {"name": "Zebra Grill 2"}, format="json", headers=owner[1])

    popular = api_client.get("/restaurants/popular").json()

    assert set(popular) == {"count", "next", "previous", "results"}
    assert [r["name"] for r in popular["results"]] == ["Zebra Grill 2", "Pho Palace"]
    assert popular["results"][0]["order_count"] == 2


def test_internal_routes_need_a_service_token(api_client, owner, restaurant):
    path = f"/internal/restaurants/{restaurant['id']}/orders-placed"

    assert api_client.post(path).status_code == 401
    assert api_client.post(path, headers=owner[1]).status_code == 403


def test_order_quote_gives_current_prices_owner_and_unknown_items(api_client, owner, restaurant, service_headers):
    item = add_item(api_client, owner[1], restaurant["id"])
    sold_out = add_item(api_client, owner[1], restaurant["id"], name="Banh mi", price_cents=800, available=False)

    quote = api_client.post(
        f"/internal/restaurants/{restaurant['id']}/order-quote",
        {"menu_item_ids": [item["id"], sold_out["id"], "nope", "0" * 24]},
        format="json",
        headers=service_headers,
    ).json()

    assert quote["owner_id"] == owner[0]
    assert quote["accepting_orders"] is True
    assert {(i["menu_item_id"], i["unit_price_cents"], i["available"]) for i in quote["items"]} == {
        (item["id"], 1250, True),
        (sold_out["id"], 800, False),
    }
    assert quote["unknown_item_ids"] == sorted(["nope", "0" * 24])


def _quote(api_client, restaurant, service_headers, item_ids):
    return order_quote(api_client, service_headers, restaurant["id"], item_ids)


def test_quotes_take_the_restaurants_own_fields_from_the_cache(
    api_client, owner, restaurant, service_headers, mongo_db
):
    item = add_item(api_client, owner[1], restaurant["id"])
    _quote(api_client, restaurant, service_headers, [item["id"]])
    # Changed behind the service's back: only a cached read still shows the old name.
    mongo_db["restaurants"].update_many({}, {"$set": {"name": "Renamed behind its back"}})

    assert _quote(api_client, restaurant, service_headers, [item["id"]])["name"] == restaurant["name"]


def test_quotes_never_take_prices_from_a_cache(api_client, owner, restaurant, service_headers, mongo_db):
    item = add_item(api_client, owner[1], restaurant["id"])
    api_client.get(f"/restaurants/{restaurant['id']}/menu")  # the menu cached too
    _quote(api_client, restaurant, service_headers, [item["id"]])
    mongo_db["menu_items"].update_many({}, {"$set": {"price_cents": 999, "available": False}})

    line = _quote(api_client, restaurant, service_headers, [item["id"]])["items"][0]

    assert (line["unit_price_cents"], line["available"]) == (999, False)


def test_a_quote_after_an_edit_answers_sees_the_edit(api_client, owner, restaurant, service_headers):
    item = add_item(api_client, owner[1], restaurant["id"])
    _quote(api_client, restaurant, service_headers, [item["id"]])  # now cached

    edited = api_client.patch(
        f"/restaurants/{restaurant['id']}",
        {"accepting_orders": False, "delivery_radius_km": 2.5, "name": "Closed for today"},
        format="json",
        headers=owner[1],
    )
    quote = _quote(api_client, restaurant, service_headers, [item["id"]])

    assert edited.status_code == 200
    assert (quote["accepting_orders"], quote["delivery_radius_km"], quote["name"]) == (False, 2.5, "Closed for today")


def test_quote_entries_expire_on_their_own(api_client, owner, restaurant, service_headers, redis_client, settings):
    item = add_item(api_client, owner[1], restaurant["id"])
    _quote(api_client, restaurant, service_headers, [item["id"]])

    ttls = [redis_client.ttl(key) for key in redis_client.scan_iter(match="*quote*")]

    assert ttls
    assert all(0 < ttl <= settings.QUOTE_CACHE_TTL_S for ttl in ttls)


def test_with_redis_down_quotes_are_read_from_mongodb(api_client, owner, restaurant, service_headers, request):
    item = add_item(api_client, owner[1], restaurant["id"])
    request.getfixturevalue("redis_down")

    quote = _quote(api_client, restaurant, service_headers, [item["id"], "0" * 24])

    assert quote["owner_id"] == owner[0]
    assert [line["unit_price_cents"] for line in quote["items"]] == [1250]
    assert quote["unknown_item_ids"] == ["0" * 24]


def test_a_quote_for_an_unknown_restaurant_is_a_404(api_client, service_headers):
    for restaurant_id in ("0" * 24, "not-an-id"):
        response = api_client.post(
            f"/internal/restaurants/{restaurant_id}/order-quote",
            {"menu_item_ids": ["0" * 24]},
            format="json",
            headers=service_headers,
        )
        assert response.status_code == 404
