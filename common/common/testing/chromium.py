"""Debian's headless Chromium as the project drives it (browser tests, `make screenshots`)."""

from __future__ import annotations

import shutil

# Without the networking flags Chromium reaches for Google's hosts at start-up, which a closed
# network refuses (many connections at a time).
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--window-size=1280,1000",
)


def chromium_binary() -> str | None:
    return next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)


def start_browser(profile_dir, *, width: int = 1280, height: int = 1000):
    """Headless Chromium under Selenium, recording the browser's console (`script_errors`). The
    caller skips its test when `chromium_binary()` or chromedriver is missing."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium_binary()
    for flag in (*FLAGS, f"--user-data-dir={profile_dir}"):
        options.add_argument(f"--window-size={width},{height}" if flag.startswith("--window-size") else flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # Given both paths, Selenium never tries to download a browser or a driver.
    browser = webdriver.Chrome(options=options, service=Service(executable_path=shutil.which("chromedriver")))
    browser.set_page_load_timeout(30)
    return browser


def script_errors(browser) -> list[str]:
    """What the pages' scripts complained about since the last call: JavaScript errors and
    Content-Security-Policy refusals (a page that needed an inline script or another origin's
    asset). Failed loads a test asked for (a 401 or 405 page) are not script errors."""
    return [
        entry["message"]
        for entry in browser.get_log("browser")
        if entry["level"] == "SEVERE"
        and ("Content Security Policy" in entry["message"] or "Uncaught" in entry["message"])
    ]
