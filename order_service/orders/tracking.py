"""Live order state in Redis (ARCHITECTURE 4.4): each change announced to the order's stream, its
kitchen's board and the operators' console (common/streams/). The courier's position as the
delivery service publishes it is read in orders/locations.py.

MongoDB stays the source of truth; Redis only makes following an order cheap. Failures here are
logged and never fail the write that triggered them: the streams repair from MongoDB.
"""

from __future__ import annotations

import logging

from common import streams
from common.contracts import order_stream
from orders import console, events

logger = logging.getLogger(__name__)


def publish(order: dict) -> None:
    """Announces the order's new state to its own stream, its kitchen's board and the operators'
    console (one round trip; best effort: the streams' heartbeat re-read repairs a publish that did
    not happen)."""
    streams.publish(
        [
            (order_stream.topic(str(order["_id"])), events.order_entries(order)),
            (streams.topic_of(events.RESTAURANT, order["restaurant_id"]), [events.board_entry(order)]),
            console.publish_batch(order),
        ]
    )
