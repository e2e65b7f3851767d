"""`GET /`: the API root, the first page a person or a client opens (ARCHITECTURE 5, "In a
browser"): every public resource group with links, as JSON or as DRF's browsable page."""

from __future__ import annotations

from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

# (group, name, path): public routes of the contract a client starts from; `{...}` parts are
# filled by the client from the answers it gets.
RESOURCES = (
    ("identity", "customers_register", "/customers/register"),
    ("identity", "customers_login", "/customers/login"),
    ("identity", "restaurants_register", "/restaurants/register"),
    ("identity", "restaurants_login", "/restaurants/login"),
    ("identity", "couriers_register", "/couriers/register"),
    ("identity", "couriers_login", "/couriers/login"),
    ("identity", "operators_login", "/operators/login"),
    ("identity", "jwks", "/.well-known/jwks.json"),
    ("customers", "me", "/customers/me"),
    ("customers", "addresses", "/customers/me/addresses"),
    ("customers", "orders", "/customers/me/orders"),
    ("customers", "feed", "/customers/me/feed"),
    ("restaurants", "list", "/restaurants"),
    ("restaurants", "popular", "/restaurants/popular"),
    ("restaurants", "detail", "/restaurants/{restaurant_id}"),
    ("restaurants", "menu", "/restaurants/{restaurant_id}/menu"),
    ("restaurants", "pause", "/restaurants/{restaurant_id}/pause"),
    ("orders", "detail", "/orders/{order_id}"),
    ("orders", "events", "/orders/{order_id}/events"),
    ("couriers", "me", "/couriers/me"),
    ("couriers", "location", "/couriers/me/location"),
    ("couriers", "deliveries", "/deliveries"),
    # The pages for people (docs/api/shop.md): `home` sends each signed-in person to theirs.
    ("pages", "home", "/home"),
    ("pages", "sign_up", "/api-auth/signup/"),
    ("pages", "sign_in", "/api-auth/login/"),
    ("pages", "shop", "/shop/"),
    ("pages", "shop_orders", "/shop/orders"),
    ("pages", "back_office", "/restaurants/{restaurant_id}/manage"),
    ("pages", "kitchen_board", "/restaurants/{restaurant_id}/board"),
    ("pages", "courier_app", "/couriers/me/app"),
    ("operators", "orders", "/operator/orders"),
    ("operators", "couriers", "/operator/couriers"),
    ("operators", "audit", "/operator/audit"),
    ("platform", "docs", "/docs"),
    ("platform", "schema", "/schema"),
    ("platform", "health", "/healthz"),
)


class ApiRootView(APIView):
    """The food delivery platform's API: every public resource group, with links."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    view_name = "Food delivery API"

    def get_view_name(self) -> str:
        return self.view_name

    def get(self, request):
        base = request.build_absolute_uri("/").rstrip("/")
        groups: dict[str, dict[str, str]] = {}
        for group, name, path in RESOURCES:
            groups.setdefault(group, {})[name] = base + path
        return Response(groups)
