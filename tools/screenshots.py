#!/usr/bin/env python3
"""Screenshots of what a person sees through the gateway: Swagger UI at /docs and a page of
DRF's browsable API, taken with Debian's headless Chromium into .artifacts/screenshots/.

Needs a running platform (`make run`), or GATEWAY_URL pointing at one.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from common.testing.chromium import FLAGS as CHROMIUM_FLAGS
from common.testing.chromium import chromium_binary

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / ".artifacts" / "screenshots"
PAGES = {"docs": "/docs", "browsable-register": "/customers/register", "browsable-restaurants": "/restaurants"}
# Debian's Chromium's flags are shared with the browser tests; the budget lets pages finish loading.
FLAGS = [*CHROMIUM_FLAGS, "--virtual-time-budget=8000"]


def main() -> int:
    chromium = chromium_binary()
    if chromium is None:
        sys.exit("chromium is not installed: apt-get install chromium")
    gateway = os.environ.get("GATEWAY_URL", "http://127.0.0.1:8000").rstrip("/")
    OUT.mkdir(parents=True, exist_ok=True)
    for name, path in PAGES.items():
        target = OUT / f"{name}.png"
        with tempfile.TemporaryDirectory() as profile:
            subprocess.run(
                [chromium, *FLAGS, f"--user-data-dir={profile}", f"--screenshot={target}", gateway + path],
                check=True,
                capture_output=True,
                timeout=60,
            )
        print(f"{target.relative_to(ROOT)}  <- {gateway}{path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
