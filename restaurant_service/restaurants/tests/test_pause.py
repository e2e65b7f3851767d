"""Pausing new orders (restaurants/pause.py): the owner only, 1 to 720 minutes, what quotes and
lists show while it lasts, and its end by itself, read against an injected clock (never a sleep)."""

from datetime import UTC, datetime, timedelta

import pytest

from common.redis_client import redis_key
from restaurants import pause
from restaurants.tests.helpers import ADDRESS, add_item, create_restaurant, order_quote


def _pause(client, headers, restaurant_id, body):
    return client.post(f"/restaurants/{restaurant_id}/pause", body, format="json", headers=headers)


def _paused(client, headers, restaurant_id, minutes=30) -> dict:
    response = _pause(client, headers, restaurant_id, {"minutes": minutes})
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def clock(monkeypatch):
    """The clock pauses are read against, moved by the test."""

    class Clock:
        at = datetime.now(UTC).replace(microsecond=0)  # MongoDB keeps milliseconds

        def pass_minutes(self, minutes: float) -> None:
            self.at += timedelta(minutes=minutes)

    clock = Clock()
    monkeypatch.setattr(pause, "now", lambda: clock.at)
    return clock


def test_the_owner_pauses_new_orders_for_a_while_and_resumes(api_client, owner, clock):
    restaurant = create_restaurant(api_client, owner[1])
    path = f"/restaurants/{restaurant['id']}"

    paused = _paused(api_client, owner[1], restaurant["id"], minutes=45)

    assert paused["accepting_orders"] is False
    assert datetime.fromisoformat(paused["paused_until"]) == clock.at + timedelta(minutes=45)
    assert api_client.get(path).json()["paused_until"] == paused["paused_until"]
    menu = api_client.get(f"{path}/menu").json()
    assert (menu["accepting_orders"], menu["paused_until"]) == (False, paused["paused_until"])

    resumed = api_client.delete(f"{path}/pause", headers=owner[1])

    assert resumed.status_code == 200
    assert (resumed.json()["accepting_orders"], resumed.json()["paused_until"]) == (True, None)
    assert api_client.get(f"{path}/menu").json()["accepting_orders"] is True


def test_only_the_owner_pauses_or_resumes(api_client, owner, rival, issue_token):
    restaurant = create_restaurant(api_client, owner[1])
    customer = {"Authorization": f"Bearer {issue_token('customer')}"}
    path = f"/restaurants/{restaurant['id']}/pause"

    assert api_client.post(path, {"minutes": 10}, format="json").status_code == 401
    assert api_client.post(path, {"minutes": 10}, format="json", headers=customer).status_code == 403
    refused = api_client.post(path, {"minutes": 10}, format="json", headers=rival)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "not_owner")
    assert api_client.delete(path, headers=rival).status_code == 403
    assert (
        api_client.post(f"/restaurants/{'0' * 24}/pause", {"minutes": 10}, format="json", headers=owner[1]).status_code
        == 404
    )
    assert api_client.get(f"/restaurants/{restaurant['id']}").json()["accepting_orders"] is True


@pytest.mark.parametrize("body", [{}, {"minutes": 0}, {"minutes": 721}, {"minutes": "soon"}, {"minutes": {"$gt": 1}}])
def test_a_pause_outside_1_to_720_minutes_is_a_400(api_client, owner, body):
    restaurant = create_restaurant(api_client, owner[1])

    response = _pause(api_client, owner[1], restaurant["id"], body)

    assert response.status_code == 400
    assert set(response.json()["error"]["details"]) == {"minutes"}
    assert api_client.get(f"/restaurants/{restaurant['id']}").json()["paused_until"] is None


@pytest.mark.parametrize("minutes", [1, 720])
def test_the_bounds_themselves_are_taken(api_client, owner, clock, minutes):
    restaurant = create_restaurant(api_client, owner[1])

    paused = _paused(api_client, owner[1], restaurant["id"], minutes=minutes)

    assert datetime.fromisoformat(paused["paused_until"]) == clock.at + timedelta(minutes=minutes)


def test_a_paused_restaurant_quotes_its_pause_for_the_order_service(api_client, owner, service_headers, clock):
    restaurant = create_restaurant(api_client, owner[1])
    item = add_item(api_client, owner[1], restaurant["id"])
    order_quote(api_client, service_headers, restaurant["id"], [item["id"]])  # terms published, then retired

    paused = _paused(api_client, owner[1], restaurant["id"], minutes=20)
    quote = order_quote(api_client, service_headers, restaurant["id"], [item["id"]])

    assert quote["paused_until"] is not None
    assert datetime.fromisoformat(quote["paused_until"]) == datetime.fromisoformat(paused["paused_until"])
    api_client.delete(f"/restaurants/{restaurant['id']}/pause", headers=owner[1])
    assert order_quote(api_client, service_headers, restaurant["id"], [item["id"]])["paused_until"] is None


def test_lists_show_paused_restaurants_after_those_taking_orders(api_client, owner, clock):
    for name in ("Alpha", "Bravo", "Charlie", "Delta"):
        create_restaurant(api_client, owner[1], name=name)
    by_name = {r["name"]: r for r in api_client.get("/restaurants").json()["results"]}
    _paused(api_client, owner[1], by_name["Alpha"]["id"])
    api_client.patch(
        f"/restaurants/{by_name['Charlie']['id']}", {"accepting_orders": False}, format="json", headers=owner[1]
    )

    first = api_client.get("/restaurants?page_size=3").json()
    second = api_client.get("/restaurants?page=2&page_size=3").json()

    assert first["count"] == 4
    shown = [(r["name"], r["accepting_orders"]) for r in first["results"] + second["results"]]
    assert shown == [("Bravo", True), ("Delta", True), ("Alpha", False), ("Charlie", False)]


def test_browsing_near_a_place_shows_paused_restaurants_after_those_taking_orders(api_client, owner, clock):
    near = create_restaurant(api_client, owner[1], name="Near", address={**ADDRESS, "lat": 52.371})
    create_restaurant(api_client, owner[1], name="Far", address={**ADDRESS, "lat": 52.40})
    _paused(api_client, owner[1], near["id"])

    results = api_client.get("/restaurants?near=52.37,4.89").json()["results"]

    assert [(r["name"], r["accepting_orders"]) for r in results] == [("Far", True), ("Near", False)]
    assert results[1]["distance_km"] < results[0]["distance_km"]


def test_a_pause_ends_by_itself(api_client, owner, service_headers, clock):
    restaurant = create_restaurant(api_client, owner[1], name="Alpha")
    create_restaurant(api_client, owner[1], name="Bravo")
    item = add_item(api_client, owner[1], restaurant["id"])
    _paused(api_client, owner[1], restaurant["id"], minutes=10)

    clock.pass_minutes(9)
    assert api_client.get(f"/restaurants/{restaurant['id']}").json()["accepting_orders"] is False
    clock.pass_minutes(1)

    shown = api_client.get(f"/restaurants/{restaurant['id']}").json()
    assert (shown["accepting_orders"], shown["paused_until"]) == (True, None)
    assert [r["name"] for r in api_client.get("/restaurants").json()["results"]] == ["Alpha", "Bravo"]
    assert order_quote(api_client, service_headers, restaurant["id"], [item["id"]])["paused_until"] is None


def test_a_cached_menu_lives_no_longer_than_the_pause_it_shows(api_client, owner, redis_client):
    restaurant = create_restaurant(api_client, owner[1])
    _paused(api_client, owner[1], restaurant["id"], minutes=1)

    assert api_client.get(f"/restaurants/{restaurant['id']}/menu").json()["accepting_orders"] is False

    version = redis_client.get(redis_key(f"menu:{restaurant['id']}", "version"))
    assert 0 < redis_client.ttl(redis_key(f"menu:{restaurant['id']}", version)) <= 60


@pytest.mark.parametrize(
    ("ends_in_s", "expected"),
    [(None, 300), (-5, 300), (0.2, 1), (42.5, 43), (3600, 300)],
)
def test_an_entry_s_lifetime_stops_at_the_first_pause_it_shows(ends_in_s, expected):
    at = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    shown = [{"paused_until": None}, {"paused_until": at + timedelta(seconds=ends_in_s) if ends_in_s else None}]

    assert pause.cache_lifetime_s(300, shown, at=at) == expected
