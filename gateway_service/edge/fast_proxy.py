"""The proxy's fast path: an API client's call relayed before Django's handler.

Profiled under the cached menu read (py-spy `--gil`, bench/RESULTS.md, #23), more than half of the
gateway's CPU per request was Django around the relay: the request object, seven middlewares, URL
resolution, the request signals and the response's close, although for an API client's call
(a bearer token or none, no cookie, no Origin, JSON) none of the middlewares has anything to do but
stamp a few headers. `FastProxy` relays such a call on the event loop, with what the gateway does
for every request kept:

- the in-flight limit (a process at it hands the request to Django, whose middleware sheds it);
- the request id (the caller's if tame, else a new one), in the logs and on both sides;
- the edge token check and the rate limit, as the proxy view does them;
- the relay itself, `edge.proxy.forward`: circuits, timeouts, connect retry, shedding, header rules;
- the response's headers as the middlewares set them: the security headers where the answer lacks
  them, `Vary: Origin` (django-cors-headers adds it to every answer), `X-Request-ID`;
- the access log line and metric, and Django's log line for a 4xx or 5xx.

Taken: a route of the table (edge/routes.py) that is neither a live stream nor a static file, from a
client without a cookie (no browser session, no CSRF), without an Origin (no CORS answer), not
asking for HTML (no browsable page), with unrepeated headers without underscores, a Host the
settings allow, its whole body in one message within the body limit, and, where the route needs
one, a valid token. Everything else (and a process at its in-flight limit) is Django's, answered
exactly as before: every error, page and refusal of the edge is made there. Tracing's per-request
span is Django middleware too, so with tracing on the gateway runs without this path.
"""

from __future__ import annotations

import logging
import re
import time

from corsheaders.conf import conf as cors_conf
from django.conf import settings
from django.http.request import split_domain_port, validate_host
from django.utils.cache import patch_vary_headers
from django.utils.log import log_response

from common import overload
from common.asgi import start_message
from common.errors import handler500
from common.jwt import TokenError, access_claims, bearer_token
from common.lean_routes import replaying, scheme_of, security_headers
from common.net import client_ip_from
from common.request_id import HEADER as REQUEST_ID_HEADER
from common.request_id import current_request_id, request_id_from
from edge import access_log, proxy, ratelimit, routes

logger = logging.getLogger(__name__)


def _route_of(scope) -> routes.Route | None:
    route = routes.resolve(scope["method"], scope["path"]).route
    if route is None or route.stream or route.pattern.startswith("/static/"):
        return None  # Django's: refusals, live streams, the assets (and the gateway's own pages)
    return route


def _plain(scope, headers: dict[bytes, bytes]) -> bool:
    """A call none of the middlewares would do anything for but stamp headers."""
    return (
        len(headers) == len(scope["headers"])  # a repeated field is Django's to join
        and b"cookie" not in headers
        and b"origin" not in headers
        and b"text/html" not in headers.get(b"accept", b"")
        # Django reads "x_a" and "x-a" as one header (HTTP_X_A); kept out rather than told apart.
        and not any(b"_" in name for name in headers)
    )


def _body_of(first: dict, headers: dict[bytes, bytes]) -> bytes | None:
    """The request's whole body, when it came in one message within the limit, else None."""
    if first["type"] != "http.request" or first.get("more_body"):
        return None
    body = first.get("body", b"")
    declared = headers.get(b"content-length")
    limit = settings.MAX_REQUEST_BODY_BYTES
    if declared is not None and not (declared.isdigit() and int(declared) <= limit):
        return None  # Django's 400 or 413
    return body if len(body) <= limit else None


def _host_of(headers: dict[bytes, bytes]) -> str | None:
    """The host as Django's `get_host()` reads it, when its rules accept it, else None (Django then
    answers DisallowedHost, or makes one from the server's name)."""
    if settings.DEBUG:
        return None  # Django's default list of hosts for DEBUG is Django's to apply
    raw = headers.get(b"x-forwarded-host") if settings.USE_X_FORWARDED_HOST else None
    host = (raw if raw is not None else headers.get(b"host", b"")).decode("latin-1")
    domain, _port = split_domain_port(host)
    return host if domain and validate_host(domain, settings.ALLOWED_HOSTS) else None


def _claims_of(route: routes.Route, headers: dict[bytes, bytes]) -> tuple[bool, dict | None]:
    """(taken, the token's claims): a route that needs a token is taken only with a valid one (a
    missing or bad one gets the edge's 401 from Django)."""
    if route.auth != routes.TOKEN:
        return True, None
    token = bearer_token(_header(headers, b"authorization"))
    try:
        return (True, access_claims(token)) if token else (False, None)
    except TokenError:
        return False, None


class FastProxy:
    def __init__(self, django_app):
        self.django = django_app

    async def __call__(self, scope, receive, send):
        route = _route_of(scope) if scope["type"] == "http" else None
        if route is None:
            await self.django(scope, receive, send)
            return
        started = time.monotonic()
        first = await receive()
        headers = dict(scope["headers"])
        body = _body_of(first, headers) if _plain(scope, headers) else None
        host = _host_of(headers) if body is not None else None
        # Admitted before the token is checked: a process at its limit sheds (in Django) before any work.
        admitted = host is not None and overload.admit()
        taken, claims = _claims_of(route, headers) if admitted else (False, None)
        if not taken:
            if admitted:
                overload.release()
            await self.django(scope, replaying(first, receive), send)
            return
        request_id = request_id_from(headers.get(b"x-request-id", b"").decode("latin-1"))
        context = current_request_id.set(request_id)
        try:
            client = client_ip_from(
                scope["client"][0] if scope.get("client") else "", _header(headers, b"x-forwarded-for")
            )
            try:
                response = await self._relay(
                    scope,
                    headers,
                    body=body,
                    route=route,
                    claims=claims,
                    host=host,
                    client=client,
                    request_id=request_id,
                )
            except Exception:
                logger.exception("%s %s: the fast path failed", scope["method"], scope["path"])
                response = handler500(None)
            finally:
                overload.release()
            access_log.record(
                method=scope["method"],
                route=route.pattern,
                upstream=route.service,
                status=response.status_code,
                started=started,
                client=client,
                streaming=response.streaming,
            )
            if response.status_code >= 400:
                log_response("%s: %s", response.reason_phrase, scope["path"], response=response)
            self._stamp(response, scope, headers, request_id)
        finally:
            current_request_id.reset(context)
        if response.streaming:  # an upstream that answered an ordinary route with an event stream
            await self.django._stream(response, send, receive)
            return
        # Django's start message, then the whole body in one message (Django cuts it in 64 KiB pieces).
        await send(start_message(response))
        await send({"type": "http.response.body", "body": response.content})

    async def _relay(self, scope, headers, *, body, route, claims, host, client, request_id):
        refusal, limit_headers = await ratelimit.enforce(scope["path"], claims, client)
        if refusal is not None:
            return refusal
        forwarding = {
            field: value.decode("latin-1")
            for name, value in scope["headers"]
            if proxy.forwarded(field := name.decode("latin-1"))
        }
        prior = _header(headers, b"x-forwarded-for") if settings.TRUSTED_PROXY_HOPS > 0 else ""
        call = proxy.Outgoing(
            method=scope["method"],
            raw_path=(scope.get("raw_path") or scope["path"].encode()).split(b"?", 1)[0],
            query=scope.get("query_string", b"").decode("latin-1"),
            headers=proxy.with_forwarding(
                forwarding,
                prior=prior,
                client_address=client,
                scheme=scheme_of(scope, headers),
                host=host,
                request_id=request_id,
            ),
            body=body,
        )
        response = await proxy.forward(call, route)
        for name, value in limit_headers.items():
            response[name] = value
        return response

    @staticmethod
    def _stamp(response, scope, headers, request_id: str) -> None:
        """What the middlewares put on every answer, innermost first (django-cors-headers, the
        security headers, the request id)."""
        if re.match(cors_conf.CORS_URLS_REGEX, scope["path"]):
            patch_vary_headers(response, ("origin",))
        for name, value in security_headers(scope, headers):
            if (field := name.decode("latin-1")) not in response:
                response[field] = value.decode("latin-1")
        response[REQUEST_ID_HEADER] = request_id


def _header(headers: dict[bytes, bytes], name: bytes) -> str:
    return headers.get(name, b"").decode("latin-1")
