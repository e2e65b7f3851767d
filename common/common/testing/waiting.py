"""Waiting on a condition in a test, with a generous deadline: never a fixed sleep, never a time band."""

from __future__ import annotations

import time
from collections.abc import Callable


def eventually(condition: Callable[[], bool], *, timeout_s: float = 10.0, every_s: float = 0.05) -> bool:
    """Whether `condition()` became true within `timeout_s`, asked every `every_s`."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() >= deadline:
            return False
        time.sleep(every_s)
    return True
