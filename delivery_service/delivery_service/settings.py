"""Settings of the delivery service: couriers, availability, assignment and delivery status."""

from django.core.exceptions import ImproperlyConfigured

from common.env import env_float, env_int, env_str
from common.openapi import stream_operation
from common.settings_base import *  # noqa: F403
from common.settings_base import api_document, service_settings

globals().update(service_settings("delivery", app="deliveries", database="deliveries"))
# Couriers' position reports are answered before Django's handler, with the answer their view gives
# (common/fast_paths/).
FAST_ROUTES = {("POST", "courier-me-location"): "deliveries.api.position_reported"}

SPECTACULAR_SETTINGS = api_document(
    "Delivery service",
    "couriers, availability, assignment and delivery status.",
    # The courier's feed is a plain async view, which drf-spectacular cannot see; described here.
    plain_views={
        "/couriers/me/events": stream_operation(
            "couriers_me_events",
            "The courier's task feed, live (Server-Sent Events)",
            "First `snapshot` {delivery: the delivery of the route's next stop or null, deliveries: every active "
            "one, route: the stops in order}, then one `delivery` event (the delivery plus `order_status`) when one "
            "is assigned, when its order moves (accepted, preparing, ready), when it is released (the order was "
            "cancelled or rejected) or finished, and a `route` event {route} when the route changes. For couriers.",
        )
    },
)

# Seconds between reconciler passes (0: no background worker; dispatch then runs inline on kicks).
BACKGROUND_LOOP_MODULES = ["deliveries.background"]
DISPATCH_SWEEP_S = env_float("DISPATCH_SWEEP_S", 5.0)
# How long a request that frees a courier (going online, a delivery done, a release) waits for the
# dispatch pass it kicked, so its answer usually shows the new assignment; a slow pass never holds
# the request longer.
DISPATCH_KICK_WAIT_S = env_float("DISPATCH_KICK_WAIT_S", 2.0)
# A kicked dispatch pass starts at least this long after the last pass ended: the kicks of a busy
# city (each order, each free courier's position) share a pass instead of running one after another.
# Below DISPATCH_KICK_WAIT_S, so a request that waits for its pass still sees it done.
DISPATCH_KICK_GAP_S = env_float("DISPATCH_KICK_GAP_S", 1.0)
ASSIGN_LOCK_TIMEOUT_S = env_float("ASSIGN_LOCK_TIMEOUT_S", 10.0)
ASSIGN_LOCK_WAIT_S = env_float("ASSIGN_LOCK_WAIT_S", 2.0)

# Couriers' positions and nearest-courier dispatch (ARCHITECTURE 4.3).
COURIER_LOCATION_MAX_AGE_S = env_float("COURIER_LOCATION_MAX_AGE_S", 120.0)  # older counts as unknown
# The operators' list of couriers is paged from Redis (deliveries/courier_list.py), built from
# MongoDB when first read and forgotten after this long unread.
COURIER_LIST_TTL_S = env_float("COURIER_LIST_TTL_S", 3600.0)
DISPATCH_RADIUS_KM = env_float("DISPATCH_RADIUS_KM", 5.0)  # couriers this close to the pickup, nearest first
# An order that found nobody in reach for this long searches twice as far, again and again, up to
# DISPATCH_MAX_RADIUS_KM, so it never starves.
DISPATCH_WIDEN_AFTER_S = env_float("DISPATCH_WIDEN_AFTER_S", 120.0)
DISPATCH_MAX_RADIUS_KM = env_float("DISPATCH_MAX_RADIUS_KM", 40.0)
# Speeds for arrival estimates, km/h per vehicle (an estimate: straight lines, no traffic).
COURIER_SPEEDS_KMH = env_str("COURIER_SPEEDS_KMH", "on_foot:5,bicycle:15,scooter:25,motorbike:30,car:25")
LOCATION_EVENT_MIN_INTERVAL_S = env_float("LOCATION_EVENT_MIN_INTERVAL_S", 2.0)
# Positions live in Redis; MongoDB's copy is written behind in bulk at most this late (what a Redis
# loss can lose). 0: no background writer in this process (tests call tracking.persist_positions).
COURIER_LOCATION_PERSIST_S = env_float("COURIER_LOCATION_PERSIST_S", 5.0)
# Positions per bulk write of that pass. A write command holds the local store's write mutex of its
# collection for its whole length (docs/architecture/store.md): every other write of couriers waits
# for the batch it falls behind.
COURIER_LOCATION_PERSIST_BATCH = env_int("COURIER_LOCATION_PERSIST_BATCH", 100)
# A free, available courier's position wakes dispatch at most this often per process.
DISPATCH_POSITION_KICK_S = env_float("DISPATCH_POSITION_KICK_S", 1.0)
# An operator action still under way this long after it began was interrupted (its process died or
# paused): it is carried out to its end by deliveries/operators.py's `resume`, which runs this often
# (0: not in this process).
OPERATOR_ACTION_RESUME_S = env_float("OPERATOR_ACTION_RESUME_S", 10.0)
# Couriers per re-read of the operators' console (one per heartbeat, going round all of them): a
# heartbeat's work stays bounded however large the fleet (deliveries/console.py).
OPERATOR_CONSOLE_COURIERS_PAGE = env_int("OPERATOR_CONSOLE_COURIERS_PAGE", 500)

# Dispatch that plans routes (ARCHITECTURE 4.7, deliveries/planning.py). `routes`: one pickup-and-
# delivery problem for the whole city, solved with VROOM every DISPATCH_PLAN_S and soon after each
# new order; `nearest`: 4.3's rule exactly (one order per courier, the nearest free courier).
DISPATCH_POLICY = env_str("DISPATCH_POLICY", "routes")
if DISPATCH_POLICY not in ("routes", "nearest"):
    raise ImproperlyConfigured("DISPATCH_POLICY must be routes or nearest")
DISPATCH_MAX_ORDERS_PER_COURIER = env_int("DISPATCH_MAX_ORDERS_PER_COURIER", 2)
DISPATCH_PLAN_S = env_float("DISPATCH_PLAN_S", 15.0)
# A plan that takes longer than this is not used: that pass assigns by the nearest rule.
DISPATCH_SOLVE_TIMEOUT_MS = env_int("DISPATCH_SOLVE_TIMEOUT_MS", 1000)
# Timed dispatch: an order is committed once its courier must set off within this many seconds to be
# at the counter when the food is ready. The default, twenty minutes, never keeps an order of
# a usual kitchen (15 minutes) from a courier nearby; DISPATCH_PLAN_S is strictly timed dispatch
# (bench/RESULTS.md compares both).
DISPATCH_COMMIT_AHEAD_S = env_float("DISPATCH_COMMIT_AHEAD_S", 1200.0)
# Travel times: great-circle distance x this factor at the vehicle's speed, or an OSRM table
# service when OSRM_URL is set (e.g. http://osrm:5000, profile `bike`).
ROUTING_DETOUR_FACTOR = env_float("ROUTING_DETOUR_FACTOR", 1.3)
OSRM_URL = env_str("OSRM_URL", "")
