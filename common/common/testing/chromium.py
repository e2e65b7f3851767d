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
