"""The envelope of every fast path (common/fast_paths): what Django's handler and middleware do for
each request, done once for the services' routes and the gateway's relay alike."""

from __future__ import annotations

import functools
import io
import logging
import time

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.handlers.asgi import ASGIRequest, get_script_prefix
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

from common import overload
from common.asgi import LeanASGIHandler, log_failure, start_message
from common.request_id import current_request_id, request_id_from
from common.security import SecurityHeadersMiddleware

logger = logging.getLogger(__name__)


class _Probe(HttpRequest):
    """A request only as secure as the one answered (HSTS is for HTTPS only)."""

    def __init__(self, secure: bool):
        super().__init__()
        self.secure = secure

    @property
    def scheme(self) -> str:
        return "https" if self.secure else "http"


@functools.cache
def _security_headers(secure: bool) -> tuple[tuple[str, bytes, bytes], ...]:
    """What the services' security middleware puts on an answer that has none of its headers,
    worked out once per scheme: (name, name and value encoded)."""
    response = SecurityHeadersMiddleware(None).after(_Probe(secure), HttpResponse(status=204))
    headers = start_message(response)["headers"]
    return tuple((name.decode("ascii"), name, value) for name, value in headers if name != b"Content-Type")


@receiver(setting_changed)
def _forget_security_headers(**_) -> None:
    _security_headers.cache_clear()  # tests change HSTS, the CSP...


def security_headers(request: HttpRequest, response) -> list[tuple[bytes, bytes]]:
    """The security headers Django's middleware would add to this answer (each where it has none)."""
    return [(name, value) for field, name, value in _security_headers(request.is_secure()) if field not in response]


class Declined(Exception):
    """Raised by an answer that leaves the request to Django (before any of its work is done)."""


class FastPath:
    """The envelope (see the module's doc): subclasses say which requests they take (`target`),
    answer them (`respond`), and note them (`observe`)."""

    # The middleware the envelope stands in for: what each does, and what the envelope does instead.
    stands_in_for = {
        "common.request_id.RequestIdMiddleware": "the request id: the same, made by `request_id_from`",
        "common.overload.InflightLimitMiddleware": "a place taken (at the limit, Django's middleware sheds)",
        "common.security.SecurityHeadersMiddleware": "its headers, from the middleware itself once per scheme",
        "common.metrics.RequestMetricsMiddleware": "the metric, by `observe` (the route's URL pattern)",
        "common.body_limit.BodySizeLimitMiddleware": "a body over the limit: Django's (its 413)",
        "common.csrf.CsrfCookieMiddleware": "nothing: it serves the browsable pages' forms, Django's",
    }

    def __init__(self, app: LeanASGIHandler):
        if unknown := set(settings.MIDDLEWARE) - self.stands_in_for.keys():
            raise ImproperlyConfigured(f"{type(self).__name__} does not stand in for {', '.join(sorted(unknown))}.")
        self.app = app

    @classmethod
    def in_front_of(cls, app, *args, **kwargs):
        """`cls(app, ...)`, or `app` when MIDDLEWARE holds one the envelope does not stand in for."""
        if set(settings.MIDDLEWARE) - cls.stands_in_for.keys():
            return app
        return cls(app, *args, **kwargs)

    def target(self, scope) -> object | None:
        """What this request is to the fast path (its route), or None: Django's."""
        raise NotImplementedError

    async def respond(self, target, request: ASGIRequest) -> HttpResponse:
        """The answer; raises Declined, before doing anything, to leave the request to Django."""
        raise NotImplementedError

    def observe(self, target, request: ASGIRequest, response: HttpResponse, started: float) -> None:
        """The request's metric or log line."""

    def stamp(self, request: ASGIRequest, response: HttpResponse) -> None:
        """What the middleware set on every answer but the security headers and the request id."""

    async def __call__(self, scope, receive, send):
        target = self.target(scope) if scope["type"] == "http" and not get_script_prefix(scope) else None
        if target is None:
            await self.app(scope, receive, send)
            return
        started = time.monotonic()
        first = await receive()
        request = _whole(scope, first)
        response = None
        if request is not None and overload.admit():
            request.request_id = request_id_from(request.META.get("HTTP_X_REQUEST_ID", ""))
            logged_as = current_request_id.set(request.request_id)
            try:
                response = await self._answered(target, request, started)
            finally:
                current_request_id.reset(logged_as)
                overload.release()
        if response is None:
            await self.app(scope, replaying(first, receive), send)
            return
        request.close()
        headers = [*security_headers(request, response), (b"X-Request-ID", request.request_id.encode())]
        await self.app.answer(response, send, receive, headers=headers, finished_signal=False)

    async def _answered(self, target, request: ASGIRequest, started: float) -> HttpResponse | None:
        """The answer, stamped, logged and counted as the middleware would, with the request's id in
        the logs; None to leave the request to Django."""
        try:
            response = await self.respond(target, request)
        except Declined:
            return None
        except Exception:
            logger.exception("%s %s: the fast path failed; Django answers", request.method, request.path)
            return None
        self.stamp(request, response)
        log_failure(request, response)
        self.observe(target, request, response, started)
        return response


def _whole(scope, first: dict) -> ASGIRequest | None:
    """The request as Django's handler makes it, when the envelope can take it: its body whole in
    `first` and within the limit Django's middleware sets, no header repeated (Django joins them)."""
    headers = scope["headers"]
    if first["type"] != "http.request" or first.get("more_body") or len({name for name, _ in headers}) != len(headers):
        return None
    body = first.get("body", b"")
    declared = dict(headers).get(b"content-length", b"0")
    limit = settings.MAX_REQUEST_BODY_BYTES
    if len(body) > limit or not declared.isdigit() or int(declared) > limit:
        return None  # Django's 400 or 413
    try:
        return ASGIRequest(scope, io.BytesIO(body))
    except UnicodeDecodeError:  # Django's 400
        return None


def replaying(first: dict, receive):
    """`receive` as Django's handler must see it: the message already read, then the rest."""
    pending = [first]

    async def replay():
        return pending.pop() if pending else await receive()

    return replay
