"""Restaurants: ownership, validation, public browsing with search, filters and pages."""

import pytest

from restaurants.tests.helpers import ADDRESS, create_restaurant


def test_a_restaurant_user_creates_a_restaurant_they_own(api_client, owner):
    owner_id, headers = owner

    restaurant = create_restaurant(api_client, headers, opening_hours=[{"day": 0, "open": "11:00", "close": "22:00"}])

    assert len(restaurant["id"]) == 24
    assert restaurant["owner_id"] == owner_id
    assert restaurant["cuisine"] == "vietnamese"
    assert restaurant["accepting_orders"] is True
    assert set(restaurant) >= {"name", "address", "opening_hours", "is_open_now", "created_at"}


def test_an_address_without_coordinates_is_accepted_as_the_contract_says(api_client, owner):
    address = {"line1": "1 Canal St", "city": "Amsterdam", "postcode": "1011"}

    response = api_client.post(
        "/restaurants", {"name": "Pho", "cuisine": "thai", "address": address}, format="json", headers=owner[1]
    )

    assert response.status_code == 201, response.content
    assert response.json()["address"] == {**address, "lat": None, "lng": None}


def test_only_restaurant_users_create_restaurants(api_client, issue_token):
    body = {"name": "X", "cuisine": "thai", "address": ADDRESS}
    customer = {"Authorization": f"Bearer {issue_token('customer')}"}

    assert api_client.post("/restaurants", body, format="json").status_code == 401
    assert api_client.post("/restaurants", body, format="json", headers=customer).status_code == 403


@pytest.mark.parametrize(
    "change",
    [
        {"name": ""},
        {"address": {**ADDRESS, "lat": 95}},
        {"address": {"line1": "1 A", "city": "B", "postcode": "1", "lat": 52.0}},
        {"address": "Main street"},
        {"opening_hours": [{"day": 7, "open": "10:00", "close": "11:00"}]},
        {"opening_hours": [{"day": 1, "open": "10:07", "close": "11:00"}]},
        {"opening_hours": [{"day": 1, "open": "24:00", "close": "11:00"}]},
        {"name": {"$ne": ""}},
        {"accepting_orders": "sometimes"},
    ],
)
def test_invalid_restaurants_are_400_with_field_details(api_client, owner, change):
    body = {"name": "Pho", "cuisine": "thai", "address": ADDRESS, **change}

    response = api_client.post("/restaurants", body, format="json", headers=owner[1])

    assert response.status_code == 400
    assert set(response.json()["error"]["details"]) <= set(body)


def test_the_owner_edits_the_profile_and_nobody_else_can(api_client, owner, rival):
    restaurant = create_restaurant(api_client, owner[1])
    path = f"/restaurants/{restaurant['id']}"

    edited = api_client.patch(path, {"name": "Pho Royal", "accepting_orders": False}, format="json", headers=owner[1])
    refused = api_client.patch(path, {"name": "Hijacked"}, format="json", headers=rival)

    assert edited.status_code == 200
    assert edited.json()["name"] == "Pho Royal"
    assert refused.status_code == 403
    assert api_client.get(path).json()["name"] == "Pho Royal"


@pytest.mark.parametrize("restaurant_id", ["nope", "0" * 24, "%7B%22$ne%22:1%7D"])
def test_unknown_or_malformed_ids_are_404(api_client, owner, restaurant_id):
    assert api_client.get(f"/restaurants/{restaurant_id}").status_code == 404
    assert (
        api_client.patch(f"/restaurants/{restaurant_id}", {"name": "x"}, format="json", headers=owner[1]).status_code
        == 404
    )
    assert api_client.get(f"/restaurants/{restaurant_id}/menu").status_code == 404


def test_browsing_is_public_paginated_and_stable(api_client, owner):
    for name in ["Delta", "alpha", "Charlie", "bravo", "Echo"]:
        create_restaurant(api_client, owner[1], name=name)

    first = api_client.get("/restaurants?page_size=2").json()
    second = api_client.get(first["next"]).json()
    third = api_client.get(second["next"]).json()

    assert first["count"] == 5
    assert first["previous"] is None
    names = [r["name"] for page in (first, second, third) for r in page["results"]]
    assert names == ["alpha", "bravo", "Charlie", "Delta", "Echo"]
    assert third["next"] is None
    assert second["previous"]


def test_search_is_case_insensitive_and_literal(api_client, owner):
    create_restaurant(api_client, owner[1], name="Pho Palace")
    create_restaurant(api_client, owner[1], name="Pizza Place")

    assert [r["name"] for r in api_client.get("/restaurants?q=PHO").json()["results"]] == ["Pho Palace"]
    assert api_client.get("/restaurants?q=P.o").json()["count"] == 0
    assert api_client.get("/restaurants?q=(((((a*)*)*)*)*").json()["count"] == 0


def test_cuisine_filter_takes_one_or_several(api_client, owner):
    create_restaurant(api_client, owner[1], name="A", cuisine="Thai")
    create_restaurant(api_client, owner[1], name="B", cuisine="italian")
    create_restaurant(api_client, owner[1], name="C", cuisine="mexican")

    assert api_client.get("/restaurants?cuisine=thai").json()["count"] == 1
    assert api_client.get("/restaurants?cuisine=thai,Italian").json()["count"] == 2


def test_open_now_filter_uses_opening_hours(api_client, owner):
    from datetime import UTC, datetime

    today = datetime.now(UTC).weekday()
    create_restaurant(api_client, owner[1], name="Always")
    create_restaurant(
        api_client,
        owner[1],
        name="Never today",
        opening_hours=[{"day": (today + 3) % 7, "open": "10:00", "close": "11:00"}],
    )

    results = api_client.get("/restaurants?open_now=true").json()["results"]

    assert [r["name"] for r in results] == ["Always"]
    assert results[0]["is_open_now"] is True


def test_a_page_past_the_end_is_404_and_junk_page_numbers_fall_back(api_client, owner):
    create_restaurant(api_client, owner[1])

    assert api_client.get("/restaurants?page=5").status_code == 404
    assert api_client.get("/restaurants?page=abc").status_code == 200


@pytest.mark.parametrize(
    "change",
    [
        {"address": {"line1": "Only a street"}},
        {"opening_hours": [{"day": 1, "open": "10:00"}]},
    ],
)
def test_a_patch_replaces_address_or_hours_only_with_complete_ones(api_client, owner, change):
    restaurant = create_restaurant(api_client, owner[1])

    response = api_client.patch(f"/restaurants/{restaurant['id']}", change, format="json", headers=owner[1])

    assert response.status_code == 400
    assert api_client.get("/restaurants").status_code == 200


def test_an_absurd_page_number_is_a_404_not_a_crash(api_client, owner):
    create_restaurant(api_client, owner[1])

    assert api_client.get("/restaurants?page=1081633738406893000000&page_size=-5").status_code == 404


def test_a_restaurant_user_lists_their_own_restaurants(api_client, owner, rival, issue_token):
    create_restaurant(api_client, owner[1], name="Mine")
    create_restaurant(api_client, rival, name="Theirs")
    customer = {"Authorization": f"Bearer {issue_token('customer')}"}

    mine = api_client.get("/restaurants?mine=true", headers=owner[1])

    assert [r["name"] for r in mine.json()["results"]] == ["Mine"]
    assert api_client.get("/restaurants?mine=true").status_code == 401
    assert api_client.get("/restaurants?mine=true", headers=customer).status_code == 403
    assert api_client.get("/restaurants").json()["count"] == 2
