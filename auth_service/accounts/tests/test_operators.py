"""Operators: made by `manage.py create_operator`, never self-registered, always signed in with a code."""

import io
import time
from urllib.parse import parse_qs, urlparse

import pyotp
import pytest
from django.core.management import CommandError, call_command

from accounts.tests.helpers import login, refresh
from common.jwt import AccessToken

EMAIL = "ops@example.com"
PASSWORD = "a long operator passphrase"


def create_operator(monkeypatch, email=EMAIL, password=PASSWORD) -> str:
    """Runs the command as the people who run the platform would; returns the TOTP secret it printed."""
    monkeypatch.setenv("OPERATOR_PASSWORD", password)
    out = io.StringIO()
    call_command("create_operator", "--email", email, stdout=out)
    [uri] = [line for line in out.getvalue().splitlines() if line.startswith("otpauth://")]
    return parse_qs(urlparse(uri).query)["secret"][0]


def mfa_login(client, mfa_token, code, kind="operators"):
    return client.post(f"/{kind}/login/mfa", {"mfa_token": mfa_token, "code": code}, format="json")


def signed_in(client, secret, password=PASSWORD, at=None) -> dict:
    challenge = login(client, "operators", EMAIL, password)
    assert challenge.status_code == 200, challenge.content
    code = pyotp.TOTP(secret).at(at or time.time())
    response = mfa_login(client, challenge.json()["mfa_token"], code)
    assert response.status_code == 200, response.content
    return response.json()


def test_the_command_prints_the_otpauth_uri_once_with_the_secret(monkeypatch):
    monkeypatch.setenv("OPERATOR_PASSWORD", PASSWORD)
    out = io.StringIO()

    call_command("create_operator", "--email", "Ops@Example.com", stdout=out)

    text = out.getvalue()
    assert "ops@example.com created" in text
    [uri] = [line for line in text.splitlines() if line.startswith("otpauth://totp/")]
    assert len(parse_qs(urlparse(uri).query)["secret"][0]) >= 16


def test_an_operator_signs_in_with_a_password_then_a_code(api_client, monkeypatch):
    secret = create_operator(monkeypatch)

    challenge = login(api_client, "operators", EMAIL, PASSWORD)
    assert challenge.status_code == 200
    assert set(challenge.json()) == {"mfa_required", "mfa_token"}
    assert challenge.json()["mfa_required"] is True
    tokens = mfa_login(api_client, challenge.json()["mfa_token"], pyotp.TOTP(secret).now()).json()

    claims = AccessToken(tokens["access"]).payload
    assert claims["user_type"] == "operator"
    assert tokens["token_type"] == "Bearer"


def test_an_operator_refreshes_and_signs_out_as_the_others_do(api_client, monkeypatch):
    tokens = signed_in(api_client, create_operator(monkeypatch))

    rotated = refresh(api_client, tokens["refresh"], kind="operators")
    assert rotated.status_code == 200
    assert AccessToken(rotated.json()["access"]).payload["user_type"] == "operator"
    logout = api_client.post("/operators/logout", {"refresh": rotated.json()["refresh"]}, format="json")
    assert logout.status_code == 204
    assert refresh(api_client, rotated.json()["refresh"], kind="operators").status_code == 401


def test_an_operator_token_does_not_refresh_at_another_kinds_route(api_client, monkeypatch):
    tokens = signed_in(api_client, create_operator(monkeypatch))

    assert refresh(api_client, tokens["refresh"], kind="couriers").status_code == 401


def test_nobody_registers_as_an_operator(api_client):
    response = api_client.post(
        "/operators/register", {"email": EMAIL, "password": PASSWORD, "name": "Ops"}, format="json"
    )

    assert response.status_code == 404


def test_a_wrong_code_gives_no_tokens_and_a_code_is_spent_once(api_client, monkeypatch):
    secret = create_operator(monkeypatch)
    challenge = login(api_client, "operators", EMAIL, PASSWORD).json()["mfa_token"]

    assert mfa_login(api_client, challenge, "000000").status_code == 401
    code = pyotp.TOTP(secret).now()
    assert mfa_login(api_client, challenge, code).status_code == 200
    assert mfa_login(api_client, challenge, code).status_code == 401


def test_a_restaurant_users_mfa_token_is_no_operators_and_the_reverse(api_client, monkeypatch):
    create_operator(monkeypatch)
    operator_challenge = login(api_client, "operators", EMAIL, PASSWORD).json()["mfa_token"]

    assert mfa_login(api_client, operator_challenge, "123456", kind="restaurants").status_code == 401


def test_running_the_command_again_resets_password_and_secret_and_signs_out(api_client, monkeypatch):
    old_secret = create_operator(monkeypatch)
    old_tokens = signed_in(api_client, old_secret)

    new_secret = create_operator(monkeypatch, password="another long passphrase")

    assert new_secret != old_secret
    assert login(api_client, "operators", EMAIL, PASSWORD).status_code == 401
    assert refresh(api_client, old_tokens["refresh"], kind="operators").status_code == 401
    challenge = login(api_client, "operators", EMAIL, "another long passphrase").json()["mfa_token"]
    assert mfa_login(api_client, challenge, pyotp.TOTP(old_secret).now()).status_code == 401
    assert mfa_login(api_client, challenge, pyotp.TOTP(new_secret).now()).status_code == 200


def test_a_weak_password_is_refused_by_the_command(monkeypatch):
    monkeypatch.setenv("OPERATOR_PASSWORD", "12345678")

    with pytest.raises(CommandError, match="too weak"):
        call_command("create_operator", "--email", EMAIL, stdout=io.StringIO())


def test_failed_operator_sign_ins_are_throttled_as_the_others(api_client, monkeypatch, settings):
    create_operator(monkeypatch)
    for _ in range(settings.LOGIN_FAILURES_PER_ACCOUNT):
        assert login(api_client, "operators", EMAIL, "wrong password!").status_code == 401

    throttled = login(api_client, "operators", EMAIL, PASSWORD)

    assert throttled.status_code == 429
    assert int(throttled["Retry-After"]) > 0


def test_wrong_codes_are_throttled(api_client, monkeypatch, settings):
    secret = create_operator(monkeypatch)
    for _ in range(settings.MFA_FAILURES_PER_ACCOUNT):
        challenge = login(api_client, "operators", EMAIL, PASSWORD).json()["mfa_token"]
        assert mfa_login(api_client, challenge, "000000").status_code == 401

    challenge = login(api_client, "operators", EMAIL, PASSWORD).json()["mfa_token"]

    assert mfa_login(api_client, challenge, pyotp.TOTP(secret).now()).status_code == 429


def test_an_operator_and_a_customer_may_share_an_email(api_client, monkeypatch):
    create_operator(monkeypatch)
    registered = api_client.post(
        "/customers/register", {"email": EMAIL, "password": PASSWORD, "name": "Ops"}, format="json"
    )

    assert registered.status_code == 201
    assert "access" in login(api_client, "customers", EMAIL, PASSWORD).json()
    assert login(api_client, "operators", EMAIL, PASSWORD).json()["mfa_required"] is True
