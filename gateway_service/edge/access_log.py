"""One structured JSON line per request: id, method, route, upstream, status, duration, client.

No headers, bodies or query strings are logged, so tokens and passwords never reach the logs.
"""

from __future__ import annotations

import logging
import time

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from prometheus_client import Histogram

from common.net import client_ip

logger = logging.getLogger("gateway.access")

REQUESTS = Histogram(
    "gateway_request_duration_seconds",
    "Time to the response headers, by route pattern, upstream and status",
    ["route", "upstream", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


class AccessLogMiddleware:
    sync_capable = False
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    async def __call__(self, request):
        started = time.monotonic()
        response = await self.get_response(request)
        record(
            method=request.method,
            route=getattr(request, "route_pattern", None),
            upstream=getattr(request, "upstream", None),
            status=response.status_code,
            started=started,
            client=client_ip(request),
            streaming=response.streaming,
        )
        return response


def record(
    *, method: str, route: str | None, upstream: str | None, status: int, started: float, client: str, streaming: bool
) -> None:
    """The request's metric and log line (also written by edge.fast_proxy, which answers before Django)."""
    elapsed = time.monotonic() - started
    REQUESTS.labels(route or "unrouted", upstream or "gateway", str(status)).observe(elapsed)
    logger.info(
        "request",
        extra={
            "method": method,
            "route": route,
            "upstream": upstream,
            "status": status,
            "duration_ms": round(elapsed * 1000, 1),
            "client": client,
            "streaming": streaming,
        },
    )
