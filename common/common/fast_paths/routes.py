"""A service's fast routes (common/fast_paths): a DRF view's rules, the answer it hands over to."""

from __future__ import annotations

import functools
import io
import logging
from collections.abc import Mapping

from asgiref.sync import iscoroutinefunction
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.handlers.asgi import ASGIRequest
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import Resolver404, ResolverMatch, get_resolver
from django.utils.module_loading import import_string
from rest_framework import exceptions
from rest_framework.generics import GenericAPIView
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from common import metrics
from common.asgi import LeanASGIHandler
from common.errors import handler500
from common.fast_paths.envelope import Declined, FastPath
from common.fast_paths.threads import blocking
from common.serializers import made, validated_data

logger = logging.getLogger(__name__)

# The methods whose body the view validates before it answers (PATCH partially).
_WITH_BODY = {"POST": False, "PUT": False, "PATCH": True}


class _Route:
    """One fast route: a DRF view's method, the answer it hands over to, and what DRF's dispatch
    makes anew for every request that is the same for all (the view's parsers, authenticators,
    negotiation and default headers), made once."""

    def __init__(self, match: ResolverMatch, method: str, answer):
        func = match.func
        self.view_class, self.initkwargs, self.method = func.cls, func.initkwargs, method
        self.actions = getattr(func, "actions", None)  # a viewset's {method: action}
        if self.actions is not None and "get" in self.actions:
            self.actions = {"head": self.actions["get"], **self.actions}  # as the viewset's `as_view` adds it
        self.answer, self.is_async = answer, iscoroutinefunction(answer)
        self.metric, self.headers = match.route, {}
        prototype = self.view(None, {})
        self.parsers, self.authenticators = prototype.get_parsers(), prototype.get_authenticators()
        self.json = next(parser for parser in self.parsers if parser.media_type == "application/json")
        self.renderers, self.negotiator = prototype.get_renderers(), prototype.get_content_negotiator()
        self.renderer = next(renderer for renderer in self.renderers if isinstance(renderer, JSONRenderer))
        self.headers = prototype.default_response_headers
        # What DRF's own methods make anew per request the same each time, made once here: the
        # permissions (instances of `permission_classes`) and the serializer (`made`); a view that
        # overrides the method keeps it called per request.
        own = type(prototype)
        self.permissions = prototype.get_permissions() if own.get_permissions is APIView.get_permissions else None
        self.own_serializer = getattr(own, "get_serializer", None) is GenericAPIView.get_serializer
        if prototype.get_throttles():
            raise ImproperlyConfigured(f"{self.view_class.__name__}: a throttled view has no fast path.")

    def view(self, request, kwargs: dict):
        """The view as DRF's `as_view` and `dispatch` set one up for a request of this method."""
        view = self.view_class(**self.initkwargs)
        if self.actions is None:
            view.setup(request, **kwargs)  # Django's: the request, and HEAD answered as GET
        else:
            view.action_map, view.action = self.actions, self.actions.get(self.method.lower())
            for method, action in self.actions.items():
                setattr(view, method, getattr(view, action))
            view.request, view.args, view.kwargs = request, (), kwargs
        view.format_kwarg, view.headers = None, dict(self.headers)
        return view

    @functools.lru_cache(maxsize=256)  # noqa: B019 - per route, made once per process
    def answers_in_json(self, accept: str | None, form: str | None) -> bool:
        """Whether DRF's negotiation picks the view's JSON renderer with plain `application/json`
        for this Accept and `?format=`, asked once per distinct pair; a page, an indented JSON, a
        406 or an unknown format are the view's to answer."""
        probe = HttpRequest()
        if accept is not None:
            probe.META["HTTP_ACCEPT"] = accept
        try:
            renderer, media_type = self.negotiator.select_renderer(Request(probe), self.renderers, form)
        except (exceptions.NotAcceptable, Http404):
            return False
        return isinstance(renderer, JSONRenderer) and media_type == "application/json"

    async def respond(self, request: ASGIRequest, kwargs: dict) -> HttpResponse:
        form = request.GET.get(self.negotiator.settings.URL_FORMAT_OVERRIDE) if request.META["QUERY_STRING"] else None
        if not self.answers_in_json(request.META.get("HTTP_ACCEPT"), form):
            raise Declined
        view = self.view(request, kwargs)
        data = self._validated(request, view)
        request.accepted_renderer, request.accepted_media_type = self.renderer, self.renderer.media_type
        try:  # from here on the answer is never Django's: its work may be done
            try:
                if self.is_async:
                    response = await self.answer(request, data, **kwargs)
                else:
                    response = await blocking(self.answer, request, data, **kwargs)
            except Exception as exc:
                response = view.get_exception_handler()(exc, view.get_exception_handler_context())
                if response is None:
                    raise
            response = view.finalize_response(request, response)
            return response.render() if callable(getattr(response, "render", None)) else response
        except Exception:
            logger.exception("%s %s: the answer failed", request.method, request.path)
            return handler500(request)

    def _validated(self, request: ASGIRequest, view):
        """The caller as the view's authenticators see them, allowed by its permissions, and the
        body parsed and validated as the view does (None for a method without one); Declined else."""
        try:
            request.user, request.auth = next(
                (found for authenticator in self.authenticators if (found := authenticator.authenticate(request))),
                (None, None),
            )
            permissions = self.permissions if self.permissions is not None else view.get_permissions()
            if not all(permission.has_permission(request, view) for permission in permissions):
                raise Declined
            partial = _WITH_BODY.get(self.method)
            if partial is None:
                return None
            if request.content_type != self.json.media_type:
                raise Declined  # a form: the view's
            encoding = request.encoding or settings.DEFAULT_CHARSET
            body = self.json.parse(io.BytesIO(request.body), self.json.media_type, {"encoding": encoding})
            return validated_data(self._serializer(view, body, partial))
        except exceptions.APIException as exc:
            raise Declined from exc

    def _serializer(self, view, body, partial: bool):
        """`view.get_serializer(data=body, partial=partial)`, its instance made as `made` makes it."""
        if not self.own_serializer:
            return view.get_serializer(data=body, partial=partial)
        context = view.get_serializer_context()
        return made(view.get_serializer_class(), data=body, context=context, partial=partial)


class FastRoutes(FastPath):
    """A service's fast paths (`settings.FAST_ROUTES`): each a method and a DRF view's URL name, with
    the answer the view hands over to: `{("POST", "customer-order-list"): "orders.api.order_placed"}`.
    An answer is `answer(request, data, **url_kwargs)`, sync or async: the request (DRF's on the
    view's path, Django's with `user` set on the fast path), the body as the view's serializer
    validated it (None for a method without one); it returns the view's response."""

    def __init__(self, app: LeanASGIHandler, routes: Mapping | None = None):
        super().__init__(app)
        routes = settings.FAST_ROUTES if routes is None else routes
        self.answers = {
            key: import_string(answer) if isinstance(answer, str) else answer for key, answer in routes.items()
        }
        self.methods = frozenset(method for method, _ in self.answers)
        names = get_resolver().reverse_dict
        if unknown := sorted(name for _, name in self.answers if not names.getlist(name)):
            raise ImproperlyConfigured(f"FAST_ROUTES names no URL {', '.join(unknown)}.")
        self._routes: dict = {}

    def target(self, scope) -> tuple[_Route, dict] | None:
        # Most requests are for other routes: those of other methods are not even looked up.
        if scope["method"] not in self.methods or (match := self._resolved(scope["path"])) is None:
            return None
        key = (scope["method"], match.view_name)
        if key not in self.answers:
            return None
        if (route := self._routes.get((key, match.route))) is None:
            route = self._routes[(key, match.route)] = _Route(match, scope["method"], self.answers[key])
        return route, match

    @functools.lru_cache(maxsize=2048)  # noqa: B019 - one table per fast path, made once per process
    def _resolved(self, path: str) -> ResolverMatch | None:
        """Django's resolver's match for a path (a fast path's requests ask for a few paths often)."""
        try:
            return get_resolver().resolve(path)
        except Resolver404:
            return None

    async def respond(self, target, request: ASGIRequest) -> HttpResponse:
        route, match = target
        request.resolver_match = match
        return await route.respond(request, match.kwargs)

    def observe(self, target, request, response, started: float) -> None:
        metrics.observe(target[0].metric, request.method, response.status_code, started)


def in_front_of(application):
    """A service's ASGI application with its fast routes in front (`settings.FAST_ROUTES`), unless
    `FAST_PATHS` is off or it has none."""
    if not settings.FAST_PATHS or not settings.FAST_ROUTES:
        return application
    return FastRoutes.in_front_of(application)
