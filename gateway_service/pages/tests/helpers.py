"""What the pages' browser tests do as a person would: sign in, wait for what the page shows
(conditions, never a clock), click what may be redrawn meanwhile, keep screenshots."""

from __future__ import annotations

from pathlib import Path

from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.ui import WebDriverWait

from common.testing.live import PASSWORD

ARTIFACTS = Path(__file__).resolve().parents[3] / ".artifacts" / "pages"


def until(browser, check, what: str, timeout: float = 10, every: float = 0.1):
    """Waits until `check(browser)` is truthy, looking every `every` seconds. An element the page
    re-rendered between finding it and reading it (an event arriving mid-check) is stale, and one
    found while the browser replaced the whole document belongs to none (Chromium's inspector says
    so in a plain WebDriverException, seen once in a full run): the next poll finds the new one."""

    def settled(b):
        try:
            return check(b)
        except WebDriverException as error:
            if _REPLACED_DOCUMENT in str(error):
                return False
            raise

    return WebDriverWait(
        browser, timeout, poll_frequency=every, ignored_exceptions=(StaleElementReferenceException,)
    ).until(settled, what)


_REPLACED_DOCUMENT = "does not belong to the document"


def loaded(browser) -> bool:
    return browser.execute_script("return document.readyState") == "complete"


def sign_in(browser, gateway: str, user_type: str, email: str, next_path: str | None = None) -> None:
    """Signs in with the form; with `next_path`, waits for that page, else for the person's own page."""
    browser.get(f"{gateway}/api-auth/login/" + (f"?next={next_path}" if next_path else ""))
    Select(browser.find_element(By.ID, "user_type")).select_by_value(user_type)
    browser.find_element(By.ID, "email").send_keys(email)
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    # The address changes when the next page's navigation commits, before that page is parsed.
    where = next_path or "the person's own page"
    until(
        browser,
        lambda b: (b.current_url.endswith(next_path) if next_path else "/api-auth/" not in b.current_url) and loaded(b),
        f"signing in never led to {where}",
        timeout=20,
    )


def click(browser, css: str, what: str | None = None) -> None:
    """Clicks the element as a person would: found again if the page redrew it meanwhile."""

    def attempt(b) -> bool:
        try:
            element = b.find_element(By.CSS_SELECTOR, css)
            if not element.is_enabled():
                return False
            element.click()
        except StaleElementReferenceException:
            return False
        return True

    until(browser, attempt, what or f"{css} could not be clicked")


def text(browser, css: str) -> str:
    return browser.find_element(By.CSS_SELECTOR, css).text


def snap(browser, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / f"{name}.png"))


def press(browser, container_css: str, label: str) -> None:
    """Presses the button labelled `label` inside the container, found again if redrawn meanwhile
    (a card on the board is redrawn whenever an event about its order arrives)."""

    def attempt(b) -> bool:
        try:
            b.find_element(By.CSS_SELECTOR, container_css).find_element(
                By.XPATH, f".//button[text()='{label}']"
            ).click()
        except StaleElementReferenceException:
            return False
        return True

    until(browser, attempt, f"the {label} button could not be pressed")


def streaming(browser) -> bool:
    """Whether the page's live stream has opened (stream.js marks the page)."""
    return browser.execute_script("return document.body.dataset.live === 'open'")
