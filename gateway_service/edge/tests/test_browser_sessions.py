"""Signing in with a browser at the gateway, on the live platform: the cookie becomes the bearer
token, unsafe requests need the CSRF token and a same-site Origin, bearer clients are untouched."""

from __future__ import annotations

import re
import time
import uuid

import pyotp
import pytest
import requests

PASSWORD = "correct horse battery"


@pytest.fixture
def customer(actors):
    email = f"browser-{uuid.uuid4().hex[:8]}@example.com"
    actors.ok("POST", "/customers/register", json={"email": email, "password": PASSWORD, "name": "Bea"}, expect=201)
    return email


def _form_token(page: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def _post_form(browser, gateway, path, **fields):
    """A form sent from a page of the gateway's own origin; the answer as it is (no redirect followed)."""
    return browser.post(f"{gateway}{path}", data=fields, headers={"Origin": gateway}, allow_redirects=False, timeout=10)


def _submit(browser, gateway, page, **fields):
    """Sends the sign-in form `page` showed, with its CSRF token."""
    return _post_form(browser, gateway, "/api-auth/login/", csrfmiddlewaretoken=_form_token(page.text), **fields)


def _sign_in(gateway, email, *, user_type="customer", next_path="/customers/me", browser=None):
    browser = browser or requests.Session()
    form = browser.get(f"{gateway}/api-auth/login/?next={next_path}", timeout=10)
    answer = _submit(browser, gateway, form, user_type=user_type, email=email, password=PASSWORD, next=next_path)
    return browser, form, answer


def test_the_sign_in_form_has_its_fields_and_a_csrf_token(gateway):
    form = requests.get(f"{gateway}/api-auth/login/", timeout=10)

    assert form.status_code == 200
    assert form.headers["Content-Type"].startswith("text/html")
    for field in ("user_type", "email", "password", "next", "csrfmiddlewaretoken"):
        assert f'name="{field}"' in form.text
    assert "csrftoken" in form.cookies


def test_a_customer_signs_in_and_the_browser_acts_as_them(gateway, customer):
    browser, _form, answer = _sign_in(gateway, customer)

    assert answer.status_code == 302
    assert answer.headers["Location"] == "/customers/me"
    cookie = next(c for c in browser.cookies if c.name == "fd_session")
    assert cookie.has_nonstandard_attr("HttpOnly")
    assert "samesite=lax" in answer.headers["Set-Cookie"].lower()
    me = browser.get(f"{gateway}/customers/me", headers={"Accept": "application/json"}, timeout=10)
    assert me.status_code == 200
    assert me.json()["email"] == customer


def test_wrong_details_show_the_form_again_and_sign_nobody_in(gateway, customer):
    browser = requests.Session()
    form = browser.get(f"{gateway}/api-auth/login/", timeout=10)
    answer = _submit(browser, gateway, form, user_type="customer", email=customer, password="nope-nope-nope")

    assert answer.status_code == 401
    assert 'role="alert"' in answer.text
    assert "fd_session" not in browser.cookies


def test_unsafe_requests_with_the_cookie_need_the_csrf_token(gateway, customer):
    browser, _form, _answer = _sign_in(gateway, customer)
    address = {"label": "Home", "line1": "1 A", "city": "B", "postcode": "1", "lat": 52.37, "lng": 4.89}

    without = browser.post(f"{gateway}/customers/me/addresses", json=address, headers={"Origin": gateway}, timeout=10)
    token = browser.cookies["csrftoken"]
    with_token = browser.post(
        f"{gateway}/customers/me/addresses", json=address, headers={"Origin": gateway, "X-CSRFToken": token}, timeout=10
    )

    assert without.status_code == 403
    assert without.json()["error"]["code"] == "csrf_failed"
    assert "CSRF token missing" in without.json()["error"]["message"]  # Django's reason, said
    assert with_token.status_code == 201, with_token.text


def test_a_foreign_origin_is_refused_even_with_the_token(gateway, customer):
    browser, _form, _answer = _sign_in(gateway, customer)

    answer = browser.patch(
        f"{gateway}/customers/me",
        json={"name": "Mallory"},
        headers={"Origin": "https://evil.example", "X-CSRFToken": browser.cookies["csrftoken"]},
        timeout=10,
    )

    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "csrf_failed"
    assert "https://evil.example does not match any trusted origins" in answer.json()["error"]["message"]


def test_bearer_clients_need_no_csrf_token(gateway, customer):
    tokens = requests.post(
        f"{gateway}/customers/login", json={"email": customer, "password": PASSWORD}, timeout=10
    ).json()

    answer = requests.patch(
        f"{gateway}/customers/me",
        json={"name": "Bea B"},
        headers={"Authorization": f"Bearer {tokens['access']}"},
        timeout=10,
    )

    assert answer.status_code == 200


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"]
)
def test_next_never_leads_off_the_site(gateway, customer, target):
    _browser, _form, answer = _sign_in(gateway, customer, next_path=target)

    assert answer.status_code == 302
    assert answer.headers["Location"] == "/"


def test_signing_out_ends_the_session_and_needs_the_csrf_token(gateway, customer):
    browser, _form, _answer = _sign_in(gateway, customer)

    forged = _post_form(browser, gateway, "/api-auth/logout/")
    signed_out = _post_form(browser, gateway, "/api-auth/logout/", csrfmiddlewaretoken=browser.cookies["csrftoken"])
    after = browser.get(f"{gateway}/customers/me", headers={"Accept": "application/json"}, timeout=10)

    assert forged.status_code == 403
    assert signed_out.status_code == 302
    assert "fd_session" not in browser.cookies
    assert after.status_code == 401


def test_drfs_log_out_form_comes_back_to_the_page_named_in_its_query_string(gateway, customer):
    browser, _form, _answer = _sign_in(gateway, customer)

    csrf_token = browser.cookies["csrftoken"]
    signed_out = _post_form(browser, gateway, "/api-auth/logout/?next=/restaurants", csrfmiddlewaretoken=csrf_token)

    assert signed_out.status_code == 302
    assert signed_out.headers["Location"] == "/restaurants"


def test_an_anonymous_browser_gets_the_401_page_with_a_log_in_link_and_an_api_client_json(gateway):
    page = requests.get(f"{gateway}/customers/me", headers={"Accept": "text/html"}, timeout=10)
    api = requests.get(f"{gateway}/customers/me", headers={"Accept": "application/json"}, timeout=10)

    assert page.status_code == 401
    assert page.headers["Content-Type"].startswith("text/html")
    assert "href='/api-auth/login/?next=/customers/me'" in page.text
    assert api.status_code == 401
    assert api.json()["error"]["code"] == "not_authenticated"


def test_the_session_id_never_reaches_a_service(gateway, customer, live_platform):
    """The echo of what a service received is not available, so check the services' side: the
    customer service answers a request that carries only the session cookie as anonymous."""
    browser, _form, _answer = _sign_in(gateway, customer)
    session_id = browser.cookies["fd_session"]

    direct = requests.get(
        f"{live_platform.url('customer')}/customers/me",
        cookies={"fd_session": session_id},
        headers={"Accept": "application/json"},
        timeout=10,
    )

    assert direct.status_code == 401


def test_a_restaurant_user_with_mfa_signs_in_in_two_steps(gateway, actors):
    email = f"mia-{uuid.uuid4().hex[:8]}@example.com"
    actors.ok("POST", "/restaurants/register", json={"email": email, "password": PASSWORD, "name": "Mia"}, expect=201)
    access = actors.ok("POST", "/restaurants/login", json={"email": email, "password": PASSWORD})["access"]
    headers = {"Authorization": f"Bearer {access}"}
    totp = pyotp.TOTP(actors.ok("POST", "/restaurants/mfa/setup", headers=headers)["secret"])
    actors.ok("POST", "/restaurants/mfa/confirm", headers=headers, json={"code": totp.now()})

    browser, _form, first = _sign_in(gateway, email, user_type="restaurant", next_path="/restaurants")
    mfa_token = re.search(r'name="mfa_token" value="([^"]+)"', first.text).group(1)
    later_code = totp.at(time.time() + 30)  # a later step than the one that confirmed MFA
    second = _submit(
        browser, gateway, first, user_type="restaurant", mfa_token=mfa_token, code=later_code, next="/restaurants"
    )

    assert first.status_code == 200
    assert 'name="code"' in first.text
    assert second.status_code == 302, second.text
    assert "fd_session" in browser.cookies


def test_the_browsable_pages_offer_sign_in_and_name_the_signed_in_user(gateway, customer):
    anonymous = requests.get(f"{gateway}/restaurants", headers={"Accept": "text/html"}, timeout=10)
    browser, _form, _answer = _sign_in(gateway, customer)
    signed_in = browser.get(f"{gateway}/customers/me", headers={"Accept": "text/html"}, timeout=10)
    me = browser.get(f"{gateway}/customers/me", headers={"Accept": "application/json"}, timeout=10).json()

    assert "/api-auth/login/?next=/restaurants" in anonymous.text
    assert signed_in.status_code == 200
    assert f"customer {me['id']}" in signed_in.text
    assert "/api-auth/logout/" in signed_in.text


def test_the_forms_of_a_browsable_page_carry_a_token_the_gateway_accepts(gateway, customer):
    """The service renders the page's CSRF token from the gateway's csrftoken cookie."""
    browser, _form, _answer = _sign_in(gateway, customer)
    page = browser.get(f"{gateway}/customers/me/addresses", headers={"Accept": "text/html"}, timeout=10)
    token = re.search(r'"csrfToken": "([^"]+)"', page.text).group(1)

    added = browser.post(
        f"{gateway}/customers/me/addresses",
        json={"label": "Work", "line1": "2 B", "city": "C", "postcode": "2", "lat": 52.37, "lng": 4.89},
        headers={"Origin": gateway, "X-CSRFToken": token},
        timeout=10,
    )

    assert added.status_code == 201, added.text


def test_an_expiring_access_token_is_refreshed_without_the_browser_noticing(gateway, customer, live_platform):
    import json
    import os

    import redis

    browser, _form, _answer = _sign_in(gateway, customer)
    store = redis.Redis.from_url(os.environ["REDIS_URL"], decode_responses=True)
    key = f"{live_platform.db_prefix}fd:browser-session:{browser.cookies['fd_session']}"
    session = json.loads(store.get(key))
    store.set(key, json.dumps({**session, "access_exp": time.time() - 1}), keepttl=True)  # as if it expired

    me = browser.get(f"{gateway}/customers/me", headers={"Accept": "application/json"}, timeout=10)

    assert me.status_code == 200
    refreshed = json.loads(store.get(key))
    assert refreshed["access"] != session["access"]
    assert refreshed["refresh"] != session["refresh"]  # refresh tokens rotate
    assert refreshed["access_exp"] > time.time()
