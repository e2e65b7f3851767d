"""Settings of the customer service: customer profiles, addresses, preferences, order history and placing orders."""

from common.settings_base import *  # noqa: F403
from common.settings_base import api_document, service_settings

globals().update(service_settings("customer", app="profiles", database="customers"))

SPECTACULAR_SETTINGS = api_document(
    "Customer service", "customer profiles, addresses, preferences, order history and placing orders."
)
