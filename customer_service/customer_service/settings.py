"""Settings of the customer service: customer profiles, addresses, preferences, order history and placing orders."""

from common.env import env_str
from common.settings_base import *  # noqa: F403
from common.settings_base import INSTALLED_APPS, SPECTACULAR_SETTINGS

SERVICE_NAME = "customer"
ROOT_URLCONF = "customer_service.urls"
ASGI_APPLICATION = "customer_service.asgi.application"
INSTALLED_APPS = [*INSTALLED_APPS, "profiles"]

MONGO_DB_NAME = env_str("MONGO_DB_NAME", "customers")
MONGO_INDEX_MODULES = ["profiles.repository"]

SPECTACULAR_SETTINGS = {
    **SPECTACULAR_SETTINGS,
    "TITLE": "Customer service",
    "DESCRIPTION": "customer profiles, addresses, preferences, order history and placing orders.",
}
