import shutil

import pytest

from common.testing.chromium import chromium_binary, script_errors, start_browser


@pytest.fixture
def browsers(tmp_path):
    """Opens browsers on demand (one per person); at the end, none may have logged a script error
    or a Content-Security-Policy refusal."""
    if chromium_binary() is None or shutil.which("chromedriver") is None:
        pytest.skip("Chromium or its WebDriver is not installed: apt-get install chromium chromium-driver")
    opened = []

    def open_one(name: str = "b", **size):
        browser = start_browser(tmp_path / f"{name}-{len(opened)}", **size)
        opened.append(browser)
        return browser

    yield open_one
    problems = [error for browser in opened for error in script_errors(browser)]
    for browser in opened:
        browser.quit()
    assert not problems, problems
