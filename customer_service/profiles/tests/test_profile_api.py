"""The customer's own profile and addresses, with real tokens from the live auth service."""

import pytest
import requests

from profiles.tests.helpers import auth as _auth

VALID_ADDRESS = {
    "label": "Home",
    "line1": "1 Main St",
    "city": "Springfield",
    "postcode": "12345",
    "lat": 52.1,
    "lng": 4.3,
}


def test_first_access_creates_the_profile_from_the_auth_account(api_client, customer):
    account_id, token = customer

    response = api_client.get("/customers/me", headers=_auth(token))

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == account_id
    assert body["name"] == "Cleo"
    assert body["preferences"] == {"cuisines": [], "dietary": []}


def test_patch_updates_name_phone_and_preferences(api_client, customer):
    _, token = customer

    response = api_client.patch(
        "/customers/me",
        {"phone": "+31 20 123 4567", "preferences": {"cuisines": ["thai"]}},
        format="json",
        headers=_auth(token),
    )

    assert response.status_code == 200
    assert response.json()["phone"] == "+31 20 123 4567"
    assert response.json()["preferences"]["cuisines"] == ["thai"]
    assert api_client.get("/customers/me", headers=_auth(token)).json()["preferences"]["cuisines"] == ["thai"]


@pytest.mark.parametrize("body", [{"phone": "call me"}, {"preferences": {"cuisines": "thai"}}, {"name": {"$ne": 1}}])
def test_invalid_profile_changes_are_400(api_client, customer, body):
    assert api_client.patch("/customers/me", body, format="json", headers=_auth(customer[1])).status_code == 400


def test_other_kinds_of_users_are_403_and_anonymous_401(api_client, issue_token):
    assert api_client.get("/customers/me", headers=_auth(issue_token("courier"))).status_code == 403
    assert api_client.get("/customers/me").status_code == 401


def test_addresses_are_added_with_an_id_and_the_first_is_default(api_client, customer):
    _, token = customer

    first = api_client.post("/customers/me/addresses", VALID_ADDRESS, format="json", headers=_auth(token))
    second = api_client.post(
        "/customers/me/addresses", {**VALID_ADDRESS, "label": "Work"}, format="json", headers=_auth(token)
    )

    assert first.status_code == second.status_code == 201
    assert len(first.json()["id"]) == 24
    assert first.json()["is_default"] is True
    assert second.json()["is_default"] is False


def test_making_an_address_default_clears_the_previous_default(api_client, customer):
    _, token = customer
    first = api_client.post("/customers/me/addresses", VALID_ADDRESS, format="json", headers=_auth(token)).json()
    second = api_client.post(
        "/customers/me/addresses", {**VALID_ADDRESS, "is_default": True}, format="json", headers=_auth(token)
    ).json()

    addresses = {a["id"]: a for a in api_client.get("/customers/me/addresses", headers=_auth(token)).json()["results"]}

    assert addresses[second["id"]]["is_default"] is True
    assert addresses[first["id"]]["is_default"] is False


@pytest.mark.parametrize("change", [{"lat": 91}, {"lng": -181}, {"lat": "north"}, {"postcode": ""}])
def test_out_of_range_or_wrong_addresses_are_400(api_client, customer, change):
    response = api_client.post(
        "/customers/me/addresses", {**VALID_ADDRESS, **change}, format="json", headers=_auth(customer[1])
    )

    assert response.status_code == 400


def test_an_address_can_be_updated_and_deleted(api_client, customer):
    _, token = customer
    address = api_client.post("/customers/me/addresses", VALID_ADDRESS, format="json", headers=_auth(token)).json()
    path = f"/customers/me/addresses/{address['id']}"

    updated = api_client.patch(path, {"line1": "2 Side St"}, format="json", headers=_auth(token))
    deleted = api_client.delete(path, headers=_auth(token))

    assert updated.status_code == 200
    assert updated.json()["line1"] == "2 Side St"
    assert deleted.status_code == 204
    assert api_client.get(path, headers=_auth(token)).status_code == 404


def test_a_customer_never_sees_another_customers_address(api_client, customer, live_platform):
    _, token = customer
    address = api_client.post("/customers/me/addresses", VALID_ADDRESS, format="json", headers=_auth(token)).json()
    auth = live_platform.url("auth")
    requests.post(
        f"{auth}/customers/register",
        json={"email": "mallory@example.com", "password": "correct horse battery", "name": "M"},
        timeout=10,
    )
    other = requests.post(
        f"{auth}/customers/login",
        json={"email": "mallory@example.com", "password": "correct horse battery"},
        timeout=10,
    ).json()

    for method in ("get", "patch", "delete"):
        response = getattr(api_client, method)(
            f"/customers/me/addresses/{address['id']}", {}, format="json", headers=_auth(other["access"])
        )
        assert response.status_code == 404


@pytest.mark.parametrize("address_id", ["nope", "0" * 24, "{'$ne': 1}"])
def test_unknown_or_malformed_address_ids_are_404(api_client, customer, address_id):
    assert api_client.get(f"/customers/me/addresses/{address_id}", headers=_auth(customer[1])).status_code == 404


def test_first_access_while_auth_is_down_is_a_503_with_retry_after(api_client, customer, service_down):
    service_down("auth")

    response = api_client.get("/customers/me", headers=_auth(customer[1]))

    assert response.status_code == 503
    assert response["Retry-After"]
