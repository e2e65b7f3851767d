"""Routes every service serves besides its own API: health, readiness, OpenAPI schema, metrics."""

from __future__ import annotations

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from common.errors import error_response
from common.health import healthz, readyz
from common.metrics import metrics_view


def _sign_in_at_the_gateway(request):
    """DRF's pages link "Log in"/"Log out" to these names; browsers sign in at the gateway, which
    serves /api-auth/ itself, so a service reached directly only says where to go."""
    return error_response(404, "sign_in_at_gateway", "Sign in through the gateway: /api-auth/login/")


# The names DRF's templates reverse (`rest_framework:login`, `rest_framework:logout`).
_browser_sign_in = (
    [
        path("login/", _sign_in_at_the_gateway, name="login"),
        path("logout/", _sign_in_at_the_gateway, name="logout"),
    ],
    "rest_framework",
)

platform_urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    path("schema", SpectacularAPIView.as_view(), name="schema"),
    path("schema/docs", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="schema-docs"),
    path("api-auth/", include(_browser_sign_in, namespace="rest_framework")),
]

# Wired by each service's urls.py: `from common.urls import *` brings these in too.
handler400 = "common.errors.handler400"
handler403 = "common.errors.handler403"
handler404 = "common.errors.handler404"
handler500 = "common.errors.handler500"
