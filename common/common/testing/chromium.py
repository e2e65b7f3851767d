"""Debian's headless Chromium as the project drives it (browser tests, `make screenshots`)."""

from __future__ import annotations

import shutil
from pathlib import Path

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


AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"  # tools/vendor_js.py pins it
# What a person cannot get past: axe-core's two highest impacts.
BLOCKING_IMPACTS = ("serious", "critical")


def accessibility_violations(browser, impacts: tuple[str, ...] = BLOCKING_IMPACTS) -> list[str]:
    """axe-core's findings on the page as it is now (WCAG 2.x A and AA and axe's best practices),
    those of the given impacts, one line each: rule, impact, what it says, where. The script is
    given to the page by the driver (a page's own Content-Security-Policy does not apply to it)."""
    if not browser.execute_script("return Boolean(window.axe)"):
        browser.execute_script(AXE.read_text())
    browser.set_script_timeout(60)
    result = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then((r) => done(r.violations), (e) => done(String(e)));"
    )
    if isinstance(result, str):
        raise AssertionError(f"axe-core did not run: {result}")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {', '.join(' '.join(n['target']) for n in v['nodes'][:5])}"
        for v in result
        if v["impact"] in impacts
    ]


def as_a_phone(browser, width: int = 390) -> None:
    """A phone's screen, `width` CSS pixels wide (a window cannot be made that narrow headless)."""
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride", {"width": width, "height": 844, "deviceScaleFactor": 2, "mobile": True}
    )


def as_a_desktop(browser) -> None:
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
