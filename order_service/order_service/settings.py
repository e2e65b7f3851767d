"""Settings of the order service: the order lifecycle, menu validation, courier assignment requests and live tracking."""

from common.env import env_str
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
