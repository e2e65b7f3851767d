"""Settings of the restaurant service: restaurants, menus, the popular-restaurant cache and restaurant-side order actions."""

from common.env import env_str
from common.settings_base import *  # noqa: F403
from common.settings_base import INSTALLED_APPS, SPECTACULAR_SETTINGS

SERVICE_NAME = "restaurant"
ROOT_URLCONF = "restaurant_service.urls"
ASGI_APPLICATION = "restaurant_service.asgi.application"
INSTALLED_APPS = [*INSTALLED_APPS, "restaurants"]

MONGO_DB_NAME = env_str("MONGO_DB_NAME", "restaurants")
MONGO_INDEX_MODULES = ["restaurants.repository"]

SPECTACULAR_SETTINGS = {
    **SPECTACULAR_SETTINGS,
    "TITLE": "Restaurant service",
    "DESCRIPTION": "restaurants, menus, the popular-restaurant cache and restaurant-side order actions.",
}
