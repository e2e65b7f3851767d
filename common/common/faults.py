"""Named fault points, for tests that prove the invariants survive crashes and ambiguous calls.

Code that writes or calls another service marks the moments where a process can die or a reply
can be lost: `faults.point("dispatch.after_claim")` before or after a write, and
`faults.call("dispatch.project", send)` around an internal call. Unarmed (always, outside tests)
both are one dictionary lookup. A test arms one point at a time:

    with faults.armed("dispatch.after_claim", faults.CRASH):
        with pytest.raises(faults.InjectedCrash):
            dispatch.dispatch()
    dispatch.reconcile()          # then checks that everything converged

CRASH at a point raises InjectedCrash there, as if the process died (nothing after it runs).
At a call, CRASH_BEFORE dies before sending, and TIMEOUT_AFTER sends the call, lets it succeed,
then raises the timeout the caller would see if the reply were lost.

`paused(name)` stops the first caller to reach the point (or call, before sending) until the test
resumes it, as a process frozen there would be, while everyone else goes on:

    with faults.paused("dispatch.project") as pause:
        start the action in a thread; pause.reached.wait()
        ...check what the others see meanwhile...
    # leaving the block resumes it
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import TypeVar

from common.errors import GatewayTimeout

CRASH, CRASH_BEFORE, TIMEOUT_AFTER = "crash", "crash_before", "timeout_after"

T = TypeVar("T")

_armed: dict[str, str] = {}
_pauses: dict[str, Pause] = {}
_lock = threading.Lock()


class Pause:
    def __init__(self):
        self.reached = threading.Event()  # a caller is frozen at the point
        self.resumed = threading.Event()


def _maybe_pause(name: str) -> None:
    with _lock:
        pause = _pauses.pop(name, None)  # the first caller only
    if pause is not None:
        pause.reached.set()
        pause.resumed.wait(timeout=120)


class InjectedCrash(BaseException):
    """The process 'dies' here. A BaseException, so no `except Exception` in the code swallows it."""


def point(name: str) -> None:
    if _pauses:
        _maybe_pause(name)
    if _armed.get(name) == CRASH:
        raise InjectedCrash(name)


def call(name: str, send: Callable[[], T]) -> T:
    if _pauses:
        _maybe_pause(name)
    mode = _armed.get(name)
    if mode in (CRASH, CRASH_BEFORE):
        raise InjectedCrash(name)
    result = send()
    if mode == TIMEOUT_AFTER:
        raise GatewayTimeout(f"injected: the reply of {name} was lost", details={"fault": name})
    return result


@contextlib.contextmanager
def armed(name: str, mode: str) -> Iterator[None]:
    with _lock:
        _armed[name] = mode
    try:
        yield
    finally:
        with _lock:
            _armed.pop(name, None)


@contextlib.contextmanager
def paused(name: str) -> Iterator[Pause]:
    pause = Pause()
    with _lock:
        _pauses[name] = pause
    try:
        yield pause
    finally:
        with _lock:
            _pauses.pop(name, None)
        pause.resumed.set()
