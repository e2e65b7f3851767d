"""Forwarding a request to its upstream and streaming the answer back.

Ordinary calls go over each upstream's pool of keep-alive connections (`edge.upstream_pool`; HEAD
through a pooled aiohttp session, explicit timeouts both). Live streams (stream routes) go through
`edge.stream_relay` instead, one connection each, holding nothing of their answer but what is still
to be relayed; all share the timeouts, the connect retry, the circuit and the shedding rules here.
Streams pass through chunk by chunk, unbuffered, and an open stream costs a coroutine, not a thread.
A call comes as an `Outgoing`, made from Django's request by the proxy view.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import weakref
from dataclasses import dataclass
from urllib.parse import quote

import aiohttp
import yarl
from django.conf import settings
from django.http import HttpResponse, StreamingHttpResponse

from common.circuit_breaker import CircuitBreaker
from common.errors import OVERLOADED_HEADER, error_response, not_logged_as_error, overloaded_response
from common.request_id import HEADER as REQUEST_ID_HEADER
from common.streams import admission
from common.tracing import inject_context
from edge import stream_relay, upstream_pool
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
# Set by the gateway itself (request id, length of what it sends; its server stamps the Date, which
# relayed made two) or never relayed (cookies; the upstream's software named in Server).
_NOT_RELAYED = frozenset({"x-request-id", "set-cookie", "content-length", "date", "server"})
_NOT_FORWARDED = HOP_BY_HOP | {
    "host",
    "content-length",
    "x-forwarded-for",
    "x-forwarded-proto",
    "x-forwarded-host",
    "x-request-id",
    "forwarded",
}


# One pooled session per upstream and event loop (aiohttp sessions belong to the loop that made
# them; uvicorn runs one loop per process, tests one per test).
_sessions: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def upstream_session(service: str) -> aiohttp.ClientSession:
    """The pooled keep-alive aiohttp session for one upstream: HEAD through the proxy, readiness
    probes and browser sign-in (ordinary calls use `edge.upstream_pool`). aiohttp rather than httpx:
    profiled under load, httpcore spent a third of the gateway's time checking idle pool connections."""
    loop = asyncio.get_running_loop()
    sessions = _sessions.setdefault(loop, {})
    session = sessions.get(service)
    if session is None or session.closed:
        session = sessions[service] = aiohttp.ClientSession(
            # Unlimited: every open event stream holds a connection.
            connector=aiohttp.TCPConnector(
                limit=0, keepalive_timeout=settings.HTTP_KEEPALIVE_EXPIRY_S, ttl_dns_cache=60
            ),
            auto_decompress=False,  # bytes are relayed as they come, with their Content-Encoding
            skip_auto_headers=("User-Agent", "Accept-Encoding", "Content-Type"),
            cookie_jar=aiohttp.DummyCookieJar(),
            trust_env=False,
        )
    return session


async def close_upstream_sessions() -> None:
    upstream_pool.close_pools()
    for session in _sessions.pop(asyncio.get_running_loop(), {}).values():
        await session.close()


def upstream_url(service: str, path: str, query: str = "") -> yarl.URL:
    return yarl.URL(settings.UPSTREAMS[service].rstrip("/") + path + (f"?{query}" if query else ""), encoded=True)


@functools.cache
def breaker(service: str, *, streams: bool = False) -> CircuitBreaker:
    """The circuit to an upstream. Its live streams have one of their own: a reconnect storm (thousands
    of clients opening streams at once, slow to connect while the upstream catches up) can then never
    lock out its ordinary requests, and once the storm's circuit half-opens it lets several trials
    through at once, so streams come back faster than one connection per reset."""
    return CircuitBreaker(
        failure_threshold=settings.BREAKER_FAILURE_THRESHOLD,
        reset_timeout_s=settings.BREAKER_RESET_TIMEOUT_S,
        name=f"{service}:streams" if streams else service,
        half_open_trials=settings.BREAKER_STREAM_TRIALS if streams else 1,
    )


@dataclass(frozen=True, slots=True)
class Outgoing:
    """What the gateway sends upstream for one client request (`outgoing`)."""

    method: str
    raw_path: bytes  # as the client sent it, still percent-encoded, without the query
    query: str
    headers: dict[str, str]
    body: bytes


def outgoing(request, client_address: str) -> Outgoing:
    return Outgoing(
        method=request.method,
        raw_path=(request.scope.get("raw_path") or request.path.encode()).split(b"?", 1)[0],
        query=request.META.get("QUERY_STRING", ""),
        headers=request_headers(request, client_address),
        body=request.body,
    )


def request_headers(request, client_address: str) -> dict[str, str]:
    headers = {name: value for name, value in request.headers.items() if name.lower() not in _NOT_FORWARDED}
    if "Cookie" in headers:
        headers["Cookie"] = _without_session_cookie(headers["Cookie"])
        if not headers["Cookie"]:
            del headers["Cookie"]
    prior = request.META.get("HTTP_X_FORWARDED_FOR", "") if settings.TRUSTED_PROXY_HOPS > 0 else ""
    return with_forwarding(
        headers,
        prior=prior,
        client_address=client_address,
        scheme=request.scheme,
        host=request.get_host(),
        request_id=request.request_id,
    )


def with_forwarding(
    headers: dict[str, str], *, prior: str, client_address: str, scheme: str, host: str, request_id: str
) -> dict[str, str]:
    """The headers by which an upstream learns who called and how (the client's own `prior`
    X-Forwarded-For only when proxies in front of the gateway are trusted)."""
    headers["X-Forwarded-For"] = f"{prior}, {client_address}" if prior else client_address
    headers["X-Forwarded-Proto"] = scheme
    headers["X-Forwarded-Host"] = host
    headers[REQUEST_ID_HEADER] = request_id
    inject_context(headers)
    return headers


def _without_session_cookie(cookie_header: str) -> str:
    """The browser session's id stays at the gateway: services get the bearer token instead."""
    kept = [part for part in cookie_header.split(";") if part.strip().split("=", 1)[0] != "fd_session"]
    return ";".join(kept).strip()


# The live streams this process relays. Each holds two descriptors (the client's and the upstream's),
# so past half the process's open-file limit accept() itself would start failing, for ordinary
# requests too: the stream that would cross it gets a fast 503 instead (common/streams/admission.py).
RELAYED = admission.ProcessStreams(descriptors_each=2)


async def _relay(chunks, close, service: str, ticket: admission.Ticket | None):
    try:
        async for chunk in chunks:
            yield chunk
    except (aiohttp.ClientError, stream_relay.UpstreamBroke, TimeoutError):
        logger.warning("upstream stream broke", extra={"upstream": service})
    finally:
        close()
        if ticket is not None:
            ticket.release()


def _unavailable(service: str, *, status: int, code: str, message: str, retry_after: int):
    return error_response(status, code, message, {"service": service}, headers={"Retry-After": str(retry_after)})


async def forward(call: Outgoing, route: Route):
    service = route.service
    circuit = breaker(service, streams=route.stream)
    if not circuit.allow():
        # Refused without a call: the failures that opened the circuit were logged, and its opening.
        return not_logged_as_error(
            _unavailable(
                service,
                status=503,
                code="upstream_unavailable",
                message=f"The {service} service is unavailable.",
                retry_after=max(1, round(circuit.retry_after_s())),
            )
        )
    if not route.stream:
        return await _forward(call, route, service=service, circuit=circuit)
    # Opens waiting for their upstream are bounded too: in a reconnect storm, thousands of connects
    # at once overflow the upstream's accept queue and time out (504s) instead of being told to come
    # back (the upstream sheds what it cannot open, common/streams/views.py).
    ticket = RELAYED.take()
    if not isinstance(ticket, admission.Ticket):
        return overloaded_response("This gateway relays or opens as many live streams as it can; reconnect shortly.")
    try:
        response = await _forward(call, route, service=service, circuit=circuit, ticket=ticket)
    except BaseException:
        ticket.release()
        raise
    ticket.opened()
    if not isinstance(response, admission.AdmittedStreamingResponse):
        ticket.release()  # answered whole (a refusal): nothing is held any more
    return response


async def _send(call: Outgoing, service: str, url, *, stream: bool):
    headers = call.headers

    def attempt(connect_timeout_s: float):
        if stream:
            return stream_relay.open_stream(
                settings.UPSTREAMS[service],
                call.method,
                url.raw_path_qs,
                headers,
                call.body,
                connect_timeout_s=connect_timeout_s,
            )
        if call.method != "HEAD":  # (edge/upstream_pool.py says why not HEAD)
            return upstream_pool.pool(settings.UPSTREAMS[service]).request(
                call.method,
                url.raw_path_qs,
                headers,
                call.body,
                connect_timeout_s=connect_timeout_s,
                head_timeout_s=settings.UPSTREAM_READ_TIMEOUT_S,
            )
        return upstream_session(service).request(
            call.method,
            url,
            headers=headers,
            allow_redirects=False,
            timeout=aiohttp.ClientTimeout(
                total=None, sock_connect=connect_timeout_s, sock_read=settings.UPSTREAM_READ_TIMEOUT_S
            ),
        )

    async def attempts():
        try:
            return await attempt(settings.UPSTREAM_CONNECT_TIMEOUT_S)
        except (aiohttp.ConnectionTimeoutError, stream_relay.ConnectTimeout):
            # Nothing was sent, so once more is safe for any method, with twice the time, as TCP
            # backs off its own SYN retransmission. In a reconnect storm a worker's loop, busy for
            # long turns, sees a connect that finished at once only after its timer fired (a full
            # accept queue does the same): a second timeout as short would answer 504s, and enough
            # of them would open the streams' circuit.
            return await attempt(2 * settings.UPSTREAM_CONNECT_TIMEOUT_S)

    if not stream:
        return await attempts()
    # A stream has no read timeout: its body may stay quiet as long as it likes, but its head is
    # due like any answer's. An upstream that accepted and stalls (a frozen process: its kernel
    # still accepts) must not hold the client and an opening slot until it resumes.
    head_due_s = settings.UPSTREAM_READ_TIMEOUT_S + 3 * settings.UPSTREAM_CONNECT_TIMEOUT_S
    return await asyncio.wait_for(attempts(), head_due_s)


async def _forward(call: Outgoing, route: Route, *, service: str, circuit, ticket=None):
    # The path exactly as the client sent it (still percent-encoded): decoding and re-encoding could
    # change what the upstream sees, and a decoded control character is not a valid URL.
    url = upstream_url(service, quote(call.raw_path, safe=_PATH_SAFE), call.query)
    try:
        upstream = await _send(call, service, url, stream=route.stream)
    except TimeoutError:
        circuit.record_failure()
        logger.warning("upstream timeout", extra={"upstream": service})
        return _unavailable(
            service,
            status=504,
            code="upstream_timeout",
            message=f"The {service} service did not answer in time.",
            retry_after=5,
        )
    except (aiohttp.ClientError, stream_relay.UpstreamBroke) as exc:
        circuit.record_failure()
        logger.warning("upstream unreachable", extra={"upstream": service, "error": type(exc).__name__})
        return _unavailable(
            service,
            status=503,
            code="upstream_unavailable",
            message=f"The {service} service is unavailable.",
            retry_after=5,
        )
    return await _answer_from(upstream, route, service=service, circuit=circuit, ticket=ticket)


async def _answer_from(upstream, route: Route, *, service: str, circuit, ticket):
    """The client's answer made of the upstream's: relayed as a stream, or read whole."""
    ours = isinstance(upstream, stream_relay.UpstreamStream)  # a stream's, or a pooled connection's
    if ours:
        close = upstream.release if isinstance(upstream, upstream_pool.PooledAnswer) else upstream.close
        header, header_items = upstream.header, upstream.headers
    else:  # aiohttp's (HEAD)
        header, header_items, close = upstream.headers.get, upstream.headers.items(), upstream.release
    # A fast 503 by which the upstream protects itself (common/streams/admission.py, common/overload.py): it
    # is up and answering, so it is no failure of the circuit's.
    shed = upstream.status == 503 and header(OVERLOADED_HEADER) == "true"
    if upstream.status >= 500 and not shed:
        circuit.record_failure()
    else:
        circuit.record_success()

    # A stream route's refusal (a 4xx, or the 503 by which the upstream sheds a storm) is a small JSON
    # answer: read whole, it costs an ordinary response instead of a relay, a task watching for a
    # hang-up and a stream's close, thousands of times a second in a reconnect storm.
    content_type = header("content-type")
    event_stream = (content_type or "").startswith("text/event-stream")
    streaming = event_stream or (route.stream and upstream.status < 300)
    if streaming:
        chunks = upstream if ours else upstream.content.iter_any()
        response = _relayed(_relay(chunks, close, service, ticket), ticket, status=upstream.status)
    else:
        # Ordinary JSON answers are small: reading them whole is cheaper than relaying chunks.
        try:
            content = await _read_whole(upstream, bounded=ours, close=close)
        except (aiohttp.ClientError, stream_relay.UpstreamBroke, TimeoutError):
            circuit.record_failure()
            return _unavailable(
                service,
                status=503,
                code="upstream_unavailable",
                message=f"The {service} service broke off its answer.",
                retry_after=5,
            )
        response = HttpResponse(content, status=upstream.status)
        if shed:
            not_logged_as_error(response)  # counted where it was shed
    _copy_headers(header_items, response)
    if content_type is None:
        del response["Content-Type"]  # Django's default for a response it makes, not the upstream's
    if route.stream:
        upstream.forget_head()  # the stream may stay open for hours; its upstream's head is copied
    if streaming:
        response["X-Accel-Buffering"] = "no"
        response["Cache-Control"] = "no-cache"
    return response


def _relayed(content, ticket: admission.Ticket | None, *, status: int) -> StreamingHttpResponse:
    if ticket is None:
        return StreamingHttpResponse(content, status=status)
    # Its admission is given back by the relay's end or by Django's close(), whichever comes first.
    return admission.AdmittedStreamingResponse(content, ticket=ticket, status=status)


async def _read_whole(upstream, *, bounded: bool, close) -> bytes:
    try:
        if bounded:  # edge.stream_relay's and edge.upstream_pool's answers have no read timeout of their own
            async with asyncio.timeout(settings.UPSTREAM_READ_TIMEOUT_S):  # (wait_for makes a task)
                return await upstream.read()
        return await upstream.read()
    finally:
        close()


def _copy_headers(header_items, response) -> None:
    for name, value in header_items:
        lowered = name.lower()
        if lowered not in HOP_BY_HOP and lowered not in _NOT_RELAYED:
            response[name] = value
