"""Settings of the restaurant service: restaurants, menus, the popular-restaurant cache and restaurant-side order actions."""

from common.env import env_bool, env_float, env_int, env_str
from common.settings_base import *  # noqa: F403
from common.settings_base import api_document, service_settings

globals().update(service_settings("restaurant", app="restaurants", database="restaurants"))
# The two hottest public reads are answered before Django's handler, with the answers their views
# give (common/fast_paths/).
FAST_ROUTES = {
    (method, name): f"restaurants.api.{name}_read" for method in ("GET", "HEAD") for name in ("menu", "popular")
}

SPECTACULAR_SETTINGS = api_document(
    "Restaurant service", "restaurants, menus, the popular-restaurant cache and restaurant-side order actions."
)

# Opening hours are in the platform's time zone (a delivery platform serves one city or region).
PLATFORM_TIMEZONE = env_str("PLATFORM_TIMEZONE", "UTC")
RESTAURANT_CACHE_ENABLED = env_bool("RESTAURANT_CACHE_ENABLED", True)
MENU_CACHE_TTL_S = env_int("MENU_CACHE_TTL_S", 300)
# The restaurant's own fields for order quotes (never prices); short, see cache.quote_facts_cached.
QUOTE_CACHE_TTL_S = env_int("QUOTE_CACHE_TTL_S", 60)
POPULAR_CACHE_TTL_S = env_int("POPULAR_CACHE_TTL_S", 60)
POPULAR_LIMIT = env_int("POPULAR_LIMIT", 10)

# How far from a restaurant (with coordinates) it delivers, unless the restaurant sets its own.
DELIVERY_RADIUS_KM = env_float("DELIVERY_RADIUS_KM", 8.0)
# The list of restaurants by name is paged from Redis (restaurants/browse.py), built from MongoDB
# when first read and forgotten after this long unread.
RESTAURANT_BROWSE_TTL_S = env_float("RESTAURANT_BROWSE_TTL_S", 3600.0)
BACKGROUND_LOOP_MODULES = ["restaurants.background"]
# Seconds between passes of the loop that builds the names' trigram index when missing and renews it
# before it expires (restaurants/background.py; 0: off, and `?q=` then walks the names).
RESTAURANT_TRIGRAMS_REFRESH_S = env_float("RESTAURANT_TRIGRAMS_REFRESH_S", 30.0)
# Browsing by location considers this many of the nearest restaurants (0: all of them).
NEAR_BROWSE_MAX = env_int("NEAR_BROWSE_MAX", 100)

# A new restaurant's delivery fee, unless it sets its own (its preparation time: DEFAULT_PREP_TIME_MIN).
DEFAULT_DELIVERY_FEE_CENTS = env_int("DEFAULT_DELIVERY_FEE_CENTS", 0)
