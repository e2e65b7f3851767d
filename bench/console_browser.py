"""The operators' console page in headless Chromium under a city's load (bench/console.py): how long
until it shows every courier's marker, and how fast it answers a click on an order while positions
keep arriving (a click until the next frame is drawn)."""

from __future__ import annotations

import tempfile
import time
import uuid
from urllib.parse import parse_qs, urlparse

import pyotp
from city_clients import summary_ms

from common.testing.chromium import chromium_binary, script_errors, start_browser

PASSWORD = "correct horse battery"
CLICKS = 30

_CLICK = """
const done = arguments[arguments.length - 1];
const buttons = document.querySelectorAll("button.choose");
if (!buttons.length) { done(null); return; }
const button = buttons[arguments[0] % buttons.length];
const started = performance.now();
button.click();
requestAnimationFrame(() => setTimeout(() => done(performance.now() - started), 0));
"""

# The page's long tasks (over 50 ms, the browser's own measure) while it is clicked, kept on the window.
_WATCH_LONG_TASKS = """
window.__longTasks = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) window.__longTasks.push(entry.duration);
}).observe({ type: "longtask" });
"""


def _self_time_ms(profile: dict, top: int = 12) -> list[tuple[str, float]]:
    """Where the page's main thread spent its time while sampled (DevTools' CPU profile): the
    functions with the most self time, as `name (file:line)`, in ms."""
    nodes = {node["id"]: node for node in profile["nodes"]}
    spent: dict[str, float] = {}
    for node_id, delta in zip(profile["samples"], profile["timeDeltas"], strict=True):
        frame = nodes[node_id]["callFrame"]
        where = (
            f"{frame['functionName'] or '(anonymous)'} ({frame['url'].rsplit('/', 1)[-1]}:{frame['lineNumber'] + 1})"
        )
        spent[where] = spent.get(where, 0.0) + delta / 1000
    return [(name, round(ms, 1)) for name, ms in sorted(spent.items(), key=lambda item: -item[1])[:top]]


def _wait(browser, check, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


def measure_page(stack, gateway: str, couriers: int) -> dict | None:
    """Signs an operator in (with a code), opens the console and measures it; None without Chromium."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.select import Select

    if chromium_binary() is None:
        return None
    email = f"bench-page-{uuid.uuid4().hex[:8]}@example.com"
    printed = stack.create_operator(email, PASSWORD)
    secret = parse_qs(urlparse(next(x for x in printed.splitlines() if x.startswith("otpauth://"))).query)["secret"][0]
    browser = start_browser(tempfile.mkdtemp(prefix="fd-console-page-"), width=1400, height=1000)
    try:
        browser.get(f"{gateway}/api-auth/login/?next=/operator/console")
        Select(browser.find_element(By.ID, "user_type")).select_by_value("operator")
        browser.find_element(By.ID, "email").send_keys(email)
        browser.find_element(By.ID, "password").send_keys(PASSWORD)
        browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        _wait(browser, lambda: browser.find_elements(By.ID, "code"), 30)
        browser.find_element(By.ID, "code").send_keys(pyotp.TOTP(secret).now())
        started = time.monotonic()
        browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        shown = _wait(
            browser,
            lambda: browser.execute_script("return document.querySelectorAll('.pin.courier').length") >= couriers,
            120,
        )
        markers_s = round(time.monotonic() - started, 2)
        markers = browser.execute_script("return document.querySelectorAll('.pin.courier').length")
        browser.set_script_timeout(10)
        browser.execute_script(_WATCH_LONG_TASKS)
        browser.execute_cdp_cmd("Profiler.enable", {})
        browser.execute_cdp_cmd("Profiler.start", {})
        profiled = time.monotonic()
        clicks = []
        for n in range(CLICKS):
            answered = browser.execute_async_script(_CLICK, n * 7)
            if answered is not None:
                clicks.append(answered)
            time.sleep(0.2)  # a person's pace between clicks, while the positions keep coming
        profile = browser.execute_cdp_cmd("Profiler.stop", {})["profile"]
        long_tasks = browser.execute_script("return window.__longTasks")
        return {
            "profiled_s": round(time.monotonic() - profiled, 1),
            "long_tasks": {"count": len(long_tasks), "total_ms": round(sum(long_tasks)), **summary_ms(long_tasks)},
            "self_time_ms": _self_time_ms(profile),
            "markers": markers,
            "markers_s": markers_s if shown else None,
            "click": summary_ms(clicks),
            "script_errors": script_errors(browser),
        }
    finally:
        browser.quit()
