"""Load shedding: a process at its limit answers a fast 503 instead of queueing work it cannot do.

A request past `MAX_INFLIGHT_REQUESTS` in one process gets the contract's 503 `overloaded` with a
`Retry-After` of 1..SSE_SHED_RETRY_MAX_S seconds at random (the retries spread instead of coming
back as one wave) and `X-Overloaded: true`, which callers' circuit breakers do not count as a
failure (the process is up, protecting itself). Nothing has been done for it yet: no body read, no
token checked, no store touched. Health, readiness and metrics are never shed. A live stream counts
only while it opens (its view returns its response at once); open streams have their own limits
(common/streams/admission.py).
"""

from __future__ import annotations

import threading

from django.conf import settings
from prometheus_client import Counter

from common.errors import overloaded_response
from common.middleware import HybridMiddleware

SHED = Counter("requests_shed_total", "Requests answered 503 overloaded before any work")
_NEVER_SHED = ("/healthz", "/readyz", "/metrics")


class _Inflight:
    """Requests this process works on now (every handler of the process counts into one)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.count = 0

    def enter(self, limit: int) -> bool:
        with self.lock:
            if self.count >= limit:
                return False
            self.count += 1
            return True

    def leave(self) -> None:
        with self.lock:
            self.count -= 1


_inflight = _Inflight()


def admit() -> bool:
    """Takes one of this process's `MAX_INFLIGHT_REQUESTS` places (False: none is free); a request
    admitted gives it back with `release()` when it is done."""
    return _inflight.enter(settings.MAX_INFLIGHT_REQUESTS)


def release() -> None:
    _inflight.leave()


class InflightLimitMiddleware(HybridMiddleware):
    def before(self, request):
        request._counted_inflight = False
        if request.path in _NEVER_SHED:
            return None
        if not admit():
            SHED.inc()
            return overloaded_response("This server is at its limit; try again shortly.")
        request._counted_inflight = True
        return None

    def cleanup(self, request) -> None:
        if getattr(request, "_counted_inflight", False):
            release()
