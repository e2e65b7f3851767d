"""TOTP two-factor sign-in for restaurant users."""

import time

import pyotp
import pytest

from accounts.tests.helpers import login, register, registered_and_logged_in


def _auth(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def mfa_user(api_client):
    """A restaurant user with MFA switched on: (secret, recovery codes)."""
    tokens = registered_and_logged_in(api_client, "restaurants", email="chef@example.com")
    setup = api_client.post("/restaurants/mfa/setup", headers=_auth(tokens["access"]))
    assert setup.status_code == 200
    secret = setup.json()["secret"]
    confirm = api_client.post(
        "/restaurants/mfa/confirm", {"code": pyotp.TOTP(secret).now()}, format="json", headers=_auth(tokens["access"])
    )
    assert confirm.status_code == 200
    return secret, confirm.json()["recovery_codes"]


def _challenge(api_client):
    response = login(api_client, "restaurants", email="chef@example.com")
    assert response.status_code == 200
    assert response.json()["mfa_required"] is True
    return response.json()["mfa_token"]


def _next_code(secret):
    # The current step's code was spent confirming setup; the next step is within allowed drift.
    return pyotp.TOTP(secret).at(time.time() + 30)


def test_setup_returns_secret_uri_and_svg_qr(api_client):
    tokens = registered_and_logged_in(api_client, "restaurants", email="chef@example.com")

    body = api_client.post("/restaurants/mfa/setup", headers=_auth(tokens["access"])).json()

    assert body["otpauth_uri"].startswith("otpauth://totp/")
    assert body["secret"] in body["otpauth_uri"]
    assert body["qr_svg"].lstrip().startswith("<svg")


def test_mfa_setup_is_for_restaurant_users_only(api_client):
    tokens = registered_and_logged_in(api_client, "customers")

    assert api_client.post("/restaurants/mfa/setup", headers=_auth(tokens["access"])).status_code == 403
    assert api_client.post("/restaurants/mfa/setup").status_code == 401


def test_confirm_with_a_wrong_code_keeps_mfa_off(api_client):
    tokens = registered_and_logged_in(api_client, "restaurants", email="chef@example.com")
    api_client.post("/restaurants/mfa/setup", headers=_auth(tokens["access"]))

    response = api_client.post(
        "/restaurants/mfa/confirm", {"code": "000000"}, format="json", headers=_auth(tokens["access"])
    )

    assert response.status_code == 401
    assert "access" in login(api_client, "restaurants", email="chef@example.com").json()


def test_with_mfa_on_a_password_alone_gives_no_tokens(api_client, mfa_user):
    body = login(api_client, "restaurants", email="chef@example.com").json()

    assert set(body) == {"mfa_required", "mfa_token"}


def test_a_valid_code_exchanges_the_mfa_token_for_tokens_once(api_client, mfa_user):
    secret, _ = mfa_user
    code = _next_code(secret)

    first = api_client.post(
        "/restaurants/login/mfa", {"mfa_token": _challenge(api_client), "code": code}, format="json"
    )
    replay = api_client.post(
        "/restaurants/login/mfa", {"mfa_token": _challenge(api_client), "code": code}, format="json"
    )

    assert first.status_code == 200
    assert {"access", "refresh", "token_type", "expires_in"} <= set(first.json())
    assert replay.status_code == 401


def test_a_recovery_code_works_exactly_once(api_client, mfa_user):
    _, codes = mfa_user
    assert len(codes) == 10

    first = api_client.post(
        "/restaurants/login/mfa", {"mfa_token": _challenge(api_client), "code": codes[0]}, format="json"
    )
    second = api_client.post(
        "/restaurants/login/mfa", {"mfa_token": _challenge(api_client), "code": codes[0]}, format="json"
    )

    assert first.status_code == 200
    assert second.status_code == 401


def test_recovery_codes_are_stored_hashed(api_client, mfa_user, mongo_db):
    _, codes = mfa_user
    stored = mongo_db["accounts"].find_one({"email": "chef@example.com"})["mfa"]["recovery_hashes"]

    assert len(stored) == 10
    assert not set(codes) & set(stored)


def test_wrong_codes_are_rate_limited(api_client, mfa_user, settings):
    settings.MFA_FAILURES_PER_ACCOUNT = 3
    token = _challenge(api_client)
    statuses = [
        api_client.post("/restaurants/login/mfa", {"mfa_token": token, "code": "123456"}, format="json").status_code
        for _ in range(4)
    ]

    assert statuses == [401, 401, 401, 429]


def test_an_access_token_is_not_an_mfa_token(api_client, mfa_user):
    tokens = registered_and_logged_in(api_client, "restaurants", email="other@example.com")

    response = api_client.post(
        "/restaurants/login/mfa", {"mfa_token": tokens["access"], "code": "123456"}, format="json"
    )

    assert response.status_code == 401


def test_setup_twice_after_enabling_is_a_conflict(api_client, mfa_user):
    secret, _ = mfa_user
    tokens = api_client.post(
        "/restaurants/login/mfa", {"mfa_token": _challenge(api_client), "code": _next_code(secret)}, format="json"
    ).json()

    assert api_client.post("/restaurants/mfa/setup", headers=_auth(tokens["access"])).status_code == 409


def test_customers_have_no_mfa_step(api_client):
    register(api_client, "customers", email="chef@example.com")

    assert "access" in login(api_client, "customers", email="chef@example.com").json()
