"""The live pages in a real browser (Debian's headless Chromium, Selenium), on the live platform:
each kind of person signs in and watches an order move without reloading anything. No page may
log a script error or a Content-Security-Policy refusal. Screenshots go to `.artifacts/pages/`
(the docs' come from here: `docs/images/live-*.png`)."""

from __future__ import annotations

import random
import time
import uuid

import pytest

from common.testing.chromium import as_a_phone
from common.testing.live import ADDRESS, PASSWORD

pytest.importorskip("selenium.webdriver")
from selenium.webdriver.common.by import By

from pages.tests.helpers import press, sign_in, snap, until

# Couriers here must get these tests' orders, not what earlier tests left waiting.
pytestmark = pytest.mark.usefixtures("no_orders_waiting")


@pytest.fixture
def town(actors):
    """A restaurant, a customer and a courier at a place of their own on the map (so no other
    test's waiting order is in this courier's reach), each with a browser sign-in."""
    here = {"lat": round(random.uniform(-50, 50), 4), "lng": round(random.uniform(-170, 170), 4)}
    restaurant_at = {**ADDRESS, **here}
    home = {**ADDRESS, "label": "Home", "lat": here["lat"] + 0.018, "lng": here["lng"]}  # 2 km north
    people = {}
    for kind, name in (("customers", "Cleo"), ("restaurants", "Chef"), ("couriers", "Kai")):
        email = f"{name.lower()}-{uuid.uuid4().hex[:8]}@example.com"
        actors.ok("POST", f"/{kind}/register", json={"email": email, "password": PASSWORD, "name": name}, expect=201)
        tokens = actors.ok("POST", f"/{kind}/login", json={"email": email, "password": PASSWORD})
        people[kind] = {"email": email, "headers": {"Authorization": f"Bearer {tokens['access']}"}}
    world = actors.restaurant_with_menu(people["restaurants"]["headers"], address=restaurant_at, name="Pho Corner")
    address = actors.ok(
        "POST", "/customers/me/addresses", headers=people["customers"]["headers"], expect=201, json=home
    )
    return {"here": here, "home": home, "address_id": address["id"], **world, **people}


# Counts the snapshots the page's streams receive (the first event of a board's or a courier's
# stream), so a test can wait until a stream is open before it makes news. Given to Chromium through
# its DevTools protocol, to run before the page's own scripts in every document the browser opens; the
# page's Content-Security-Policy governs the page's scripts, not this.
_COUNT_SNAPSHOTS = """
const PageEventSource = window.EventSource;
window.snapshotsReceived = 0;
window.EventSource = class extends PageEventSource {
  constructor(...args) {
    super(...args);
    this.addEventListener("snapshot", () => { window.snapshotsReceived += 1; });
  }
};
"""


def _count_snapshots(browser) -> None:
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": _COUNT_SNAPSHOTS})


def _snapshots(browser) -> int:
    return browser.execute_script("return window.snapshotsReceived || 0")


def _place(actors, town) -> dict:
    return actors.ok(
        "POST",
        "/customers/me/orders",
        expect=201,
        headers={**town["customers"]["headers"], "Idempotency-Key": uuid.uuid4().hex},
        json={
            "restaurant_id": town["restaurant"]["id"],
            "address_id": town["address_id"],
            "items": [{"menu_item_id": town["items"][0]["id"], "quantity": 2}],
        },
    )


def _kitchen(actors, town, order, *statuses) -> None:
    for status in statuses:
        actors.ok(
            "POST",
            f"/restaurants/{town['restaurant']['id']}/orders/{order['id']}/status",
            headers=town["restaurants"]["headers"],
            json={"status": status},
        )


def _courier_near(actors, town, km_north: float) -> None:
    position = {"lat": town["here"]["lat"] + km_north / 111.2, "lng": town["here"]["lng"]}
    actors.ok("POST", "/couriers/me/location", headers=town["couriers"]["headers"], expect=204, json=position)


def _current_step(browser) -> str:
    return browser.find_element(By.CSS_SELECTOR, "#timeline li.current").get_attribute("data-status")


def _courier_marker(browser) -> tuple[float, float] | None:
    markers = browser.find_elements(By.ID, "marker-courier")
    return (
        (float(markers[0].get_attribute("data-lat")), float(markers[0].get_attribute("data-lng"))) if markers else None
    )


def test_the_customer_watches_the_order_move_and_the_courier_come(browsers, gateway, actors, town):
    _courier_near(actors, town, 1.0)
    actors.ok("PATCH", "/couriers/me", headers=town["couriers"]["headers"], json={"available": True})
    order = _place(actors, town)
    browser = browsers("customer")
    sign_in(browser, gateway, "customer", town["customers"]["email"], f"/orders/{order['id']}/track")

    # The page redraws the timeline when its stream's first event arrives: read it once that is drawn.
    until(browser, lambda b: _current_step(b) == "placed", "the timeline never showed placed")
    assert "Arrives around" in browser.find_element(By.ID, "eta").text
    _kitchen(actors, town, order, "accepted", "preparing")
    until(browser, lambda b: _current_step(b) == "preparing", "the timeline never reached preparing")

    _courier_near(actors, town, 0.5)
    until(
        browser,
        lambda b: (m := _courier_marker(b)) and abs(m[0] - (town["here"]["lat"] + 0.5 / 111.2)) < 1e-4,
        "no courier",
    )

    def reported_and_shown(b) -> bool:
        # The courier's app reports again and again; the platform passes on at most one position
        # per order every 2 s (LOCATION_EVENT_MIN_INTERVAL_S), so a report that soon after the last
        # is not sent on, and a later one is.
        _courier_near(actors, town, 0.2)
        return abs(_courier_marker(b)[0] - (town["here"]["lat"] + 0.2 / 111.2)) < 1e-4

    until(browser, reported_and_shown, "the courier never moved", every=0.5)
    assert "min from the restaurant" in browser.find_element(By.ID, "courier-eta").text
    snap(browser, "track-on-the-way")

    _kitchen(actors, town, order, "ready")
    delivery = actors.ok("GET", "/deliveries", headers=town["couriers"]["headers"])["results"][0]
    for status in ("picked_up", "delivered"):
        actors.ok(
            "POST", f"/deliveries/{delivery['id']}/status", headers=town["couriers"]["headers"], json={"status": status}
        )
    until(browser, lambda b: _current_step(b) == "delivered", "the timeline never reached delivered")
    assert browser.find_element(By.ID, "eta").text.startswith("Delivered at")
    assert browser.execute_script("return performance.getEntriesByType('navigation').length") == 1  # no reload


def test_the_kitchen_sees_a_new_order_at_once_and_accepting_moves_its_card(browsers, gateway, actors, town):
    browser = browsers("kitchen")
    _count_snapshots(browser)
    path = f"/restaurants/{town['restaurant']['id']}/board"
    sign_in(browser, gateway, "restaurant", town["restaurants"]["email"], path)
    until(browser, lambda b: _snapshots(b) == 1, "the board's stream never opened")

    placed_at = time.monotonic()
    order = _place(actors, town)
    card_path = f'.lane[data-status="placed"] [data-order-id="{order["id"]}"]'
    card = until(browser, lambda b: b.find_elements(By.CSS_SELECTOR, card_path), "the new order never appeared", 2)[0]
    shown_after = time.monotonic() - placed_at
    assert "new" in card.find_element(By.CLASS_NAME, "badge").text.lower()
    assert "2 \u00d7 Dish 0" in card.text
    snap(browser, "board-new-order")

    press(browser, card_path, "Accept")
    moved = f'.lane[data-status="accepted"] [data-order-id="{order["id"]}"]'
    until(browser, lambda b: b.find_elements(By.CSS_SELECTOR, moved), "accepting never moved the card")
    assert not browser.find_elements(By.CSS_SELECTOR, card_path)
    assert actors.ok("GET", f"/orders/{order['id']}", headers=town["customers"]["headers"])["status"] == "accepted"
    assert shown_after < 2

    press(browser, moved, "+10 min")
    until(
        browser,
        lambda _b: (
            actors.ok("GET", f"/orders/{order['id']}", headers=town["customers"]["headers"])["estimated_ready_at"]
            > order["estimated_ready_at"]
        ),
        "the delay did not take",
    )
    _kitchen(actors, town, order, "preparing")  # elsewhere (another tablet): this one follows
    until(
        browser,
        lambda b: b.find_elements(By.CSS_SELECTOR, f'.lane[data-status="preparing"] [data-order-id="{order["id"]}"]'),
        "no update",
    )

    cancelled = _place(actors, town)
    until(browser, lambda b: b.find_elements(By.CSS_SELECTOR, f'[data-order-id="{cancelled["id"]}"]'), "second order")
    actors.ok("POST", f"/orders/{cancelled['id']}/cancel", headers=town["customers"]["headers"])
    until(
        browser,
        lambda b: not b.find_elements(By.CSS_SELECTOR, f'[data-order-id="{cancelled["id"]}"]'),
        "a cancelled order stayed",
    )


def test_the_courier_is_given_the_delivery_and_marks_it_picked_up_and_delivered(browsers, gateway, actors, town):
    _courier_near(actors, town, 0.3)
    browser = browsers("courier")
    as_a_phone(browser, 375)
    sign_in(browser, gateway, "courier", town["couriers"]["email"], "/couriers/me/app")
    availability = browser.find_element(By.ID, "availability")
    assert availability.get_attribute("aria-pressed") == "false"
    availability.click()
    until(
        browser, lambda b: b.find_element(By.ID, "availability").get_attribute("aria-pressed") == "true", "never online"
    )

    order = _place(actors, town)
    until(browser, lambda b: b.find_element(By.ID, "task").is_displayed(), "no delivery was shown")
    assert "Pick up at" in browser.find_element(By.ID, "task").text
    assert not browser.find_element(By.ID, "picked-up").is_enabled()  # not ready yet
    _kitchen(actors, town, order, "accepted", "preparing", "ready")
    until(browser, lambda b: "go now" in b.find_element(By.ID, "order-status").text, "never told the food is ready")
    snap(browser, "courier-go-now")

    browser.find_element(By.ID, "picked-up").click()
    until(browser, lambda b: b.find_element(By.ID, "delivered").is_enabled(), "picked up did not take")
    browser.find_element(By.ID, "delivered").click()
    until(browser, lambda b: b.find_element(By.ID, "idle").is_displayed(), "the delivery stayed")
    assert actors.ok("GET", f"/orders/{order['id']}", headers=town["customers"]["headers"])["status"] == "delivered"
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 375  # fits a phone


def test_the_courier_sees_a_two_order_route_in_a_list_and_on_the_map(browsers, gateway, actors, town):
    """Planned routes (ARCHITECTURE 4.7): two orders from one kitchen go to the courier nearby in one
    trip; the page lists both pickups before the drop-offs and puts every stop on its map."""
    _courier_near(actors, town, 0.3)
    actors.ok("PATCH", "/couriers/me", headers=town["couriers"]["headers"], json={"available": True})
    browser = browsers("courier")
    sign_in(browser, gateway, "courier", town["couriers"]["email"], "/couriers/me/app")

    orders = [_place(actors, town) for _ in range(2)]
    until(browser, lambda b: len(b.find_elements(By.CSS_SELECTOR, "#route li")) == 4, "no route of two orders")
    stops = [li.get_attribute("data-stop") for li in browser.find_elements(By.CSS_SELECTOR, "#route li")]
    assert stops == ["pickup", "pickup", "dropoff", "dropoff"]
    assert {li.get_attribute("data-order") for li in browser.find_elements(By.CSS_SELECTOR, "#route li")} == {
        o["id"] for o in orders
    }
    assert all(browser.find_elements(By.ID, f"marker-stop-{n}") for n in range(4))  # every stop on the map
    # The kitchen needs its time: the courier, 300 m away, is told when to set off (the first stop's depart_at).
    until(browser, lambda b: b.find_element(By.ID, "set-off").is_displayed(), "no set-off time shown")
    assert browser.find_element(By.ID, "set-off").text.startswith("Set off at ")
    snap(browser, "courier-route")

    for order in orders:  # the trip done elsewhere (the API): the page follows
        _kitchen(actors, town, order, "accepted", "preparing", "ready")
    until(browser, lambda b: not b.find_element(By.ID, "set-off").is_displayed(), "set off though the food is ready")
    for stop in actors.ok("GET", "/couriers/me", headers=town["couriers"]["headers"])["route"]:
        status = "picked_up" if stop["stop"] == "pickup" else "delivered"
        actors.ok(
            "POST",
            f"/deliveries/{stop['delivery_id']}/status",
            headers=town["couriers"]["headers"],
            json={"status": status},
        )
    until(browser, lambda b: b.find_element(By.ID, "idle").is_displayed(), "the route stayed")


def test_sharing_the_position_reports_it_once_the_person_allows_it(browsers, gateway, actors, town):
    browser = browsers("courier")
    sign_in(browser, gateway, "courier", town["couriers"]["email"], "/couriers/me/app")
    where = {"latitude": town["here"]["lat"] + 0.01, "longitude": town["here"]["lng"], "accuracy": 10}
    browser.execute_cdp_cmd("Browser.grantPermissions", {"origin": gateway, "permissions": ["geolocation"]})
    browser.execute_cdp_cmd("Emulation.setGeolocationOverride", where)

    browser.find_element(By.ID, "share").click()

    def reported(_browser) -> bool:
        location = actors.ok("GET", "/couriers/me", headers=town["couriers"]["headers"])["location"]
        return location is not None and abs(location["lat"] - where["latitude"]) < 1e-6

    until(browser, reported, "the position was never reported")
    assert browser.find_element(By.ID, "share").get_attribute("aria-pressed") == "true"


def _hold_streams_until_refused(gateway: str, headers: dict, path: str) -> list:
    """Opens the user's streams on raw connections until the platform refuses one (the per-user
    cap); the open ones stay open until closed."""
    import socket
    from urllib.parse import urlsplit

    where = urlsplit(gateway)
    held = []
    for _ in range(100):
        connection = socket.create_connection((where.hostname, where.port), timeout=10)
        request = f"GET {path} HTTP/1.1\r\nHost: {where.netloc}\r\nAuthorization: {headers['Authorization']}\r\n\r\n"
        connection.sendall(request.encode())
        status_line = connection.recv(4096).split(b"\r\n", 1)[0]
        if b" 200 " not in status_line:
            connection.close()
            assert b" 429 " in status_line, status_line
            return held
        held.append(connection)
    raise AssertionError("no per-user cap")


def test_a_page_sent_away_for_a_moment_comes_back_by_itself_and_misses_nothing(browsers, gateway, actors, town):
    """EventSource gives up for good when a (re)connect is refused, the fast 503 by which a busy
    platform sheds a reconnect storm included. Here the customer holds their cap of streams, so the
    page's is refused (429 with Retry-After); once one is free, the page follows the order again by
    itself, with what happened meanwhile, without a reload."""
    order = _place(actors, town)
    held = _hold_streams_until_refused(gateway, town["customers"]["headers"], f"/orders/{order['id']}/events")
    browser = browsers("customer")
    try:
        sign_in(browser, gateway, "customer", town["customers"]["email"], f"/orders/{order['id']}/track")
        until(browser, lambda b: b.find_element(By.ID, "connection").text == "Reconnecting…", "no word of it")
    finally:
        for connection in held:
            connection.close()
    _kitchen(actors, town, order, "accepted")  # while the page waits for its turn

    until(browser, lambda b: _current_step(b) == "accepted", "the page never came back", timeout=70)
    assert not browser.find_element(By.ID, "connection").is_displayed()
    assert browser.execute_script("return performance.getEntriesByType('navigation').length") == 1  # no reload


def test_others_are_refused_with_a_page_that_says_so(browsers, gateway, actors, town):
    order = _place(actors, town)
    _other_id, _other = actors.user("customers", "Eve")
    browser = browsers("other")
    eve_email = f"eve-{uuid.uuid4().hex[:8]}@example.com"
    actors.ok("POST", "/customers/register", json={"email": eve_email, "password": PASSWORD, "name": "Eve"}, expect=201)

    browser.get(f"{gateway}/orders/{order['id']}/track")
    assert "/api-auth/login/" in browser.current_url  # not signed in: to the sign-in form first

    sign_in(browser, gateway, "customer", eve_email, f"/orders/{order['id']}/track")
    _heading_says(browser, "not yours")
    browser.get(f"{gateway}/couriers/me/app")
    _heading_says(browser, "not yours to see")
    browser.get(f"{gateway}/restaurants/{town['restaurant']['id']}/board")
    _heading_says(browser, "not yours to see")


def _heading_says(browser, words: str) -> None:
    """The page's heading, read once the page that says it is there (a heading found while the
    browser still replaces the document goes stale: seen under a loaded machine's run)."""
    until(browser, lambda b: words in b.find_element(By.TAG_NAME, "h1").text, f"no heading saying {words!r}")


def test_the_pages_answer_404_and_403_to_clients_too(actors, town):
    order = _place(actors, town)
    _eve_id, eve = actors.user("customers", "Eve")
    _rival_id, rival = actors.user("restaurants", "Rival")

    assert actors.call("GET", f"/orders/{order['id']}/track", headers=eve).status_code == 404
    assert actors.call("GET", f"/restaurants/{town['restaurant']['id']}/board", headers=rival).status_code == 403
    assert actors.call("GET", "/couriers/me/app", headers=eve).status_code == 403
    page = actors.call("GET", f"/orders/{order['id']}/track", headers=town["customers"]["headers"])
    assert page.status_code == 200
    assert page.headers["X-Frame-Options"] == "DENY"
    assert actors.call("GET", f"/orders/{order['id']}/track", allow_redirects=False).status_code == 302
