"""Settings of the delivery service: couriers, availability, assignment and delivery status."""

from common.env import env_float, env_str
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

# Seconds between dispatch sweeps (0: off). The sweep assigns orders that were placed while this
# service was unreachable; every other assignment happens at once on the event that allows it.
DISPATCH_SWEEP_S = env_float("DISPATCH_SWEEP_S", 5.0)
# How long a request that frees a courier (going online, a delivery done, a release) waits for the
# dispatch pass it kicked, so its answer usually shows the new assignment; a slow pass never holds
# the request longer.
DISPATCH_KICK_WAIT_S = env_float("DISPATCH_KICK_WAIT_S", 2.0)
ASSIGN_LOCK_TIMEOUT_S = env_float("ASSIGN_LOCK_TIMEOUT_S", 10.0)
ASSIGN_LOCK_WAIT_S = env_float("ASSIGN_LOCK_WAIT_S", 2.0)
