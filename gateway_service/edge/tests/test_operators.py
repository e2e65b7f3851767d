"""Operators on the live platform, through the gateway: made with the auth image's command, signed in
with a code (as an API client and in the browser's sign-in form), following any order, moving one
from a courier to another and cancelling one, every action in the audit log."""

from __future__ import annotations

import re
import time
import uuid

import pyotp
import requests

from common.testing.live import PASSWORD


def _until(predicate, timeout_s: float = 20.0):
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.2)


def test_an_operator_moves_an_order_to_another_courier_and_cancels_one(actors, city):
    operator_id, operator = actors.operator()
    order = actors.place_order(city["customer"], city["world"], city["address_id"])
    first_id, first = actors.user("couriers", "Ann")
    actors.ok("PATCH", "/couriers/me", headers=first, json={"available": True})
    _until(lambda: actors.ok("GET", "/couriers/me", headers=first)["active_order_id"] == order["id"])
    second_id, second = actors.user("couriers", "Bo")
    actors.ok("PATCH", "/couriers/me", headers=second, json={"available": True})

    listed = actors.ok("GET", "/operator/orders", headers=operator)
    moved = actors.ok(
        "POST",
        f"/operator/orders/{order['id']}/assign",
        headers=operator,
        json={"courier_id": second_id, "reason": "Ann's bike broke down."},
    )
    other = actors.place_order(city["customer"], city["world"], city["address_id"])
    cancelled = actors.ok(
        "POST", f"/operator/orders/{other['id']}/cancel", headers=operator, json={"reason": "The customer phoned."}
    )

    assert order["id"] in {o["id"] for o in listed["results"]}
    assert (moved["order_id"], moved["courier_id"]) == (order["id"], second_id)
    assert actors.ok("GET", f"/orders/{order['id']}", headers=city["customer"])["courier_id"] == second_id
    assert actors.ok("GET", "/couriers/me", headers=first)["active_order_id"] is None
    assert cancelled["status"] == "cancelled"
    log = actors.ok("GET", f"/operator/audit?operator_id={operator_id}", headers=operator)["results"]
    assert [(e["action"], e["order_id"], e["outcome"]) for e in log] == [
        ("cancel", other["id"], "applied"),
        ("assign", order["id"], "applied"),
    ]
    assert log[1]["courier_id"] == second_id
    assert first_id != second_id


def test_an_operator_follows_any_order_and_its_stream(actors, city):
    _, operator = actors.operator()
    order = actors.place_order(city["customer"], city["world"], city["address_id"])

    read = actors.ok("GET", f"/orders/{order['id']}", headers=operator)
    with requests.get(
        f"{actors.gateway}/orders/{order['id']}/events", headers=operator, stream=True, timeout=10
    ) as stream:
        first = next(line for line in stream.iter_lines(decode_unicode=True) if line.startswith("data:"))

    assert read["id"] == order["id"]
    assert stream.status_code == 200
    assert order["id"] in first


def test_operators_are_refused_where_they_are_no_party(actors, city):
    _, operator = actors.operator()

    assert actors.call("GET", "/customers/me", headers=operator).status_code == 403
    assert actors.call("GET", "/couriers/me", headers=operator).status_code == 403
    assert actors.call("POST", "/restaurants", headers=operator, json={"name": "X"}).status_code == 403
    restaurant = city["world"]["restaurant"]["id"]
    assert actors.call("GET", f"/restaurants/{restaurant}/orders/events", headers=operator).status_code == 403


# --- the browser's sign-in form ------------------------------------------------------------------------------------


def _form_token(page: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def _post(browser, gateway, page, **fields):
    return browser.post(
        f"{gateway}/api-auth/login/",
        data={"csrfmiddlewaretoken": _form_token(page), "next": "/operator/audit", **fields},
        headers={"Origin": gateway},
        allow_redirects=False,
        timeout=10,
    )


def test_an_operator_signs_in_in_the_browser_always_with_a_code(live_platform):
    gateway = live_platform.url("gateway")
    email = f"ops-{uuid.uuid4().hex[:8]}@example.com"
    totp = pyotp.TOTP(live_platform.create_operator(email, PASSWORD))
    browser = requests.Session()
    form = browser.get(f"{gateway}/api-auth/login/", timeout=10)

    first = _post(browser, gateway, form.text, user_type="operator", email=email, password=PASSWORD)
    mfa_token = re.search(r'name="mfa_token" value="([^"]+)"', first.text).group(1)
    wrong = _post(browser, gateway, first.text, user_type="operator", mfa_token=mfa_token, code="000000")
    second = _post(browser, gateway, wrong.text, user_type="operator", mfa_token=mfa_token, code=totp.now())
    audit = browser.get(f"{gateway}/operator/audit", headers={"Accept": "application/json"}, timeout=10)

    assert 'value="operator"' in form.text
    assert first.status_code == 200
    assert 'name="code"' in first.text
    assert 'name="user_type" value="operator"' in first.text
    assert wrong.status_code == 401
    assert 'name="code"' in wrong.text  # the second step again, not the first
    assert second.status_code == 302, second.text
    assert second.headers["Location"] == "/operator/audit"
    assert audit.status_code == 200
    assert "results" in audit.json()
