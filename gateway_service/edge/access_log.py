"""One structured JSON line per request: id, method, route, upstream, status, duration, client.

No headers, bodies or query strings are logged, so tokens and passwords never reach the logs.
"""

from __future__ import annotations

import logging
import time

from prometheus_client import Histogram

from common.middleware import TimedMiddleware
from common.net import client_ip

logger = logging.getLogger("gateway.access")

REQUESTS = Histogram(
    "gateway_request_duration_seconds",
    "Time to the response headers, by route pattern, upstream and status",
    ["route", "upstream", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


class AccessLogMiddleware(TimedMiddleware):
    def served(self, request, response, started: float) -> None:
        record(request, response, started)


def record(request, response, started: float) -> None:
    """The request's metric and log line (also the fast path's: edge/fast_proxy.py)."""
    route, upstream = getattr(request, "route_pattern", None), getattr(request, "upstream", None)
    elapsed = time.monotonic() - started
    REQUESTS.labels(route or "unrouted", upstream or "gateway", str(response.status_code)).observe(elapsed)
    logger.info(
        "request",
        extra={
            "method": request.method,
            "route": route,
            "upstream": upstream,
            "status": response.status_code,
            "duration_ms": round(elapsed * 1000, 1),
            "client": client_ip(request),
            "streaming": response.streaming,
        },
    )
