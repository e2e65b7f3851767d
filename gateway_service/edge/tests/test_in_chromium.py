"""A person in a real browser: Debian's headless Chromium, driven by Selenium through the gateway.

Each kind of user signs in with the gateway's form, works with DRF's browsable API (HTML forms,
the raw-data form, the Log out menu) and signs out; a page on another origin cannot act for them.
Screenshots of each step go to `.artifacts/browser/`. Without Chromium and its driver the tests
skip and say how to install them (`make test` installs them where it can).
"""

from __future__ import annotations

import http.server
import json
import shutil
import threading
import uuid
from pathlib import Path

import pytest

from common.testing.chromium import chromium_binary, script_errors, start_browser
from common.testing.live import PASSWORD, LiveActors

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import WebDriverException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.select import Select  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

# Couriers here must get this module's orders, not what earlier tests left waiting.
pytestmark = pytest.mark.usefixtures("no_orders_waiting")

ARTIFACTS = Path(__file__).resolve().parents[3] / ".artifacts" / "browser"


def _chromium() -> tuple[str, str]:
    browser = chromium_binary()
    driver = shutil.which("chromedriver")
    if browser is None or driver is None:
        pytest.skip(
            "Chromium or its WebDriver is not installed: apt-get install chromium chromium-driver "
            "(`make test` does this where it can)"
        )
    return browser, driver


@pytest.fixture
def browser(tmp_path):
    _chromium()
    chrome = start_browser(tmp_path / "profile")
    yield chrome
    problems = script_errors(chrome)
    chrome.quit()
    assert not problems, problems


def _snap(browser, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / f"{name}.png"))


def _wait_for(browser, text: str, timeout: float = 20) -> None:
    WebDriverWait(browser, timeout).until(lambda b: text in b.page_source, f"never saw {text!r}")


def _register(actors: LiveActors, kind: str, name: str) -> str:
    email = f"{name.lower()}-{uuid.uuid4().hex[:8]}@example.com"
    actors.ok("POST", f"/{kind}/register", json={"email": email, "password": PASSWORD, "name": name}, expect=201)
    return email


def _sign_in(browser, gateway: str, user_type: str, email: str, next_path: str) -> None:
    browser.get(f"{gateway}/api-auth/login/?next={next_path}")
    Select(browser.find_element(By.ID, "user_type")).select_by_value(user_type)
    browser.find_element(By.ID, "email").send_keys(email)
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    # The address changes when the next page's navigation commits, before that page is parsed.
    WebDriverWait(browser, 20).until(
        lambda b: b.current_url.endswith(next_path) and b.execute_script("return document.readyState") == "complete"
    )
    _wait_for(browser, "Log out")  # DRF's navbar names the signed-in user and offers to sign out


def _fill(form, fields: dict[str, str]) -> None:
    for name, value in fields.items():
        field = form.find_element(By.NAME, name)
        field.clear()
        field.send_keys(value)


def _submit_html_form(browser, pane_id: str) -> None:
    """Opens the tab of the pane's form and presses its button, then waits for the answer's page
    (a POST navigates; DRF's script sends other methods itself and writes the answer in)."""
    tabs = browser.find_elements(By.CSS_SELECTOR, f'a[href="#{pane_id}"]')
    if tabs:
        tabs[0].click()
    button = browser.find_element(By.CSS_SELECTOR, f"#{pane_id} form button.btn-primary")
    button.click()
    WebDriverWait(browser, 20).until(lambda _: _gone(button), "the page never changed")


def _gone(element) -> bool:
    try:
        element.is_enabled()
    except WebDriverException:  # stale, or (Chromium's words after a navigation) "not in the document"
        return True
    return False


def _json_on_page(browser) -> dict:
    """The response body DRF shows in its <pre> block (after the status line and headers)."""
    text = browser.find_element(By.CSS_SELECTOR, ".response-info pre").text
    return json.loads(text[text.index("{") :])


def _sign_out(browser) -> None:
    browser.find_element(By.CSS_SELECTOR, "a.dropdown-toggle").click()
    browser.find_element(By.CSS_SELECTOR, "#logoutForm button").click()
    _wait_for(browser, "Log in")


def test_a_customer_signs_in_adds_an_address_with_the_form_places_an_order_and_signs_out(browser, gateway, actors):
    _, owner_headers = actors.user("restaurants", "Chef")
    world = actors.restaurant_with_menu(owner_headers)
    email = _register(actors, "customers", "Cleo")

    _sign_in(browser, gateway, "customer", email, "/customers/me/addresses")
    _snap(browser, "customer-1-signed-in")
    assert "customer " in browser.find_element(By.CSS_SELECTOR, "a.dropdown-toggle").text

    form = browser.find_element(By.CSS_SELECTOR, "#post-object-form form")
    _fill(form, {"label": "Home", "line1": "1 Canal St", "city": "Amsterdam", "postcode": "1011"})
    _fill(form, {"lat": "52.37", "lng": "4.89"})
    _snap(browser, "customer-2-address-form")
    _submit_html_form(browser, "post-object-form")
    _wait_for(browser, "201 Created")
    address = _json_on_page(browser)
    assert (address["city"], address["lat"]) == ("Amsterdam", 52.37)
    _snap(browser, "customer-3-address-created")

    browser.get(f"{gateway}/customers/me/orders")
    browser.find_element(By.CSS_SELECTOR, 'a[href="#post-generic-content-form"]').click()
    Select(browser.find_element(By.ID, "id__content_type")).select_by_value("application/json")
    order_body = {
        "restaurant_id": world["restaurant"]["id"],
        "address_id": address["id"],
        "items": [{"menu_item_id": world["items"][0]["id"], "quantity": 2}],
    }
    content = browser.find_element(By.ID, "id__content")
    content.clear()
    content.send_keys(json.dumps(order_body))
    _submit_html_form(browser, "post-generic-content-form")
    _wait_for(browser, "201 Created")
    order = _json_on_page(browser)
    assert (order["status"], order["items"][0]["quantity"]) == ("placed", 2)
    _snap(browser, "customer-4-order-placed")

    browser.get(f"{gateway}/orders/{order['id']}/cancel")  # the order's Cancel form
    _submit_html_form(browser, "post-object-form")
    _wait_for(browser, "200 OK")
    assert _json_on_page(browser)["status"] == "cancelled"
    _snap(browser, "customer-5-order-cancelled")

    _sign_out(browser)
    browser.get(f"{gateway}/customers/me")
    _wait_for(browser, "not_authenticated")  # the session is gone with its tokens
    _snap(browser, "customer-6-signed-out")


def test_a_restaurant_user_sees_the_new_order_and_rejects_it_with_the_form(browser, gateway, actors):
    email = _register(actors, "restaurants", "Chef")
    tokens = actors.ok("POST", "/restaurants/login", json={"email": email, "password": PASSWORD})
    world = actors.restaurant_with_menu({"Authorization": f"Bearer {tokens['access']}"})
    _, customer_headers, address_id = actors.customer_with_address()
    order = actors.place_order(customer_headers, world, address_id)
    orders_path = f"/restaurants/{world['restaurant']['id']}/orders"

    _sign_in(browser, gateway, "restaurant", email, orders_path)
    _wait_for(browser, order["id"])
    _snap(browser, "restaurant-1-orders")

    browser.get(f"{gateway}{orders_path}/{order['id']}/status")
    # Rejected, not accepted: an accepted order would wait for a courier and take another test's.
    status = browser.find_element(By.CSS_SELECTOR, '#post-object-form select[name="status"]')
    Select(status).select_by_value("rejected")
    _submit_html_form(browser, "post-object-form")
    _wait_for(browser, "200 OK")
    assert _json_on_page(browser)["status"] == "rejected"
    _snap(browser, "restaurant-2-rejected")
    _sign_out(browser)


def test_a_courier_goes_online_with_the_profile_form(browser, gateway, actors):
    email = _register(actors, "couriers", "Kai")

    _sign_in(browser, gateway, "courier", email, "/couriers/me")
    form = browser.find_element(By.CSS_SELECTOR, "#put-object-form form")
    available = form.find_element(By.NAME, "available")
    if not available.is_selected():
        available.click()
    _submit_html_form(browser, "put-object-form")
    _wait_for(browser, "200 OK")
    assert _json_on_page(browser)["available"] is True
    _snap(browser, "courier-1-online")

    # And offline again (an idle courier here would take the other tests' orders): untick, PUT.
    browser.find_element(By.CSS_SELECTOR, '#put-object-form input[name="available"]').click()
    _submit_html_form(browser, "put-object-form")
    _wait_for(browser, "200 OK")
    assert _json_on_page(browser)["available"] is False
    _sign_out(browser)


class _ForeignSite(http.server.ThreadingHTTPServer):
    """Another origin (another port) serving a page whose form posts to the gateway."""

    daemon_threads = True

    def __init__(self, page: str):
        self.page = page.encode()
        super().__init__(("127.0.0.1", 0), _ForeignPage)

    def __enter__(self):
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server_address[1]}/"

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()


class _ForeignPage(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(self.server.page)))
        self.end_headers()
        self.wfile.write(self.server.page)

    def log_message(self, *args):
        pass


def _address_count(browser, gateway: str) -> int:
    browser.get(f"{gateway}/customers/me/addresses?format=json")
    return json.loads(browser.find_element(By.TAG_NAME, "body").text)["count"]


def test_forms_without_the_csrf_token_or_from_another_origin_are_refused(browser, gateway, actors):
    email = _register(actors, "customers", "Cleo")
    _sign_in(browser, gateway, "customer", email, "/customers/me/addresses")
    fields = {"label": "Home", "line1": "1 Canal St", "city": "Amsterdam", "postcode": "1011", "lat": "52", "lng": "4"}

    # DRF's own form with its token removed, as a page that cannot read the token would send it.
    form = browser.find_element(By.CSS_SELECTOR, "#post-object-form form")
    _fill(form, fields)
    browser.execute_script("arguments[0].querySelector('[name=csrfmiddlewaretoken]').remove()", form)
    _submit_html_form(browser, "post-object-form")
    _wait_for(browser, "csrf_failed")
    _snap(browser, "csrf-1-no-token")

    # A page elsewhere (same site, other port: the SameSite cookie still travels) posting a form.
    inputs = "".join(f'<input name="{k}" value="{v}">' for k, v in fields.items())
    page = f'<form id="f" method="post" action="{gateway}/customers/me/addresses">{inputs}</form>'
    page += "<script>document.getElementById('f').submit()</script>"
    with _ForeignSite(page) as foreign_url:
        browser.get(foreign_url)
        _wait_for(browser, "csrf_failed")
    _snap(browser, "csrf-2-foreign-origin")

    assert _address_count(browser, gateway) == 0
