"""Racing requests against the real server: a token or code is spent exactly once."""

import time
from concurrent.futures import ThreadPoolExecutor

import pyotp

from accounts import services
from accounts.tests.helpers import registered_and_logged_in
from common.errors import ApiError


def _outcomes(calls):
    def attempt(call):
        try:
            call()
        except ApiError as exc:
            return exc.code
        return "ok"

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(attempt, calls))


def test_racing_refreshes_with_one_token_rotate_it_once(api_client):
    tokens = registered_and_logged_in(api_client)

    outcomes = _outcomes([lambda: services.session_refresh(user_type="customer", refresh_token=tokens["refresh"])] * 12)

    assert outcomes.count("ok") == 1
    assert set(outcomes) == {"ok", "token_rotated"}


def test_racing_mfa_logins_with_one_code_sign_in_once(api_client):
    tokens = registered_and_logged_in(api_client, "restaurants", email="chef@example.com")
    headers = {"Authorization": f"Bearer {tokens['access']}"}
    secret = api_client.post("/restaurants/mfa/setup", headers=headers).json()["secret"]
    api_client.post("/restaurants/mfa/confirm", {"code": pyotp.TOTP(secret).now()}, format="json", headers=headers)
    challenge = services.account_login(
        user_type="restaurant", email="chef@example.com", password="correct horse battery", client_ip="1.2.3.4"
    )["mfa_token"]
    code = pyotp.TOTP(secret).at(time.time() + 30)

    outcomes = _outcomes([lambda: services.mfa_login(user_type="restaurant", mfa_token=challenge, code=code)] * 8)

    assert outcomes.count("ok") == 1
    assert set(outcomes) <= {"ok", "mfa_code_invalid", "rate_limited"}
