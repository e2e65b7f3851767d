"""Forwarding a request to its upstream and streaming the answer back.

One pooled `httpx.AsyncClient` per upstream (keep-alive, explicit timeouts) lives for the
process. Responses are streamed chunk by chunk, so Server-Sent Events pass through unbuffered and
an open stream costs a coroutine, not a thread.
"""

from __future__ import annotations

import functools
import logging
from urllib.parse import quote

import httpx
from django.conf import settings
from django.http import HttpResponse, StreamingHttpResponse

from common.circuit_breaker import CircuitBreaker
from common.errors import error_response
from common.request_id import HEADER as REQUEST_ID_HEADER
from common.tracing import inject_context
from edge.routes import Route

logger = logging.getLogger(__name__)

# RFC 9110 7.6.1: meaningful for one connection only, never forwarded.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "proxy-connection",
    }
)
# Characters left as they are in a forwarded path (RFC 3986 pchar plus "/" and "%" for escapes).
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
# Set by the gateway itself (request id, length of what it sends) or never relayed (cookies).
_NOT_RELAYED = frozenset({"x-request-id", "set-cookie", "content-length"})
_NOT_FORWARDED = HOP_BY_HOP | {
    "host",
    "content-length",
    "x-forwarded-for",
    "x-forwarded-proto",
    "x-forwarded-host",
    "x-request-id",
    "forwarded",
}


@functools.cache
def upstream_client(service: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=settings.UPSTREAMS[service],
        timeout=httpx.Timeout(settings.UPSTREAM_READ_TIMEOUT_S, connect=settings.UPSTREAM_CONNECT_TIMEOUT_S),
        # Every open event stream holds a connection: the pool must allow thousands. Few idle
        # ones are kept: httpcore checks each idle connection on every request (measured).
        limits=httpx.Limits(max_connections=10_000, max_keepalive_connections=32, keepalive_expiry=30),
        follow_redirects=False,
        trust_env=False,
    )


@functools.cache
def breaker(service: str) -> CircuitBreaker:
    return CircuitBreaker(
        failure_threshold=settings.BREAKER_FAILURE_THRESHOLD,
        reset_timeout_s=settings.BREAKER_RESET_TIMEOUT_S,
        name=service,
    )


def request_headers(request, client_address: str) -> dict[str, str]:
    headers = {name: value for name, value in request.headers.items() if name.lower() not in _NOT_FORWARDED}
    prior = request.META.get("HTTP_X_FORWARDED_FOR", "") if settings.TRUSTED_PROXY_HOPS > 0 else ""
    headers["X-Forwarded-For"] = f"{prior}, {client_address}" if prior else client_address
    headers["X-Forwarded-Proto"] = request.scheme
    headers["X-Forwarded-Host"] = request.get_host()
    headers[REQUEST_ID_HEADER] = request.request_id
    inject_context(headers)
    return headers


async def _relay(upstream: httpx.Response, service: str):
    try:
        async for chunk in upstream.aiter_raw():
            yield chunk
    except httpx.HTTPError:
        logger.warning("upstream stream broke", extra={"upstream": service})
    finally:
        await upstream.aclose()


def _unavailable(service: str, *, status: int, code: str, message: str, retry_after: int):
    return error_response(status, code, message, {"service": service}, headers={"Retry-After": str(retry_after)})


async def forward(request, route: Route, client_address: str):
    service = route.service
    circuit = breaker(service)
    if not circuit.allow():
        return _unavailable(
            service,
            status=503,
            code="upstream_unavailable",
            message=f"The {service} service is unavailable.",
            retry_after=max(1, round(circuit.retry_after_s())),
        )
    client = upstream_client(service)
    timeout = (
        httpx.Timeout(None, connect=settings.UPSTREAM_CONNECT_TIMEOUT_S) if route.stream else httpx.USE_CLIENT_DEFAULT
    )
    # The path exactly as the client sent it (still percent-encoded): decoding and re-encoding could
    # change what the upstream sees, and a decoded control character is not a valid URL.
    raw_path = (request.scope.get("raw_path") or request.path.encode()).split(b"?", 1)[0]
    upstream_request = client.build_request(
        request.method,
        quote(raw_path, safe=_PATH_SAFE),  # bytes: each byte outside the safe set is escaped once
        params=request.META.get("QUERY_STRING", "") or None,
        headers=request_headers(request, client_address),
        content=request.body,
        timeout=timeout,
    )
    try:
        upstream = await client.send(upstream_request, stream=True)
    except httpx.TimeoutException:
        circuit.record_failure()
        logger.warning("upstream timeout", extra={"upstream": service})
        return _unavailable(
            service,
            status=504,
            code="upstream_timeout",
            message=f"The {service} service did not answer in time.",
            retry_after=5,
        )
    except httpx.HTTPError as exc:
        circuit.record_failure()
        logger.warning("upstream unreachable", extra={"upstream": service, "error": type(exc).__name__})
        return _unavailable(
            service,
            status=503,
            code="upstream_unavailable",
            message=f"The {service} service is unavailable.",
            retry_after=5,
        )
    if upstream.status_code >= 500:
        circuit.record_failure()
    else:
        circuit.record_success()

    streaming = route.stream or upstream.headers.get("content-type", "").startswith("text/event-stream")
    if streaming:
        response = StreamingHttpResponse(_relay(upstream, service), status=upstream.status_code)
    else:
        # Ordinary JSON answers are small: reading them whole is cheaper than relaying chunks.
        try:
            # Raw bytes: a compressed answer stays compressed, matching its Content-Encoding.
            content = b"".join([chunk async for chunk in upstream.aiter_raw()])
        except httpx.HTTPError:
            circuit.record_failure()
            return _unavailable(
                service,
                status=503,
                code="upstream_unavailable",
                message=f"The {service} service broke off its answer.",
                retry_after=5,
            )
        finally:
            await upstream.aclose()
        response = HttpResponse(content, status=upstream.status_code)
    for name, value in upstream.headers.multi_items():
        lowered = name.lower()
        if lowered in HOP_BY_HOP or lowered in _NOT_RELAYED:
            continue
        response[name] = value
    if streaming:
        response["X-Accel-Buffering"] = "no"
        response["Cache-Control"] = "no-cache"
    return response
