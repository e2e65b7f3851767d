"""Settings of the customer service: customer profiles, addresses, preferences, order history and placing orders."""

from common.env import env_str
from common.settings_base import *  # noqa: F403
from common.settings_base import INSTALLED_APPS, api_document

SERVICE_NAME = "customer"
ROOT_URLCONF = "customer_service.urls"
ASGI_APPLICATION = "customer_service.asgi.application"
INSTALLED_APPS = [*INSTALLED_APPS, "profiles"]

MONGO_DB_NAME = env_str("MONGO_DB_NAME", "customers")
MONGO_INDEX_MODULES = ["profiles.repository"]

SPECTACULAR_SETTINGS = api_document(
    "Customer service", "customer profiles, addresses, preferences, order history and placing orders."
)
