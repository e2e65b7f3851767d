"""Settings of the delivery service: couriers, availability, assignment and delivery status."""

from common.env import env_str
from common.settings_base import *  # noqa: F403
from common.settings_base import INSTALLED_APPS, SPECTACULAR_SETTINGS

SERVICE_NAME = "delivery"
ROOT_URLCONF = "delivery_service.urls"
ASGI_APPLICATION = "delivery_service.asgi.application"
INSTALLED_APPS = [*INSTALLED_APPS, "deliveries"]

MONGO_DB_NAME = env_str("MONGO_DB_NAME", "deliveries")
MONGO_INDEX_MODULES = ["deliveries.repository"]

SPECTACULAR_SETTINGS = {
    **SPECTACULAR_SETTINGS,
    "TITLE": "Delivery service",
    "DESCRIPTION": "couriers, availability, assignment and delivery status.",
}
