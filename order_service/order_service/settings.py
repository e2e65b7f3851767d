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

# The event stream is an async view; every middleware of the shared list is async-capable, so an
# open stream never holds a thread.
ORDER_STATUS_TTL_S = env_int("ORDER_STATUS_TTL_S", 6 * 3600)
# How long a cancel or reject waits for the courier release it sends in the background.
RELEASE_WAIT_S = env_float("RELEASE_WAIT_S", 1.0)
# Placement tells the restaurant service (popular counter) and the delivery service (dispatch)
# after answering; notifications within these windows go out as one call (a counter update
# rewrites the restaurant's document, a dispatch pass reads the free couriers).
POPULAR_COUNT_FLUSH_S = env_float("POPULAR_COUNT_FLUSH_S", 1.0)
DISPATCH_KICK_DELAY_S = env_float("DISPATCH_KICK_DELAY_S", 0.05)

# The event stream is a plain async Django view, which drf-spectacular cannot see; describe it.
SPECTACULAR_SETTINGS = {
    **SPECTACULAR_SETTINGS,
    "APPEND_PATHS": {
        "/orders/{order_id}/events": {
            "get": {
                "operationId": "orders_events",
                "summary": "Follow the order live (Server-Sent Events)",
                "description": "The current status first, then one `status` event per change (data: order_id, status, "
                "at, courier_id), a `: heartbeat` comment every 15 s; ends after delivered, rejected or "
                "cancelled. For the order's customer, restaurant owner and courier.",
                "parameters": [{"name": "order_id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {
                    "200": {
                        "description": "An event stream",
                        "content": {"text/event-stream": {"schema": {"type": "string"}}},
                    },
                    "401": {"description": "No or bad token"},
                    "404": {"description": "No such order, or not yours"},
                },
            }
        },
    },
}
