"""OWASP API2:2023 Broken Authentication. Forged, expired, wrong-audience, wrong-issuer and
wrong-type tokens on every token route are `test_security_regressions.py`; the sign-in, refresh
and MFA rules have their own tests in `auth_service/accounts/tests/`. Here: what a client sees of
them through the gateway."""

import uuid

import pytest


def test_a_token_is_taken_from_the_authorization_header_only(city):
    token = city.customers[0]["headers"]["Authorization"].split()[1]

    assert city.call("GET", "/customers/me", params={"access_token": token}).status_code == 401
    assert city.call("GET", "/customers/me", {"Cookie": f"access_token={token}"}).status_code == 401
    assert city.call("GET", "/customers/me", {"Authorization": f"Token {token}"}).status_code == 401


def test_wrong_password_and_unknown_email_get_the_same_answer(actors):
    email = f"api2-{uuid.uuid4().hex[:8]}@example.com"
    actors.call("POST", "/customers/register", json={"email": email, "password": "correct horse battery", "name": "A"})

    wrong = actors.call("POST", "/customers/login", json={"email": email, "password": "wrong horse battery"})
    unknown = actors.call("POST", "/customers/login", json={"email": f"x{email}", "password": "wrong horse battery"})

    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


def test_a_refresh_token_is_not_an_access_token(actors):
    email = f"api2-{uuid.uuid4().hex[:8]}@example.com"
    actors.call("POST", "/customers/register", json={"email": email, "password": "correct horse battery", "name": "A"})
    tokens = actors.ok("POST", "/customers/login", json={"email": email, "password": "correct horse battery"})

    assert (
        actors.call("GET", "/customers/me", headers={"Authorization": f"Bearer {tokens['refresh']}"}).status_code == 401
    )


@pytest.mark.parametrize("path", ["/orders/{oid}/events", "/couriers/me/events", "/restaurants/{rid}/orders/events"])
def test_live_streams_refuse_a_missing_or_bad_token_before_streaming(city, path):
    path = path.format(oid=city.order["id"], rid=city.owners[0]["restaurant"]["id"])

    for headers in ({}, {"Authorization": "Bearer not.a.token"}):
        response = city.call("GET", path, headers)
        assert response.status_code == 401
        assert response.headers["Content-Type"].startswith("application/json")
