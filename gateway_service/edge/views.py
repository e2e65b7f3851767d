"""The gateway's own endpoints and the catch-all proxy view."""

from __future__ import annotations

import asyncio
import functools

import aiohttp
from django.conf import settings
from django.http import HttpResponse, JsonResponse

from common.errors import error_response
from common.net import client_ip
from edge import ratelimit, routes
from edge.auth import edge_token_check
from edge.proxy import forward, outgoing, upstream_session, upstream_url


async def healthz(request):
    return JsonResponse({"status": "ok", "service": "gateway"})


async def _upstream_ready(service: str) -> str | None:
    try:
        async with upstream_session(service).get(
            upstream_url(service, "/readyz"), timeout=aiohttp.ClientTimeout(total=2.0)
        ) as response:
            status = response.status
    except Exception as exc:  # any transport failure means "not ready"
        return type(exc).__name__
    return None if status == 200 else f"status {status}"


def _direct_only(view):
    """Operations endpoints for the cluster (probes, Prometheus), not for the internet: behind an
    ingress (OPERATIONS_DIRECT_ONLY), a request that came through a proxy (it carries
    X-Forwarded-For, which the ingress always adds) is told the route does not exist."""

    @functools.wraps(view)
    async def wrapped(request):
        if settings.OPERATIONS_DIRECT_ONLY and "HTTP_X_FORWARDED_FOR" in request.META:
            return error_response(404, "not_found", "Not found.")
        return await view(request)

    return wrapped


@_direct_only
async def readyz(request):
    """Ready when every upstream is: the gateway alone cannot serve any contract route."""
    services = list(settings.UPSTREAMS)
    results = await asyncio.gather(*(_upstream_ready(s) for s in services))
    failures = {s: r for s, r in zip(services, results, strict=True) if r is not None}
    if failures:
        return error_response(503, "not_ready", "Some services are not ready.", failures, headers={"Retry-After": "5"})
    return JsonResponse({"status": "ready", "service": "gateway", "upstreams": dict.fromkeys(services, "ok")})


@_direct_only
async def metrics(request):
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    return HttpResponse(generate_latest(), content_type=CONTENT_TYPE_LATEST)


def _anonymous_page_view(request) -> bool:
    """A browser without credentials opening a page: the service answers it (still 401, verified
    there) with DRF's page, whose navbar links to the sign-in form; an API client gets the edge's
    JSON refusal without an upstream call."""
    return (
        request.method in ("GET", "HEAD")
        and "HTTP_AUTHORIZATION" not in request.META
        and "text/html" in request.headers.get("Accept", "")
    )


async def proxy(request):
    match = routes.resolve(request.method, request.path)
    if match.route is None and match.browsable is not None and "text/html" in request.headers.get("Accept", ""):
        return await forward(outgoing(request, client_ip(request)), match.browsable)
    if match.route is None:
        if match.allowed:
            return error_response(
                405,
                "method_not_allowed",
                f'Method "{request.method}" not allowed.',
                headers={"Allow": ", ".join(sorted(match.allowed))},
            )
        return error_response(404, "not_found", "No such resource.", {"path": request.path})
    route = match.route
    request.route_pattern, request.upstream = route.pattern, route.service
    claims = None
    if route.auth == routes.TOKEN:
        refusal, claims = edge_token_check(request)
        if refusal is not None and not _anonymous_page_view(request):
            return refusal
    address = client_ip(request)
    refusal, limit_headers = await ratelimit.enforce(request.path, claims, address)
    if refusal is not None:
        return refusal
    response = await forward(outgoing(request, address), route)
    for name, value in limit_headers.items():
        response[name] = value
    return response
