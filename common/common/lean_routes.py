"""One hot route answered on the event loop before Django's handler; Django keeps everything else.

A courier's position report is the platform's most frequent request (a city's fleet reports every
few seconds) and its work is one Redis round trip. Profiled under load (py-spy, bench/RESULTS.md,
#23), more than half of the delivery service's CPU per report was Django around that work: the ASGI
handler's request and response objects, the pooled thread's context, the middleware chain, URL
resolution. `LeanRoute` is an ASGI wrapper that offers one route's requests to an answer function
first, with the raw headers and body, and sends its success itself.

What such an answer keeps of every request's behaviour here: the process's in-flight limit (a
process at it hands the request to Django, whose middleware sheds it with the 503 `overloaded`), the
request id (echoed when tame, else made), the security headers (Django's on an empty answer, HSTS
included where it is on and the request came over HTTPS), and the request metrics under the route's
name. It only ever answers its success: a request it does not take whole (another method, a body
over `max_body` or in pieces, a repeated header, a form, anything the answer declines, a failure it
reports by declining, an exception it raises) reaches Django with its body untouched, and is
answered there exactly as before: errors, HTML forms and fallbacks included.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Awaitable, Callable, Mapping

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from common import metrics, overload
from common.request_id import request_id_from
from common.security import SecurityHeadersMiddleware

logger = logging.getLogger(__name__)

# The route's own work: the request's headers (lower-case names, as ASGI gives them) and its whole
# body; True when it has done what the request asked, False to leave the request to Django.
Answer = Callable[[Mapping[bytes, bytes], bytes], Awaitable[bool]]


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
    def __init__(
        self, app, *, method: str, path: str, route: str, answer: Answer, status: int = 204, max_body: int = 1024
    ):
        self.app, self.method, self.path, self.route = app, method, path, route
        self.answer, self.status, self.max_body = answer, status, max_body

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
            try:
                answered = await self.answer(headers, body)
            except Exception:
                # A bug of the route's own: Django answers the request (with the contract's errors
                # if it breaks there too), rather than the server with a bare 500.
                logger.exception("%s %s: the lean route's answer failed; Django answers", self.method, self.path)
                answered = False
            finally:
                overload.release()
            if answered:
                await self._send_answer(send, scope, headers)
                metrics.observe(self.route, self.method, self.status, started)
                return
        await self.app(scope, replaying(first, receive), send)

    async def _send_answer(self, send, scope, headers: Mapping[bytes, bytes]) -> None:
        request_id = request_id_from(headers.get(b"x-request-id", b"").decode("latin-1"))
        head = [*security_headers(scope, headers), (b"x-request-id", request_id.encode())]
        await send({"type": "http.response.start", "status": self.status, "headers": head})
        await send({"type": "http.response.body", "body": b""})


def replaying(first: dict, receive):
    """`receive` as Django's handler must see it: the message already read, then the rest."""
    pending = [first]

    async def replay():
        return pending.pop() if pending else await receive()

    return replay
