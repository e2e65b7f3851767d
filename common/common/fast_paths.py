"""Fast paths: a hot route's requests answered by the route's own view, without Django's handler.

Most of what a service spent on its hottest requests was Django's ASGI handler around the view, not
the view (bench/RESULTS.md): the request's thread context, a hop to a thread and back for a sync
view and another for its render, the adapters of the middleware chain. A fast path is an ASGI
application in front of the handler that serves the routes it is given itself, running for each
request what the handler would run, with the same code and in the same order:

- the request: Django's `ASGIRequest`, made from the scope and the body;
- the middleware of `settings.MIDDLEWARE`, each through its own `before`/`after`/`cleanup` hooks
  (`common.middleware.HybridMiddleware`), or through the hooks a fast path names for one that is
  not (the gateway's `stand_ins`); an exception in a layer is answered there as Django answers it
  (`response_for_exception`), and the layers outside it see that answer;
- the view Django's resolver finds for the path (`request.resolver_match` is Django's, and so the
  route in the metrics), a sync view with its render on one thread of a pool, an async one on the
  event loop; the answer sent with Django's start message, logged and closed as the handler does.

So a fast path restates nothing of a route: the view's serializer validates, its service function
is called, its renderer and `finalize_response` make the body and the headers (`Vary`, `Allow`),
its exception handler answers its errors, and the in-flight limit, the request id, the security
headers and the metrics are their middleware's. Tightening a serializer tightens both paths.

What a fast path declines goes to Django's handler with the request as it came (the message it read
is replayed): a route it was not given, a body that did not arrive whole in one message, a request
Django refuses before any middleware (a path it cannot decode, a script prefix), and one that a
stand-in says only its middleware can serve (the gateway's browser sessions). An application whose
`MIDDLEWARE` holds anything it cannot run this way gets no fast path at all (`in_front_of`).

What it leaves out of Django's handler: the `request_started` signal (its only receivers, Django's
SQL connection housekeeping, are disconnected: common/apps.py) and the per-request thread (a sync
view and its render share one thread of the pool, as Django's handler runs a request's sync code on
one). docs/fast-paths.md tells how to add one and how the equivalence is tested.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import io
import logging
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import iscoroutinefunction
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, RequestDataTooBig
from django.core.handlers.asgi import ASGIRequest, get_script_prefix
from django.core.handlers.exception import response_for_exception
from django.urls import Resolver404, ResolverMatch, get_resolver
from django.utils.module_loading import import_string

from common.asgi import LeanASGIHandler, log_failure
from common.middleware import HybridMiddleware

logger = logging.getLogger(__name__)


@functools.cache
def _threads() -> ThreadPoolExecutor:
    """The threads of fast paths' sync views: one per request in progress, as Django's handler gives
    each request one, made only when none is idle, and as many as the requests a process admits at
    once, so a slow dependency (Redis paused) holds no more requests back than on Django's path."""
    return ThreadPoolExecutor(max_workers=settings.MAX_INFLIGHT_REQUESTS, thread_name_prefix="fast-path")


async def blocking(function, /, *args, **kwargs):
    """`function(*args, **kwargs)` on a thread of the pool, in the calling request's context (its
    request id is in the logs the call writes, its span is the call's parent)."""
    call = functools.partial(contextvars.copy_context().run, function, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(_threads(), call)


def _view_rendered(match: ResolverMatch, request):
    """A sync view's response, rendered (a DRF `Response` is a template response): on one thread."""
    response = match.func(request, *match.args, **match.kwargs)
    if response is None:
        raise ValueError(f"The view {match.view_name} returned None instead of a response.")
    if callable(getattr(response, "render", None)):
        response = response.render()
    return response


def _never_called(request):
    raise AssertionError("a middleware's hooks are called one by one on a fast path")


class FastPaths:
    """An ASGI application in front of a `LeanASGIHandler`, answering the requests `wants` takes."""

    # A middleware (its dotted path in MIDDLEWARE) that is not a HybridMiddleware -> a class whose
    # instances have its hooks (`before`, `after`, `cleanup`, and `passes(request)`: False when only
    # the middleware itself can serve the request).
    stand_ins: dict[str, type] = {}

    def __init__(self, app: LeanASGIHandler):
        if not isinstance(app, LeanASGIHandler):
            raise ImproperlyConfigured("A fast path answers in front of common.asgi.LeanASGIHandler.")
        layers = self.inline_middleware()
        if layers is None:
            raise ImproperlyConfigured(f"{type(self).__name__}: MIDDLEWARE holds one it cannot run inline.")
        self.app, self.layers = app, layers
        self.gates = [layer.passes for layer in layers if hasattr(layer, "passes")]

    @classmethod
    def inline_middleware(cls) -> list | None:
        """`settings.MIDDLEWARE`'s hooks, outermost first; None when one has none to run."""
        layers = []
        for path in settings.MIDDLEWARE:
            middleware = import_string(path)
            if isinstance(middleware, type) and issubclass(middleware, HybridMiddleware):
                layers.append(middleware(_never_called))
            elif path in cls.stand_ins:
                layers.append(cls.stand_ins[path]())
            else:
                return None
        return layers

    @classmethod
    def in_front_of(cls, app, *args, **kwargs):
        """`cls(app, ...)`, or `app` itself when the middleware cannot all run inline (logged once)."""
        if cls.inline_middleware() is None:
            logger.info("%s: a middleware has no inline hooks; Django's handler answers every request", cls.__name__)
            return app
        return cls(app, *args, **kwargs)

    def wants(self, scope, match: ResolverMatch) -> bool:
        """Whether this request's view is one this fast path answers."""
        raise NotImplementedError

    def _match(self, scope) -> ResolverMatch | None:
        if scope["type"] != "http" or get_script_prefix(scope):
            return None
        try:
            match = get_resolver().resolve(scope["path"])
        except Resolver404:
            return None
        return match if self.wants(scope, match) else None

    async def __call__(self, scope, receive, send):
        match = self._match(scope)
        if match is None:
            await self.app(scope, receive, send)
            return
        first = await receive()
        request = self._request(scope, first)
        if request is None or not all(passes(request) for passes in self.gates):
            await self.app(scope, replaying(first, receive), send)
            return
        request.resolver_match = match
        response = await self._through(request, 0)
        log_failure(request, response)
        request.close()
        await self.app.answer(response, send, receive)

    @staticmethod
    def _request(scope, first: dict) -> ASGIRequest | None:
        """The request as Django's handler makes it, when its body came whole in `first`; None for
        what the handler answers before any middleware (or must read the body of itself)."""
        if first["type"] != "http.request" or first.get("more_body"):
            return None
        try:
            return ASGIRequest(scope, io.BytesIO(first.get("body", b"")))
        except (UnicodeDecodeError, RequestDataTooBig):
            return None

    async def _through(self, request, depth: int):
        """The response of the middleware from `depth` inwards and the view, as Django's chain of
        `convert_exception_to_response`-wrapped layers gives it."""
        if depth == len(self.layers):
            return await self._view(request)
        layer = self.layers[depth]
        try:
            try:
                early = layer.before(request)
                if early is not None:
                    return early
                return layer.after(request, await self._through(request, depth + 1))
            finally:
                layer.cleanup(request)
        except Exception as exc:
            return response_for_exception(request, exc)

    async def _view(self, request):
        match = request.resolver_match
        try:
            if not iscoroutinefunction(match.func):
                return await blocking(_view_rendered, match, request)
            response = await match.func(request, *match.args, **match.kwargs)
            if callable(getattr(response, "render", None)):
                response = await blocking(response.render)
            return response
        except Exception as exc:
            return response_for_exception(request, exc)


class FastRoutes(FastPaths):
    """A service's fast paths: the views of `routes`, pairs of a method and a URL's name
    (`("POST", "customer-order-list")`), `settings.FAST_ROUTES` in the service's settings."""

    def __init__(self, app: LeanASGIHandler, routes=None):
        super().__init__(app)
        self.routes = frozenset(settings.FAST_ROUTES if routes is None else routes)
        self.methods = frozenset(method for method, _ in self.routes)
        names = get_resolver().reverse_dict
        if unknown := sorted(name for _, name in self.routes if not names.getlist(name)):
            raise ImproperlyConfigured(f"FAST_ROUTES names no URL {', '.join(unknown)}.")

    def _match(self, scope) -> ResolverMatch | None:
        # Most requests are for other routes: those of other methods are not even looked up.
        return super()._match(scope) if scope.get("method") in self.methods else None

    def wants(self, scope, match: ResolverMatch) -> bool:
        return (scope["method"], match.view_name) in self.routes


def in_front_of(application):
    """A service's ASGI application with its fast routes in front (`settings.FAST_ROUTES`), unless
    `FAST_PATHS` is off or it has none."""
    if not settings.FAST_PATHS or not settings.FAST_ROUTES:
        return application
    return FastRoutes.in_front_of(application)


def replaying(first: dict, receive):
    """`receive` as Django's handler must see it: the message already read, then the rest."""
    pending = [first]

    async def replay():
        return pending.pop() if pending else await receive()

    return replay
