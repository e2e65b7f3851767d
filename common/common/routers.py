"""Routers for the contract's paths: no trailing slash, and an id is any single path segment.

`Router` is DRF's SimpleRouter for collections (`/deliveries`, `/deliveries/{id}`, and actions
under an item). `SingletonRouter` is for the one resource a signed-in user has of a kind
(`/customers/me`): the same verbs without an id, and its actions as sub-paths (`/customers/me/orders`).
Registered viewsets declare their serializers, so DRF's browsable API renders a form for every
unsafe method (ARCHITECTURE 5, "In a browser").
"""

from __future__ import annotations

from rest_framework.routers import DynamicRoute, Route, SimpleRouter


class Router(SimpleRouter):
    def __init__(self):
        super().__init__(trailing_slash="")

    def get_lookup_regex(self, viewset, lookup_prefix=""):
        # Ids are opaque segments (DRF's default also stops at a dot).
        name = getattr(viewset, "lookup_url_kwarg", None) or viewset.lookup_field
        return f"(?P<{lookup_prefix}{name}>[^/]+)"


class SingletonRouter(SimpleRouter):
    routes = [
        Route(
            url=r"^{prefix}{trailing_slash}$",
            mapping={"get": "retrieve", "put": "update", "patch": "partial_update", "delete": "destroy"},
            name="{basename}",
            detail=True,
            initkwargs={},  # the page is titled by the viewset's `name`, with no "Instance" suffix
        ),
        DynamicRoute(
            url=r"^{prefix}/{url_path}{trailing_slash}$", name="{basename}-{url_name}", detail=True, initkwargs={}
        ),
    ]

    def __init__(self):
        super().__init__(trailing_slash="")
