"""Settings of the order service: the order lifecycle, menu validation, courier assignment requests and live tracking."""

from common.env import env_float, env_int
from common.openapi import stream_operation
from common.settings_base import *  # noqa: F403
from common.settings_base import api_document, service_settings

globals().update(service_settings("order", app="orders", database="orders"))
# Placement is answered before Django's handler, with the answer its view gives (common/fast_paths/).
FAST_ROUTES = {("POST", "customer-order-list"): "orders.api.order_placed"}

# The event stream is an async view; every middleware of the shared list is async-capable, so an
# open stream never holds a thread.
# How long a cancel or reject waits for the courier release it sends in the background.
RELEASE_WAIT_S = env_float("RELEASE_WAIT_S", 1.0)
# Placement tells the restaurant service (popular counter) and the delivery service (dispatch)
# after answering; notifications within these windows go out as one call (a counter update
# rewrites the restaurant's document, a dispatch pass reads the free couriers).
POPULAR_COUNT_FLUSH_S = env_float("POPULAR_COUNT_FLUSH_S", 1.0)
DISPATCH_KICK_DELAY_S = env_float("DISPATCH_KICK_DELAY_S", 0.05)

# The delivery promise's estimates (orders/estimates.py): the ride when an address or the restaurant
# has no coordinates; how soon an estimate may come due before it is moved on; how often the
# refresher moves on the estimates of orders nobody touches (0: no refresher in this process).
ESTIMATE_DEFAULT_RIDE_MIN = env_float("ESTIMATE_DEFAULT_RIDE_MIN", 15.0)
ESTIMATE_MIN_AHEAD_S = env_float("ESTIMATE_MIN_AHEAD_S", 60.0)
ESTIMATE_REFRESH_S = env_float("ESTIMATE_REFRESH_S", 30.0)
BACKGROUND_LOOP_MODULES = ["orders.background"]

# Operators (ARCHITECTURE 4.6). When a live order needs attention (orders/attention.py), in seconds:
# placed and not accepted; without a courier since placement; ready and not picked up; its courier
# silent; arriving later than first promised by this much.
ATTENTION_ACCEPT_S = env_int("ATTENTION_ACCEPT_S", 300)
ATTENTION_WAITING_S = env_int("ATTENTION_WAITING_S", 300)
ATTENTION_PICKUP_S = env_int("ATTENTION_PICKUP_S", 600)
ATTENTION_SILENT_S = env_int("ATTENTION_SILENT_S", 120)
ATTENTION_LATE_S = env_int("ATTENTION_LATE_S", 600)
# How long a finished order stays on the operators' list.
OPERATOR_FINISHED_VISIBLE_S = env_int("OPERATOR_FINISHED_VISIBLE_S", 3600)
# An operator action still `pending` this long after it began was interrupted (its process died):
# it is settled from the order itself (orders/operators.py), every this many seconds too (0: not
# in this process).
OPERATOR_ACTION_SETTLE_S = env_float("OPERATOR_ACTION_SETTLE_S", 30.0)
# A customer's history and a kitchen's list of orders are paged from Redis (orders/lists.py), each
# list built from MongoDB when first read and forgotten after this long unread.
ORDER_LISTS_TTL_S = env_float("ORDER_LISTS_TTL_S", 3600.0)
OPERATOR_LISTS_REBUILD_S = env_float("OPERATOR_LISTS_REBUILD_S", 60.0)

# The live streams are plain async Django views, which drf-spectacular cannot see; describe them.
SPECTACULAR_SETTINGS = api_document(
    "Order service",
    "the order lifecycle, menu validation, courier assignment requests and live tracking.",
    plain_views={
        "/orders/{order_id}/events": stream_operation(
            "orders_events",
            "Follow the order live (Server-Sent Events)",
            "The current status first, then one `status` event per change (data: order_id, status, at, "
            "courier_id), `location` events while a courier is on the way (at most one every 2 s), `estimate` "
            "events when the arrival moves by a minute or more; ends after delivered, rejected or cancelled. "
            "For the order's customer, restaurant owner and courier.",
            path_params=("order_id",),
        ),
        "/restaurants/{restaurant_id}/orders/events": stream_operation(
            "restaurants_orders_events",
            "The kitchen board, live (Server-Sent Events)",
            "First `snapshot` {orders: [...]}, every open order oldest first in the list's shape, then one "
            "`order` event per change of one of them (placed, a new status, a courier, cancelled); a finished "
            "order is sent once and leaves the board. For the restaurant's owner.",
            path_params=("restaurant_id",),
        ),
        "/operator/events": stream_operation(
            "operator_events",
            "The operators' console, live (Server-Sent Events)",
            "First `snapshot` {orders, couriers}: the live orders with their attention, those needing it first, "
            "and every courier with their state, position and deliveries; then `order` events (any change, also "
            "of attention as time passes) and `courier` events (availability, deliveries, a position at most "
            "once per courier per second). `id:` and `Last-Event-ID` as the other streams. For operators.",
        ),
    },
)
