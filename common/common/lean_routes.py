"""One hot route answered on the event loop before Django's handler; Django keeps everything else.

A courier's position report is the platform's most frequent request (a city's fleet reports every
few seconds) and its work is one Redis round trip. Profiled under load (py-spy, bench/RESULTS.md,
#23), more than half of the delivery service's CPU per report was Django around that work: the ASGI
handler's request and response objects, the pooled thread's context, the middleware chain, URL
resolution. `LeanRoute` is an ASGI wrapper that offers one route's requests to an answer function
first, with the raw headers and body, and sends its `Reply` itself. Placement (orders/fast.py) is
the other such route.

What such an answer keeps of every request's behaviour here: the process's in-flight limit (a
process at it hands the request to Django, whose middleware sheds it with the 503 `overloaded`), the
request id (echoed when tame, else made, and in the logs while the answer works), the security
headers (Django's, HSTS included where it is on and the request came over HTTPS), and the request
metrics under the route's name. A request it does not take whole (another method, a body over
`max_body` or in pieces, a repeated header, anything the answer declines by returning None, an
exception it raises) reaches Django with its body untouched, and is answered there exactly as
before: errors, HTML forms and fallbacks included. An answer whose work must not be done twice
(placement) answers its own failures once that work began.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.settings import api_settings

from common import metrics, overload
from common.jwt import TokenError, access_claims, bearer_token
from common.parsers import loads_strictly
from common.request_id import current_request_id, request_id_from
from common.security import SecurityHeadersMiddleware

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reply:
    """A lean route's answer: its status, its own headers (lower-case names; the security headers
    and the request id are added) and its whole body."""

    status: int
    headers: tuple[tuple[bytes, bytes], ...] = ()
    body: bytes = b""


NO_CONTENT = Reply(204)

# The route's own work: the request's scope, its headers (lower-case names, as ASGI gives them) and
# its whole body; its reply, or None to leave the request to Django.
Answer = Callable[[dict, Mapping[bytes, bytes], bytes], Awaitable[Reply | None]]


@functools.cache
def _blocking_calls() -> ThreadPoolExecutor:
    """The threads of lean routes' blocking calls (placement's pymongo and redis-py): a thread per
    call in progress, as Django's handler gives each request a thread, made only when none is idle,
    and as many as the requests a process admits at once, so a slow dependency (Redis paused) holds
    no more requests back than on Django's path."""
    return ThreadPoolExecutor(max_workers=settings.MAX_INFLIGHT_REQUESTS, thread_name_prefix="lean-route")


async def blocking(function, /, **kwargs):
    """`function(**kwargs)` on a thread, in the calling request's context (its request id is in the
    logs the call writes)."""
    call = functools.partial(contextvars.copy_context().run, function, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(_blocking_calls(), call)


@functools.lru_cache(maxsize=256)
def answers_in_json(accept: bytes | None) -> bool:
    """Whether a DRF view answers a request with this `Accept` (None: none sent) as a lean route
    does: with `Content-Type: application/json` exactly. Asked of DRF's own content negotiation with
    the services' renderers, once per distinct header (a client library sends one): `*/*`, JSON
    first (`application/json, text/plain, */*`) or a lower `q` elsewhere are JSON; the browsable
    API's page (`text/html`, `text/*`), a 406, or a media type DRF echoes with its parameters
    (`*/*;q=0.8`, `application/json; indent=4`) are the view's to answer."""
    request = HttpRequest()
    if accept is not None:
        request.META["HTTP_ACCEPT"] = accept.decode("latin-1")
    renderers = [renderer() for renderer in api_settings.DEFAULT_RENDERER_CLASSES]
    try:
        renderer, media_type = DefaultContentNegotiation().select_renderer(Request(request), renderers)
    except NotAcceptable:
        return False
    return isinstance(renderer, JSONRenderer) and media_type == "application/json"


def json_request(scope, headers: Mapping[bytes, bytes], body: bytes, *, user_type: str) -> tuple[dict, object] | None:
    """(the token's claims, the body's JSON value) of a JSON request with a valid bearer token of
    this kind of user that a DRF view would answer in JSON, else None: the request as a lean route takes it;
    the view answers the rest (a form, a missing or bad token, another kind of user, a body that is
    not JSON, a browser asking for the page)."""
    if headers.get(b"content-type", b"").partition(b";")[0].strip().lower() != b"application/json":
        return None
    if scope.get("query_string") or not answers_in_json(headers.get(b"accept")):
        return None  # `?format=` and the browsable API's page are the view's
    token = bearer_token(headers.get(b"authorization", b"").decode("latin-1"))
    if token is None:
        return None
    try:
        claims = access_claims(token)
        value = loads_strictly(body)
    except (TokenError, ValueError):
        return None
    return (claims, value) if claims["user_type"] == user_type else None


class _Probe(HttpRequest):
    """A request that is only as secure as the one being answered (HSTS is for HTTPS only)."""

    def __init__(self, secure: bool):
        super().__init__()
        self.secure = secure

    @property
    def scheme(self) -> str:
        return "https" if self.secure else "http"


@functools.cache
def _security_headers_for(secure: bool, _hsts: tuple) -> tuple[tuple[bytes, bytes], ...]:
    """What the services' security middleware puts on an empty answer, worked out once (per HSTS
    setting, which tests change)."""
    response = SecurityHeadersMiddleware(None).after(_Probe(secure), HttpResponse(status=204))
    del response["Content-Type"]
    return tuple((name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in response.items())


def scheme_of(scope, headers: Mapping[bytes, bytes]) -> str:
    """The request's scheme as Django's `HttpRequest.scheme` decides it (SECURE_PROXY_SSL_HEADER)."""
    if settings.SECURE_PROXY_SSL_HEADER:
        name, secure_value = settings.SECURE_PROXY_SSL_HEADER
        forwarded = headers.get(name.removeprefix("HTTP_").lower().replace("_", "-").encode())
        if forwarded is not None:
            return "https" if forwarded.decode("latin-1").split(",", 1)[0].strip() == secure_value else "http"
    return scope.get("scheme") or "http"


def security_headers(scope, headers: Mapping[bytes, bytes]) -> tuple[tuple[bytes, bytes], ...]:
    """The security headers Django's middleware would set on an answer to this request that has
    none of them (each is set only where an answer lacks it)."""
    hsts = (settings.SECURE_HSTS_SECONDS, settings.SECURE_HSTS_INCLUDE_SUBDOMAINS, settings.SECURE_HSTS_PRELOAD)
    return _security_headers_for(scheme_of(scope, headers) == "https", hsts)


class LeanRoute:
    def __init__(self, app, *, method: str, path: str, route: str, answer: Answer, max_body: int = 1024):
        self.app, self.method, self.path, self.route = app, method, path, route
        self.answer, self.max_body = answer, max_body

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"] != self.path or scope["method"] != self.method:
            await self.app(scope, receive, send)
            return
        started = time.monotonic()
        first = await receive()
        body = first.get("body", b"")
        headers = dict(scope["headers"])
        takeable = (
            first["type"] == "http.request"
            and not first.get("more_body")
            and len(body) <= self.max_body
            # A repeated field is Django's to read (it joins them); a dict would keep only the last.
            and len(headers) == len(scope["headers"])
        )
        if takeable and overload.admit():
            request_id = request_id_from(headers.get(b"x-request-id", b"").decode("latin-1"))
            logged_as = current_request_id.set(request_id)
            try:
                reply = await self.answer(scope, headers, body)
            except Exception:
                # A bug of the route's own: Django answers the request (with the contract's errors
                # if it breaks there too), rather than the server with a bare 500.
                logger.exception("%s %s: the lean route's answer failed; Django answers", self.method, self.path)
                reply = None
            finally:
                current_request_id.reset(logged_as)
                overload.release()
            if reply is not None:
                head = [*reply.headers, *security_headers(scope, headers), (b"x-request-id", request_id.encode())]
                await send({"type": "http.response.start", "status": reply.status, "headers": head})
                await send({"type": "http.response.body", "body": reply.body})
                metrics.observe(self.route, self.method, reply.status, started)
                return
        await self.app(scope, replaying(first, receive), send)


def in_front_of(application, lean_route):
    """`lean_route(application)`, a service's ASGI application with its lean route in front, unless
    tracing is on: the tracing middleware's span per request is then worth Django's cost."""
    return application if settings.OTEL_ENABLED else lean_route(application)


def replaying(first: dict, receive):
    """`receive` as Django's handler must see it: the message already read, then the rest."""
    pending = [first]

    async def replay():
        return pending.pop() if pending else await receive()

    return replay
