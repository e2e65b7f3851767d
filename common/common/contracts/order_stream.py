"""The order's live stream, `GET /orders/{id}/events` (ARCHITECTURE 4.4): one topic per order,
written by two services.

The order service owns the order and writes its `status` and `estimate` entries (orders/events.py
says what they hold and who may follow the order); the delivery service writes the `location` entry
while a courier is on the way (deliveries/tracking.py), at most once every
LOCATION_EVENT_MIN_INTERVAL_S. Every entry is keyed (one current state per key) and versioned, its
version only growing (common/streams/): an order's `version` for the order service's entries, the
report's time in milliseconds for a location.
"""

from __future__ import annotations

from datetime import datetime

from common.contracts.order_location import CourierLocation
from common.streams import Entry, topic_of

KIND = "order"  # the streams' kind: the topic of order {id} is `order:{id}`
STATUS, ESTIMATE, LOCATION = "status", "estimate", "location"  # the topic's keys, and its events' names


def topic(order_id: str) -> str:
    return topic_of(KIND, order_id)


def location_entry(location: CourierLocation) -> tuple[str, list[Entry]]:
    """The courier's position as the order's stream shows it: (topic, [entry]) for `streams.publish`."""
    version = int(datetime.fromisoformat(location["at"]).timestamp() * 1000)
    entry = Entry(key=LOCATION, version=version, event=LOCATION, data=dict(location))
    return topic(location["order_id"]), [entry]
