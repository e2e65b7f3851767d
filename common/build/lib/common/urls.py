"""Routes every service serves besides its own API: health, readiness, OpenAPI schema, metrics."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from common.health import healthz, readyz
from common.metrics import metrics_view

platform_urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    path("schema", SpectacularAPIView.as_view(), name="schema"),
    path("schema/docs", SpectacularSwaggerView.as_view(url_name="schema"), name="schema-docs"),
]

# Wired by each service's urls.py: `from common.urls import *` brings these in too.
handler400 = "common.errors.handler400"
handler403 = "common.errors.handler403"
handler404 = "common.errors.handler404"
handler500 = "common.errors.handler500"
