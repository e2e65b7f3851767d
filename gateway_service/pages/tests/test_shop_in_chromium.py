"""Ordering and running a restaurant in a real browser (Debian's headless Chromium), on the live
platform: a new customer signs up, places the pin of their address, sees who delivers there and
orders (one order however often the button is pressed or the page reloaded); the owner takes a
dish off, pauses and resumes new orders, and the customer's pages follow. Every page is checked
with axe-core, at a phone's width and a desktop's. Screenshots go to `.artifacts/pages/` (the
README's come from here: `docs/images/shop-*.png`, `docs/images/manage-*.png`)."""

from __future__ import annotations

import random
import uuid

import pytest

from common.testing.chromium import accessibility_violations, as_a_desktop, as_a_phone
from common.testing.live import ADDRESS, PASSWORD

pytest.importorskip("selenium.webdriver")
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.select import Select

from pages.tests.helpers import click, loaded, press, sign_in, snap, streaming, text, until

# Couriers elsewhere must not take these tests' orders away from what they check, nor the reverse.
pytestmark = pytest.mark.usefixtures("no_orders_waiting")

KM = 1 / 111.2  # a kilometre north, in degrees of latitude


def _email(name: str) -> str:
    return f"{name.lower()}-{uuid.uuid4().hex[:8]}@example.com"


@pytest.fixture
def street(actors):
    """A place of this test's own on the map: two restaurants that deliver there (the nearer one
    with a 2.50 fee), one too far away to, and their owner (a restaurant user)."""
    here = {"lat": round(random.uniform(-50, 50), 4), "lng": round(random.uniform(-170, 170), 4)}
    owner_email = _email("chef")
    actors.ok(
        "POST", "/restaurants/register", json={"email": owner_email, "password": PASSWORD, "name": "Chef"}, expect=201
    )
    owner = _api_headers(actors, "restaurants", owner_email)

    def restaurant(name: str, km_north: float, **fields) -> dict:
        at = {**ADDRESS, "lat": round(here["lat"] + km_north * KM, 6), "lng": here["lng"]}
        return actors.restaurant_with_menu(owner, address=at, name=name, delivery_radius_km=5, **fields)

    return {
        "here": here,
        "owner_email": owner_email,
        "owner": owner,
        "near": restaurant("Near Noodles", 1.0, delivery_fee_cents=250),
        "next": restaurant("Next Door Pizza", 2.0),
        "far": restaurant("Far Away Fries", 60.0),
    }


def _api_headers(actors, kind: str, email: str) -> dict:
    tokens = actors.ok("POST", f"/{kind}/login", json={"email": email, "password": PASSWORD})
    return {"Authorization": f"Bearer {tokens['access']}"}


def _customer(actors, street) -> dict:
    """A customer with an address on the street, signed in through the API too (to ask it directly)."""
    email = _email("cleo")
    actors.ok("POST", "/customers/register", json={"email": email, "password": PASSWORD, "name": "Cleo"}, expect=201)
    headers = _api_headers(actors, "customers", email)
    address = actors.ok(
        "POST",
        "/customers/me/addresses",
        headers=headers,
        expect=201,
        json={**ADDRESS, "label": "Home", **street["here"]},
    )
    return {"email": email, "headers": headers, "address_id": address["id"]}


def _names(browser) -> list[str]:
    return [
        card.find_element(By.TAG_NAME, "h3").text for card in browser.find_elements(By.CSS_SELECTOR, "#restaurants li")
    ]


def _quoted_cents(browser) -> int | None:
    value = browser.find_element(By.ID, "quote-total").get_attribute("data-cents")
    return int(value) if value else None


def _orders_of(actors, headers) -> list[dict]:
    return actors.ok("GET", "/customers/me/orders", headers=headers)["results"]


def test_a_new_customer_orders_from_a_restaurant_that_delivers_to_their_pin(
    browsers, gateway, actors, street, map_services
):
    browser = browsers("customer")
    as_a_phone(browser)
    email = _email("dana")

    # Signing up signs in and leads to the shop.
    browser.get(f"{gateway}/api-auth/signup/")
    browser.find_element(By.ID, "name").send_keys("Dana")
    browser.find_element(By.ID, "email").send_keys(email)
    browser.find_element(By.ID, "password").send_keys(PASSWORD, Keys.ENTER)
    until(browser, lambda b: b.current_url.endswith("/shop/") and loaded(b), "signing up never led to the shop", 20)
    assert "No address yet" in text(browser, "#addresses")

    # The address: found by name at the geocoder the platform names, then the pin moved to the
    # browser's position, whose address the geocoder fills in; the map's tiles come from the tile
    # server the platform names.
    assert browser.find_element(By.ID, "add-address").get_attribute("open")  # no address yet: the form is open
    map_services.place = (street["here"]["lat"] + 30 * KM, street["here"]["lng"])  # a namesake far away
    browser.find_element(By.ID, "geocoder-q").send_keys("Lookup Lane 7")
    click(browser, "#geocoder-search")
    until(browser, lambda b: b.find_elements(By.CSS_SELECTOR, "#geocoder-results button"), "nothing was found")
    click(browser, "#geocoder-results button")
    assert browser.find_element(By.ID, "line1").get_attribute("value") == "Lookup Lane 7"
    assert float(browser.find_element(By.ID, "lat").get_attribute("value")) == pytest.approx(map_services.place[0])
    browser.execute_cdp_cmd("Browser.grantPermissions", {"origin": gateway, "permissions": ["geolocation"]})
    where = {"latitude": street["here"]["lat"], "longitude": street["here"]["lng"], "accuracy": 10}
    browser.execute_cdp_cmd("Emulation.setGeolocationOverride", where)
    browser.find_element(By.ID, "line1").clear()  # the position's own address, please
    click(browser, "#use-position")
    until(browser, lambda b: b.find_element(By.ID, "line1").get_attribute("value"), "the position's address never came")
    assert float(browser.find_element(By.ID, "lat").get_attribute("value")) == pytest.approx(street["here"]["lat"])
    assert any(path.startswith("/reverse?") for path in map_services.requests)
    assert any(path.startswith("/tiles/") for path in map_services.requests)
    assert "Test tiles" in text(browser, ".leaflet-control-attribution")
    browser.find_element(By.ID, "label").send_keys("Home")
    snap(browser, "shop-address")
    click(browser, "#address-form button[type=submit]")

    # Only the restaurants that deliver there, nearest first.
    until(browser, lambda b: _names(b) == ["Near Noodles", "Next Door Pizza"], "not the restaurants that deliver there")
    assert "2.50" in text(browser, "#restaurants li:first-child")
    snap(browser, "shop-restaurants")
    browser.find_element(By.LINK_TEXT, "Near Noodles").click()
    until(browser, lambda b: b.find_elements(By.CSS_SELECTOR, "#menu .dish"), "no menu")

    # A basket filled with the keyboard alone: the focus stays on the button pressed.
    add_first = browser.find_element(By.CSS_SELECTOR, '#menu button[aria-label="Add Dish 0"]')
    add_first.send_keys(Keys.ENTER)
    until(
        browser, lambda b: "1 in basket" in text(b, "#menu [data-item-id] .price"), "the dish never reached the basket"
    )
    browser.switch_to.active_element.send_keys(Keys.ENTER)
    assert browser.switch_to.active_element.get_attribute("aria-label") == "Add Dish 0"
    browser.find_element(By.CSS_SELECTOR, '#menu button[aria-label="Add Dish 1"]').click()
    until(browser, _quoted_cents, "the basket was never priced")

    # The page's total is the API's quote for the same basket.
    customer = _api_headers(actors, "customers", email)
    address_id = actors.ok("GET", "/customers/me/addresses", headers=customer)["results"][0]["id"]
    dishes = street["near"]["items"]
    body = {
        "restaurant_id": street["near"]["restaurant"]["id"],
        "address_id": address_id,
        "items": [{"menu_item_id": dishes[0]["id"], "quantity": 2}, {"menu_item_id": dishes[1]["id"], "quantity": 1}],
    }
    quote = actors.ok("POST", "/customers/me/orders/quote", headers=customer, json=body)
    assert _quoted_cents(browser) == quote["total_cents"] == 2 * 1250 + 800 + 250
    snap(browser, "shop-basket")

    # The basket survives a reload; pressing twice at once makes one order, then its tracking page.
    browser.refresh()
    until(browser, lambda b: _quoted_cents(b) == quote["total_cents"], "the basket did not survive a reload")
    browser.execute_script("const b = document.getElementById('place'); b.click(); b.click();")
    until(browser, lambda b: "/track" in b.current_url and loaded(b), "placing never opened the tracking page", 20)
    assert len(_orders_of(actors, customer)) == 1

    # A second basket: the page is reloaded while its order is on its way; still one order.
    browser.back()
    until(browser, lambda b: b.find_elements(By.CSS_SELECTOR, "#menu .dish") and loaded(b), "no menu again")
    assert browser.find_element(By.ID, "basket-empty").is_displayed()  # the first basket left with its order
    click(browser, '#menu button[aria-label="Add Dish 1"]')
    until(browser, _quoted_cents, "the second basket was never priced")
    browser.execute_script("document.getElementById('place').click(); window.location.reload();")
    until(browser, lambda b: "/track" in b.current_url and loaded(b), "the reloaded page never finished the order", 20)
    orders = _orders_of(actors, customer)
    assert [len(order["items"]) for order in orders] == [1, 2]

    # The orders, newest first, their status live.
    browser.get(f"{gateway}/shop/orders")
    status_of = '#orders [data-order-id="{}"] .status'.format
    until(browser, lambda b: len(b.find_elements(By.CSS_SELECTOR, "#orders > li")) == 2, "the orders are not listed")
    assert "waiting for the restaurant" in text(browser, status_of(orders[0]["id"]))
    until(browser, streaming, "the orders' streams never opened")
    actors.ok(
        "POST",
        f"/restaurants/{street['near']['restaurant']['id']}/orders/{orders[0]['id']}/status",
        headers=street["owner"],
        json={"status": "rejected"},
    )
    until(browser, lambda b: "could not take it" in text(b, status_of(orders[0]["id"])), "the status never changed")
    snap(browser, "shop-orders")
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 390  # fits the phone


def test_the_owner_takes_a_dish_off_pauses_and_resumes_and_the_customer_s_pages_follow(
    browsers, gateway, actors, street
):
    customer = _customer(actors, street)
    near = street["near"]["restaurant"]
    dish = street["near"]["items"][0]
    shopper = browsers("customer")
    sign_in(shopper, gateway, "customer", customer["email"], f"/shop/restaurants/{near['id']}")
    click(shopper, f'#menu button[aria-label="Add {dish["name"]}"]')
    until(shopper, _quoted_cents, "the basket was never priced")

    # Signing in leads the owner to their back office, which switches between their restaurants.
    owner = browsers("owner")
    sign_in(owner, gateway, "restaurant", street["owner_email"])
    assert owner.current_url.endswith(f"/restaurants/{street['far']['restaurant']['id']}/manage")  # first by name
    owner.find_element(By.CSS_SELECTOR, "nav.switcher").find_element(By.LINK_TEXT, "Near Noodles").click()
    until(owner, lambda b: b.current_url.endswith(f"/restaurants/{near['id']}/manage") and loaded(b), "no switch")
    snap(owner, "manage")

    # Sold out, and back.
    row = f'#menu-items [data-item-id="{dish["id"]}"]'
    press(owner, row, "Mark sold out")
    until(owner, lambda b: text(b, f"{row} .availability") == "Sold out", "the dish was never sold out")
    assert actors.ok("GET", f"/restaurants/{near['id']}/menu")["items"][0]["available"] is False
    until(shopper, lambda b: "Sold out: Dish 0" in text(b, "#quote-problem"), "the shop never said it is sold out", 25)
    assert not shopper.find_element(By.ID, "place").is_enabled()
    press(owner, row, "Back on the menu")
    until(shopper, _quoted_cents, "the dish never came back in the shop", 25)

    # Paused: the back office, the board, the restaurant's page and the list all say so.
    Select(owner.find_element(By.ID, "pause-minutes")).select_by_visible_text("1 hour")
    click(owner, "#pause-form button[type=submit]")
    until(owner, lambda b: "paused until" in text(b, "#taking-orders"), "the pause was never shown")
    snap(owner, "manage-paused")
    paused = actors.ok("GET", f"/restaurants/{near['id']}")
    assert paused["accepting_orders"] is False
    assert paused["paused_until"]
    until(shopper, lambda b: "paused new orders" in text(b, "#quote-problem"), "the shop never said it is paused", 25)
    assert not shopper.find_element(By.ID, "place").is_enabled()
    owner.get(f"{gateway}/restaurants/{near['id']}/board")
    until(owner, lambda b: "paused until" in text(b, "#taking-orders"), "the board never showed the pause")
    snap(owner, "board-paused")
    lister = browsers("lister")
    sign_in(lister, gateway, "customer", customer["email"], f"/shop/?address={customer['address_id']}")
    until(lister, lambda b: _names(b) == ["Next Door Pizza", "Near Noodles"], "the paused one is not listed last")
    assert "Paused" in text(lister, "#restaurants li:last-child .state")
    snap(lister, "shop-paused-last")

    # Resumed from the board: orders again.
    click(owner, "#taking-orders [data-resume]")
    until(owner, lambda b: "Taking orders" in text(b, "#taking-orders"), "resuming was never shown")
    until(shopper, _quoted_cents, "the shop never took orders again", 25)
    click(shopper, "#place")
    until(shopper, lambda b: "/track" in b.current_url, "no order after resuming", 20)

    # The back office's settings and menu: a dearer delivery and a new dish, in the shop too.
    owner.get(f"{gateway}/restaurants/{near['id']}/manage")
    until(owner, lambda b: b.find_elements(By.CSS_SELECTOR, "#menu-items [data-item-id]"), "no menu to edit")
    fee = owner.find_element(By.ID, "delivery_fee_cents")
    fee.clear()
    fee.send_keys("3.10")
    click(owner, "#settings-form button[type=submit]")
    for field, value in (("new-name", "Summer rolls"), ("new-price", "4,20")):
        owner.find_element(By.ID, field).send_keys(value)
    click(owner, "#new-item button[type=submit]")
    new_dish = '#menu-items form[aria-label="Summer rolls"]'
    until(owner, lambda b: b.find_elements(By.CSS_SELECTOR, new_dish), "the new dish is not on the menu")
    assert actors.ok("GET", f"/restaurants/{near['id']}")["delivery_fee_cents"] == 310
    menu = actors.ok("GET", f"/restaurants/{near['id']}/menu")["items"]
    assert {"name": "Summer rolls", "price_cents": 420}.items() <= next(
        i for i in menu if i["name"] == "Summer rolls"
    ).items()
    shopper.get(f"{gateway}/shop/restaurants/{near['id']}")
    click(shopper, '#menu button[aria-label="Add Summer rolls"]')
    until(shopper, lambda b: _quoted_cents(b) == 420 + 310, "the shop never priced the new dish with the new fee")

    # Another restaurant's back office is not theirs.
    _other_id, other_headers = actors.user("restaurants", "Rival")
    theirs = actors.restaurant_with_menu(other_headers, name="Not Yours")["restaurant"]
    owner.get(f"{gateway}/restaurants/{theirs['id']}/manage")
    assert "not yours to see" in owner.find_element(By.TAG_NAME, "h1").text


def test_every_page_has_no_serious_accessibility_violation(browsers, gateway, actors, street):
    customer = _customer(actors, street)
    order = actors.place_order(customer["headers"], street["near"], customer["address_id"])
    rid = street["near"]["restaurant"]["id"]
    courier_email = _email("kai")
    actors.ok(
        "POST", "/couriers/register", json={"email": courier_email, "password": PASSWORD, "name": "Kai"}, expect=201
    )
    pages = {
        "customer": (
            customer["email"],
            ["/shop/", f"/shop/restaurants/{rid}", "/shop/orders", f"/orders/{order['id']}/track", "/couriers/me/app"],
        ),
        "restaurant": (street["owner_email"], [f"/restaurants/{rid}/manage", f"/restaurants/{rid}/board"]),
        "courier": (courier_email, ["/couriers/me/app"]),
    }
    browser = browsers("auditor")
    found = {}
    for path in ("/api-auth/login/", "/api-auth/signup/"):
        browser.get(gateway + path)
        found[path] = accessibility_violations(browser)
    for kind, (email, paths) in pages.items():
        sign_in(browser, gateway, kind, email)
        for path in paths:
            browser.get(gateway + path)
            until(browser, loaded, f"{path} never loaded")
            for width, size in (("desktop", as_a_desktop), ("phone", as_a_phone)):
                size(browser)
                found[f"{path} as a {kind} on a {width}"] = accessibility_violations(browser)
            as_a_desktop(browser)
        browser.delete_all_cookies()

    assert {page: problems for page, problems in found.items() if problems} == {}
