"""The feed asks the live restaurant service for open restaurants of the preferred cuisines."""

import uuid

import pytest
import requests

from profiles.tests.helpers import auth as _auth

ADDRESS = {"line1": "1 Canal St", "city": "Amsterdam", "postcode": "1011", "lat": 52.37, "lng": 4.89}


@pytest.fixture(scope="module")
def restaurants(live_platform):
    """Three restaurants on the live platform, with a unique cuisine tag per test module run."""
    auth, restaurant = live_platform.url("auth"), live_platform.url("restaurant")
    email = f"r-{uuid.uuid4().hex[:8]}@example.com"
    requests.post(
        f"{auth}/restaurants/register",
        json={"email": email, "password": "correct horse battery", "name": "R"},
        timeout=10,
    )
    token = requests.post(
        f"{auth}/restaurants/login", json={"email": email, "password": "correct horse battery"}, timeout=10
    ).json()["access"]
    tag = uuid.uuid4().hex[:6]
    for name, cuisine in [("Thai One", f"thai{tag}"), ("Thai Two", f"thai{tag}"), ("Pasta", f"italian{tag}")]:
        created = requests.post(
            f"{restaurant}/restaurants",
            json={"name": name, "cuisine": cuisine, "address": ADDRESS},
            headers=_auth(token),
            timeout=10,
        )
        assert created.status_code == 201, created.text
    return tag


def test_the_feed_lists_open_restaurants_of_preferred_cuisines(api_client, customer, restaurants):
    _, token = customer
    api_client.patch(
        "/customers/me", {"preferences": {"cuisines": [f"thai{restaurants}"]}}, format="json", headers=_auth(token)
    )

    feed = api_client.get("/customers/me/feed?page_size=1", headers=_auth(token))

    assert feed.status_code == 200
    body = feed.json()
    assert body["count"] == 2
    assert [r["name"] for r in body["results"]] == ["Thai One"]
    assert body["next"].startswith("http://testserver/customers/me/feed")


def test_the_feed_is_a_503_when_the_restaurant_service_is_down(api_client, customer, service_down):
    api_client.get("/customers/me", headers=_auth(customer[1]))  # profile exists; only the feed needs restaurants
    service_down("restaurant")

    response = api_client.get("/customers/me/feed", headers=_auth(customer[1]))

    assert response.status_code == 503
    assert response.json()["error"]["details"]["service"] == "restaurant"
    assert response["Retry-After"]
