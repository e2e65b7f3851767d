"""The pages as HTTP sees them, on the live platform: who each opens for (the API's own refusals),
where signing up and `/home` lead, assets under their hashed names, and nothing from another
origin unless the operator names it."""

from __future__ import annotations

import re
import uuid

import pytest
import requests
from django.core.exceptions import ImproperlyConfigured

from common.settings_base import CONTENT_SECURITY_POLICY
from common.testing.live import PASSWORD, LiveActors
from pages.config import page_assets_policy


def _form_token(page: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def _sign_up(gateway: str, **fields) -> tuple[requests.Session, requests.Response]:
    browser = requests.Session()
    form = browser.get(f"{gateway}/api-auth/signup/", timeout=10)
    body = {"csrfmiddlewaretoken": _form_token(form.text), "name": "Dana", "password": PASSWORD, **fields}
    answer = browser.post(
        f"{gateway}/api-auth/signup/", data=body, headers={"Origin": gateway}, allow_redirects=False, timeout=10
    )
    return browser, answer


def test_signing_up_makes_a_customer_signed_in_who_starts_at_the_shop(gateway):
    email = f"dana-{uuid.uuid4().hex[:8]}@example.com"

    browser, answer = _sign_up(gateway, email=email)

    assert answer.status_code == 302
    assert answer.headers["Location"] == "/home"
    home = browser.get(f"{gateway}/home", allow_redirects=False, timeout=10)
    assert home.headers["Location"] == "/shop/"
    me = browser.get(f"{gateway}/customers/me", headers={"Accept": "application/json"}, timeout=10)
    assert me.json()["email"] == email
    shop = browser.get(f"{gateway}/shop/", timeout=10)
    assert shop.status_code == 200
    assert 'id="page-config"' in shop.text


@pytest.mark.parametrize(
    ("fields", "status", "said"),
    [
        ({"email": "not-an-email"}, 400, "valid email"),
        ({"email": "x@example.com", "password": "short"}, 400, "too short"),
        ({"email": "x@example.com", "name": ""}, 400, "may not be blank"),
    ],
)
def test_a_sign_up_the_auth_service_refuses_shows_the_form_again_saying_why(gateway, fields, status, said):
    browser, answer = _sign_up(gateway, **fields)

    assert answer.status_code == status
    assert said in answer.text
    assert 'name="email"' in answer.text
    assert "fd_session" not in browser.cookies


def test_an_email_already_registered_is_said_and_signs_nobody_in(gateway, actors):
    email = f"ann-{uuid.uuid4().hex[:8]}@example.com"
    actors.ok("POST", "/customers/register", json={"email": email, "password": PASSWORD, "name": "Ann"}, expect=201)

    browser, answer = _sign_up(gateway, email=email)

    assert answer.status_code == 409
    assert "already exists" in answer.text
    assert "fd_session" not in browser.cookies


def test_signing_up_needs_the_form_s_csrf_token(gateway):
    answer = requests.post(
        f"{gateway}/api-auth/signup/",
        data={"name": "Eve", "email": "eve@example.com", "password": PASSWORD},
        headers={"Origin": gateway},
        allow_redirects=False,
        timeout=10,
    )

    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "csrf_failed"


def test_home_sends_each_person_to_their_page(actors, gateway):
    _rid, owner = actors.user("restaurants", "Chef")
    restaurant = actors.restaurant_with_menu(owner)["restaurant"]
    _none, new_owner = actors.user("restaurants", "New")
    _cid, courier = actors.user("couriers", "Kai")

    def home(headers):
        return actors.call("GET", "/home", headers=headers, allow_redirects=False)

    assert home(owner).headers["Location"] == f"/restaurants/{restaurant['id']}/manage"
    assert "You have no restaurant yet" in home(new_owner).text
    assert home(courier).headers["Location"] == "/couriers/me/app"
    assert home(None).headers["Location"].startswith("/api-auth/login/?next=/home")


def test_the_shop_and_the_back_office_open_only_for_whom_the_api_answers(actors):
    _oid, owner = actors.user("restaurants", "Chef")
    restaurant = actors.restaurant_with_menu(owner)["restaurant"]
    _rid, rival = actors.user("restaurants", "Rival")
    _cid, customer = actors.user("customers", "Cleo")
    manage = f"/restaurants/{restaurant['id']}/manage"

    assert actors.call("GET", manage, headers=owner).status_code == 200
    assert actors.call("GET", manage, headers=rival).status_code == 403
    assert actors.call("GET", manage, headers=customer).status_code == 403
    assert actors.call("GET", f"/restaurants/{'0' * 24}/manage", headers=owner).status_code == 404
    assert actors.call("GET", manage, allow_redirects=False).status_code == 302
    for path in ("/shop/", f"/shop/restaurants/{restaurant['id']}", "/shop/orders"):
        assert actors.call("GET", path, headers=customer).status_code == 200
        assert actors.call("GET", path, headers=owner).status_code == 403
    assert actors.call("GET", f"/shop/restaurants/{'0' * 24}", headers=customer).status_code == 404


def test_assets_have_hashed_names_kept_forever_and_only_the_named_origins_are_let_in(actors, map_services):
    _cid, customer = actors.user("customers", "Cleo")
    page = actors.call("GET", "/shop/", headers=customer)
    assets = re.findall(r'(?:src|href)="(/static/pages/[^"]+)"', page.text)

    assert {name.rsplit("/", 1)[-1].split(".")[0] for name in assets} >= {"leaflet", "pages", "shop"}
    for path in assets:
        assert re.search(r"\.[0-9a-f]{12}\.(js|css)$", path), path
        asset = actors.call("GET", path)
        assert asset.status_code == 200
        assert "immutable" in asset.headers["Cache-Control"]
        assert actors.call("GET", path, headers={"If-None-Match": asset.headers["ETag"]}).status_code == 304
    # django-csp writes the directives in no fixed order, so compare them one by one.
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in page.headers["Content-Security-Policy"].split(";")
        if directive.strip()
    )
    assert policy["default-src"] == "'self'"
    # The tile server and the geocoder the platform was started with, and nothing else.
    assert policy["img-src"] == f"'self' data: {map_services.url}"
    assert policy["connect-src"] == f"'self' {map_services.url}"
    assert actors.call("GET", "/static/pages/../settings.py").status_code == 404


def test_a_tile_server_and_a_geocoder_are_the_only_other_origins_let_in():
    policy = page_assets_policy(
        CONTENT_SECURITY_POLICY,
        tiles_url="https://{s}.tile.example.org/{z}/{x}/{y}.png",
        geocoder_url="https://photon.example.org/",
        geocoder_api="photon",
    )["DIRECTIVES"]

    assert policy["img-src"] == ["'self'", "data:", "https://*.tile.example.org"]
    assert policy["connect-src"] == ["'self'", "https://photon.example.org"]
    assert policy["script-src"] == ["'self'"]
    assert CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"] == ["'self'", "data:"]  # the shared one untouched
    with pytest.raises(ImproperlyConfigured):
        page_assets_policy(
            CONTENT_SECURITY_POLICY, tiles_url="javascript:alert(1)", geocoder_url="", geocoder_api="photon"
        )
    with pytest.raises(ImproperlyConfigured):
        page_assets_policy(CONTENT_SECURITY_POLICY, tiles_url="", geocoder_url="", geocoder_api="google")


def test_the_vendored_libraries_are_the_pinned_ones():
    import importlib.util
    import sys
    from pathlib import Path

    path = Path(__file__).resolve().parents[3] / "tools" / "vendor_js.py"
    spec = importlib.util.spec_from_file_location("vendor_js", path)
    vendor_js = sys.modules["vendor_js"] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(vendor_js)

    assert vendor_js.differences() == []


def test_the_console_opens_only_for_operators(actors, live_platform):
    operator = LiveActors(actors.gateway, live_platform).operator()[1]
    page = actors.call("GET", "/operator/console", headers=operator)

    assert page.status_code == 200
    assert 'id="attention-orders"' in page.text
    assert re.search(r'src="/static/pages/console\.[0-9a-f]{12}\.js"', page.text)
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert actors.call("GET", "/home", headers=operator, allow_redirects=False).headers["Location"] == (
        "/operator/console"
    )
    for kind in ("customers", "restaurants", "couriers"):
        assert actors.call("GET", "/operator/console", headers=actors.user(kind)[1]).status_code == 403, kind
    refused = actors.call("GET", "/operator/console", allow_redirects=False)
    assert refused.status_code == 302
    assert refused.headers["Location"].startswith("/api-auth/login/?next=/operator/console")
