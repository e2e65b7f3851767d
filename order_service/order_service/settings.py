"""Settings of the order service: the order lifecycle, menu validation, courier assignment requests and live tracking."""

from common.env import env_float, env_int, env_str
from common.settings_base import *  # noqa: F403
from common.settings_base import INSTALLED_APPS, SPECTACULAR_SETTINGS

SERVICE_NAME = "order"
ROOT_URLCONF = "order_service.urls"
ASGI_APPLICATION = "order_service.asgi.application"
INSTALLED_APPS = [*INSTALLED_APPS, "orders"]

MONGO_DB_NAME = env_str("MONGO_DB_NAME", "orders")
MONGO_INDEX_MODULES = ["orders.repository"]

SPECTACULAR_SETTINGS = {
    **SPECTACULAR_SETTINGS,
    "TITLE": "Order service",
    "DESCRIPTION": "the order lifecycle, menu validation, courier assignment requests and live tracking.",
}

# The event stream is an async view: every middleware must be async-capable, or Django would
# run the whole stream in a thread. WhiteNoise is sync-only, so it is left out here (the gateway
# serves the browsable API's static files from another service).
MIDDLEWARE = [m for m in MIDDLEWARE if m != "whitenoise.middleware.WhiteNoiseMiddleware"]  # noqa: F405

ORDER_STATUS_TTL_S = env_int("ORDER_STATUS_TTL_S", 6 * 3600)
SSE_HEARTBEAT_S = env_float("SSE_HEARTBEAT_S", 15.0)
SSE_POLL_INTERVAL_S = env_float("SSE_POLL_INTERVAL_S", 1.0)
