"""The operators' dispatch console in a real browser (headless Chromium), on the live platform: an
operator signs in with a code, sees the late order first with its reason in words, and gives it to
another courier in a few clicks; that courier's page and the customer's tracking page follow, with
no reload anywhere. And on a platform of its own, whose order service (the console stream's server)
is killed and started again: the console comes back by itself, with what happened meanwhile."""

from __future__ import annotations

import random
import uuid

import pyotp
import pytest
import requests

from common.testing.live import ADDRESS, PASSWORD, LiveActors, LivePlatform
from common.testing.waiting import eventually

pytest.importorskip("selenium.webdriver")
from selenium.webdriver.common.by import By
from selenium.webdriver.support.select import Select

from pages.tests.helpers import click, loaded, sign_in, snap, streaming, until

pytestmark = pytest.mark.usefixtures("no_orders_waiting")

COURIERS = ("Ann", "Bo", "Cy")


@pytest.fixture
def city(actors):
    """A restaurant at a place of its own (no other test's orders in reach), a customer 2 km north,
    three couriers on duty near it, each with a browser sign-in."""
    here = {"lat": round(random.uniform(-50, 50), 4), "lng": round(random.uniform(-170, 170), 4)}
    people = {}
    for kind, name in (("customers", "Cleo"), ("restaurants", "Chef"), *(("couriers", n) for n in COURIERS)):
        email = f"{name.lower()}-{uuid.uuid4().hex[:8]}@example.com"
        account = actors.ok(
            "POST", f"/{kind}/register", json={"email": email, "password": PASSWORD, "name": name}, expect=201
        )
        tokens = actors.ok("POST", f"/{kind}/login", json={"email": email, "password": PASSWORD})
        people[name] = {"id": account["id"], "email": email, "headers": {"Authorization": f"Bearer {tokens['access']}"}}
    world = actors.restaurant_with_menu(people["Chef"]["headers"], address={**ADDRESS, **here}, name="Pho Corner")
    home = {**ADDRESS, "label": "Home", "lat": here["lat"] + 0.018, "lng": here["lng"]}
    address = actors.ok("POST", "/customers/me/addresses", headers=people["Cleo"]["headers"], expect=201, json=home)
    for n, name in enumerate(COURIERS):
        _report(actors, people[name], here, km_south=0.2 + n / 10)
        actors.ok("PATCH", "/couriers/me", headers=people[name]["headers"], json={"available": True})
    return {"here": here, "address_id": address["id"], "people": people, **world}


def _report(actors, person, here, *, km_south: float) -> dict:
    point = {"lat": round(here["lat"] - km_south / 111.2, 6), "lng": here["lng"]}
    actors.ok("POST", "/couriers/me/location", headers=person["headers"], expect=204, json=point)
    return point


def _place(actors, city) -> dict:
    return actors.ok(
        "POST",
        "/customers/me/orders",
        expect=201,
        headers={**city["people"]["Cleo"]["headers"], "Idempotency-Key": uuid.uuid4().hex},
        json={
            "restaurant_id": city["restaurant"]["id"],
            "address_id": city["address_id"],
            "items": [{"menu_item_id": city["items"][0]["id"], "quantity": 1}],
        },
    )


def _courier_of(actors, city, order) -> str | None:
    return actors.ok("GET", f"/orders/{order['id']}", headers=city["people"]["Cleo"]["headers"])["courier_id"]


def _operator_signs_in(browser, gateway, live_platform) -> None:
    email = f"ops-{uuid.uuid4().hex[:8]}@example.com"
    totp = pyotp.TOTP(live_platform.create_operator(email, PASSWORD))
    browser.get(f"{gateway}/api-auth/login/?next=/home")
    Select(browser.find_element(By.ID, "user_type")).select_by_value("operator")
    browser.find_element(By.ID, "email").send_keys(email)
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    code = until(browser, lambda b: b.find_elements(By.ID, "code"), "no second step asked for a code")[0]
    code.send_keys(totp.now())
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    until(  # /home sends an operator to the console
        browser, lambda b: b.current_url.endswith("/operator/console") and loaded(b), "never reached the console", 20
    )


def _marker_at(browser, marker_id: str) -> tuple[float, float] | None:
    found = browser.find_elements(By.ID, f"marker-{marker_id}")
    return (float(found[0].get_attribute("data-lat")), float(found[0].get_attribute("data-lng"))) if found else None


def test_an_operator_sees_the_late_order_first_and_gives_it_to_another_courier(
    browsers, gateway, actors, live_platform, city
):
    people = city["people"]
    calm = _place(actors, city)
    late = _place(actors, city)
    assert eventually(
        lambda: _courier_of(actors, city, calm) and _courier_of(actors, city, late), timeout_s=30, every_s=0.3
    ), "dispatch never gave both orders a courier"
    for order in (calm, late):
        actors.ok(
            "POST",
            f"/restaurants/{city['restaurant']['id']}/orders/{order['id']}/status",
            headers=people["Chef"]["headers"],
            json={"status": "accepted"},
        )
    actors.ok(  # the oven broke: 40 minutes later than promised
        "POST",
        f"/restaurants/{city['restaurant']['id']}/orders/{late['id']}/delay",
        headers=people["Chef"]["headers"],
        json={"minutes": 40},
    )
    taken = {_courier_of(actors, city, calm), _courier_of(actors, city, late)}
    other = next(people[n] for n in COURIERS if people[n]["id"] not in taken)
    was = next(people[n] for n in COURIERS if people[n]["id"] == _courier_of(actors, city, late))

    courier_page = browsers("courier")
    sign_in(courier_page, gateway, "courier", other["email"], "/couriers/me/app")
    until(courier_page, streaming, "the courier's page never went live")
    tracking = browsers("customer")
    sign_in(tracking, gateway, "customer", people["Cleo"]["email"], f"/orders/{late['id']}/track")
    until(tracking, streaming, "the tracking page never went live")
    console = browsers("operator", width=1400, height=1100)
    _operator_signs_in(console, gateway, live_platform)
    until(console, streaming, "the console never went live")

    # The live platform is shared with other tests, whose orders may need attention too (and for
    # graver reasons): the late order is among those needing attention, the calm one is not.
    attention = until(
        console,
        lambda b: (
            list(b.find_elements(By.CSS_SELECTOR, "#attention-orders > li"))
            if b.find_elements(By.CSS_SELECTOR, f'#attention-orders > li[data-item-id="{late["id"]}"]')
            else None
        ),
        "the late order does not need attention",
    )
    ids = [li.get_attribute("data-item-id") for li in attention]
    card = attention[ids.index(late["id"])]
    assert "It will be late" in card.text
    calm_card = console.find_element(By.CSS_SELECTOR, f'#other-orders [data-item-id="{calm["id"]}"]')
    assert calm_card.is_displayed()
    until(console, lambda b: _marker_at(b, other["id"]) is not None, "the free courier is not on the map")
    snap(console, "console-late-first")

    click(console, f'#attention-orders [data-item-id="{late["id"]}"] button.choose')
    until(
        console, lambda b: b.find_element(By.ID, "selected").get_attribute("data-order-id") == late["id"], "not chosen"
    )
    until(
        console,
        lambda b: b.find_elements(By.CSS_SELECTOR, f'#courier option[value="{other["id"]}"]'),
        "no such courier",
    )
    Select(console.find_element(By.ID, "courier")).select_by_value(other["id"])
    console.find_element(By.ID, "reason").send_keys("The bike broke down.")
    console.find_element(By.ID, "assign").click()

    column = f'[data-courier-id="{other["id"]}"]'
    until(
        console,
        lambda b: any(f"#{late['id'][-6:]}" in c.text for c in b.find_elements(By.CSS_SELECTOR, column)),
        "the courier's column never showed the order",
    )
    assert not any(
        f"#{late['id'][-6:]}" in c.text
        for c in console.find_elements(By.CSS_SELECTOR, f'[data-courier-id="{was["id"]}"]')
    )
    until(courier_page, lambda b: b.find_element(By.ID, "task").is_displayed(), "the courier was never given it")
    assert "Pick up at" in courier_page.find_element(By.ID, "task").text

    def reported_and_shown(_b) -> bool:
        point = _report(actors, other, city["here"], km_south=0.05)
        return _marker_at(tracking, "courier") == (point["lat"], point["lng"])

    until(tracking, reported_and_shown, "the tracking page never showed the new courier", every=0.5, timeout=20)
    snap(console, "console-reassigned")
    log = actors.ok("GET", f"/operator/audit?order_id={late['id']}", headers=_operator_headers(actors, live_platform))
    assert [(e["action"], e["courier_id"], e["outcome"]) for e in log["results"]] == [
        ("assign", other["id"], "applied")
    ]
    for page in (console, courier_page, tracking):
        assert page.execute_script("return performance.getEntriesByType('navigation').length") == 1  # no reload


def _operator_headers(actors, live_platform) -> dict:
    email = f"ops-{uuid.uuid4().hex[:8]}@example.com"
    secret = live_platform.create_operator(email, PASSWORD)
    challenge = actors.ok("POST", "/operators/login", json={"email": email, "password": PASSWORD})
    tokens = actors.ok(
        "POST", "/operators/login/mfa", json={"mfa_token": challenge["mfa_token"], "code": pyotp.TOTP(secret).now()}
    )
    return {"Authorization": f"Bearer {tokens['access']}"}


@pytest.fixture
def own_platform(tmp_path_factory):
    """A platform of the test's own: it kills a service, which the shared one must not see."""
    platform = LivePlatform(tmp_path_factory.mktemp("console-cut")).start()
    yield platform
    platform.stop()


def test_the_console_comes_back_by_itself_after_its_stream_is_cut(browsers, own_platform):
    gateway = own_platform.url("gateway")
    actors = LiveActors(gateway, own_platform)
    ann_id, ann = actors.user("couriers", "Ann")
    actors.ok("PATCH", "/couriers/me", headers=ann, json={"available": False})
    _chef_id, chef = actors.user("restaurants", "Chef")
    world = actors.restaurant_with_menu(chef)
    _customer_id, customer, address_id = actors.customer_with_address()
    before = actors.place_order(customer, world, address_id)
    console = browsers("operator", width=1400, height=1100)
    _operator_signs_in(console, gateway, own_platform)
    until(console, streaming, "the console never went live")
    until(console, lambda b: b.find_elements(By.CSS_SELECTOR, f'[data-item-id="{before["id"]}"]'), "no order shown")
    assert not console.find_elements(By.CSS_SELECTOR, f'#courier option[value="{ann_id}"]')  # off duty

    own_platform.stack.kill("order")  # the console's stream is the order service's: cut mid-stream
    until(console, lambda b: b.find_element(By.ID, "connection").text == "Reconnecting…", "no word of the cut", 20)
    actors.ok("PATCH", "/couriers/me", headers=ann, json={"available": True})  # meanwhile (the delivery service)
    own_platform.stack.restart("order")
    assert eventually(lambda: _ready(own_platform.url("order")), timeout_s=60, every_s=0.2), "never came back"
    placed = {}
    assert eventually(
        lambda: _placed_through_the_gateway(actors, customer, world, address_id, placed), timeout_s=60, every_s=0.5
    ), "the gateway never reached the order service again"

    until(
        console,
        lambda b: b.find_elements(By.CSS_SELECTOR, f'[data-item-id="{placed["order"]["id"]}"]'),
        "the console never showed the order placed after the cut",
        timeout=90,
    )
    until(  # what happened during the cut: Ann went on duty
        console,
        lambda b: b.find_elements(By.CSS_SELECTOR, f'#courier option[value="{ann_id}"]'),
        "the console never heard that Ann went on duty",
        timeout=30,
    )
    assert console.find_elements(By.CSS_SELECTOR, f'[data-item-id="{before["id"]}"]')
    until(console, lambda b: not b.find_element(By.ID, "connection").is_displayed(), "still says it reconnects")
    assert console.execute_script("return performance.getEntriesByType('navigation').length") == 1  # no reload


def _ready(url: str) -> bool:
    try:
        return requests.get(url + "/readyz", timeout=2).ok
    except requests.RequestException:
        return False  # not listening yet


def _placed_through_the_gateway(actors, customer, world, address_id, placed: dict) -> bool:
    response = actors.call(
        "POST",
        "/customers/me/orders",
        headers={**customer, "Idempotency-Key": placed.setdefault("key", uuid.uuid4().hex)},
        json={
            "restaurant_id": world["restaurant"]["id"],
            "address_id": address_id,
            "items": [{"menu_item_id": world["items"][0]["id"], "quantity": 1}],
        },
    )
    if response.status_code == 201:
        placed["order"] = response.json()
    return response.status_code == 201
