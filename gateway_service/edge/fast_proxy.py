"""The gateway's fast path: a call to a service relayed by the proxy view, before Django's handler.

Django's handler around the proxy view costs more of the gateway's CPU per relayed call than the relaying.
`FastProxy` is the common fast path's envelope (common/fast_paths/) around the proxy view itself,
`edge.views.proxy`, for the routes of the table (edge/routes.py): the view relays the call as it
always does (the token check at the edge, the rate limit, the circuits, timeouts and header rules of
`edge.proxy.forward`), and what the gateway's own middleware do for such a call is done here:
django-cors-headers' `Vary: Origin` (by its own hook), the access log line and metric. An exception
of the view is answered as Django's handler answers it (a Host it refuses is its 400).

Left to Django: live streams (they live for minutes and have their own relay), the static files,
every path of the gateway's own (its pages, sign-in, docs, probes: the URLs send only the rest to the
proxy view), a browser's call on its session cookie (`edge.browser_sessions` makes it a token with
Redis) and a cross-origin call (CORS answers it). `FAST_PROXY=false` leaves every call to Django.
"""

from __future__ import annotations

from corsheaders.middleware import CorsMiddleware
from django.conf import settings
from django.core.handlers.exception import response_for_exception

from common.fast_paths import Declined, FastPath
from edge import access_log, browser_sessions, routes, views


class FastProxy(FastPath):
    stands_in_for = {
        **FastPath.stands_in_for,
        "corsheaders.middleware.CorsMiddleware": "`Vary: Origin` by its own hook (a call with an Origin: Django's)",
        "edge.browser_sessions.BrowserSessionMiddleware": "nothing without a session (a call with one: Django's)",
        "edge.access_log.AccessLogMiddleware": "the line and metric, by `observe` (`access_log.record`)",
    }

    def __init__(self, app):
        super().__init__(app)
        self.cors = CorsMiddleware(views.proxy)

    def target(self, scope) -> routes.Route | None:
        route = routes.resolve(scope["method"], scope["path"]).route
        if route is None or route.stream or route.pattern.startswith("/static/"):
            return None  # Django's: refusals, live streams, the assets (and the gateway's own pages)
        return route

    async def respond(self, route, request):
        if browser_sessions.session_id_of(request) is not None or "HTTP_ORIGIN" in request.META:
            raise Declined
        try:
            return await views.proxy(request)
        except Exception as exc:
            return response_for_exception(request, exc)

    def stamp(self, request, response) -> None:
        self.cors.add_response_headers(request, response)

    def observe(self, route, request, response, started: float) -> None:
        access_log.record(request, response, started)


def in_front_of(application):
    """The gateway's ASGI application with its fast path in front, unless FAST_PROXY is off."""
    return FastProxy.in_front_of(application) if settings.FAST_PROXY else application
