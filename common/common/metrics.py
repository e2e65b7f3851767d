"""Per-request Prometheus metrics (count and latency by route, method and status) and `/metrics`.

The route label is the URL pattern (`restaurants/<str:restaurant_id>/menu`), never the concrete
path, so label cardinality stays bounded. Sync- and async-capable, so it never forces a thread hop.
"""

from __future__ import annotations

import time

from django.http import HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

from common.middleware import TimedMiddleware

REQUESTS = Counter("http_requests_total", "HTTP requests by route, method and status", ["route", "method", "status"])
LATENCY = Histogram(
    "http_request_duration_seconds",
    "Time to the response headers, by route and method",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


def observe(route: str, method: str, status: int, started: float) -> None:
    """One request served: `started` is its `time.monotonic()` when it arrived."""
    LATENCY.labels(route, method).observe(time.monotonic() - started)
    REQUESTS.labels(route, method, str(status)).inc()


def _observe(request, response, started: float) -> None:
    match = getattr(request, "resolver_match", None)
    route = match.route if match is not None and match.route else "unmatched"
    observe(route, request.method, response.status_code, started)


class RequestMetricsMiddleware(TimedMiddleware):
    def served(self, request, response, started: float) -> None:
        _observe(request, response, started)


def metrics_view(request):
    return HttpResponse(generate_latest(), content_type=CONTENT_TYPE_LATEST)
