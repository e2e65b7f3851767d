"""The gateway's fast path: a call to a service relayed by the proxy view, without Django's handler.

Most of the gateway's CPU per relayed call was Django's handler around the proxy view (bench/RESULTS.md).
`FastProxy` is the common fast path (common/fast_paths.py) for the routes of the table
(edge/routes.py) that the URLs send to `edge.views.proxy`: the view relays the call as it always
does (the token check at the edge, the rate limit, the circuits, timeouts and header rules of
`edge.proxy.forward`), and the middleware run inline as they would in Django's chain: the request id,
the in-flight limit, the security headers, CORS (django-cors-headers' own two hooks), the body limit
and the access log. Left to Django: live streams (they live for minutes and have their own relay),
the static files, every path the gateway answers itself (its pages, sign-in, docs, probes), and a
browser's call on its session cookie (`edge.browser_sessions` turns it into a token with Redis and
may refresh it). `FAST_PROXY=false` leaves every call to Django.
"""

from __future__ import annotations

from corsheaders.middleware import CorsMiddleware
from django.conf import settings

from common.fast_paths import FastPaths
from edge import browser_sessions, routes, views


class _CorsHooks:
    """django-cors-headers' middleware, by its own hooks: the preflight's answer, then the headers
    on the way out (`Vary: Origin`, and the Access-Control fields for an allowed origin)."""

    def __init__(self):
        self.middleware = CorsMiddleware(lambda request: None)

    def before(self, request):
        return self.middleware.check_preflight(request)

    def after(self, request, response):
        return self.middleware.add_response_headers(request, response)

    def cleanup(self, request) -> None:
        pass


class _BrowserSessionHooks:
    """The browser session middleware has nothing to do for a call without the session (it is
    async, with Redis and the auth service behind it): a call with one is Django's."""

    def passes(self, request) -> bool:
        return browser_sessions.session_id_of(request) is None

    def before(self, request):
        return None

    def after(self, request, response):
        return response

    def cleanup(self, request) -> None:
        pass


class FastProxy(FastPaths):
    stand_ins = {
        "corsheaders.middleware.CorsMiddleware": _CorsHooks,
        "edge.browser_sessions.BrowserSessionMiddleware": _BrowserSessionHooks,
    }

    def wants(self, scope, match) -> bool:
        if match.func is not views.proxy:
            return False
        route = routes.resolve(scope["method"], scope["path"]).route
        return route is not None and not route.stream and not route.pattern.startswith("/static/")


def in_front_of(application):
    """The gateway's ASGI application with its fast path in front, unless FAST_PROXY is off."""
    return FastProxy.in_front_of(application) if settings.FAST_PROXY else application
