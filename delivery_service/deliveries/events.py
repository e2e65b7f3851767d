"""The courier's live task feed, `GET /couriers/me/events` (ARCHITECTURE 4.4; the machinery is
common/streams/).

First `snapshot` `{delivery: the active delivery or null}`, then one `delivery` event (the
delivery's contract shape plus `order_status`) each time one is assigned to this courier, its order
moves (accepted, preparing, ready: "go now"), it is released (the order was cancelled or rejected:
the courier is free) or finished. Topic `courier:{id}`, one key per delivery; a delivery that ends
is sent once and leaves the feed's view.

Every write of a delivery announces it (`announce`); the order's status reaches the delivery as a
mirror the order service sends after each transition and the reconciler keeps true. At every
heartbeat the feeds are re-read from MongoDB, one query for all of a process's feeds.
"""

from __future__ import annotations

from common import streams
from common.mongo import get_database, parse_object_id
from common.streams import Entry
from deliveries import console, lifecycle, repository, tracking
from deliveries.serializers import DeliveryOutput

COURIER = "courier"


def delivery_entry(delivery: dict) -> Entry:
    return Entry(
        key=str(delivery["_id"]),
        version=delivery.get("version", 0),
        event="delivery",
        data={**DeliveryOutput(delivery).data, "order_status": delivery.get("order_status")},
        live=delivery["status"] in lifecycle.ACTIVE_STATES,
    )


def announce(delivery: dict | None) -> None:
    """Tells the courier's feed about the delivery's new state (best effort; the heartbeat repairs)."""
    if delivery is not None:
        streams.publish([(streams.topic_of(COURIER, delivery["courier_id"]), [delivery_entry(delivery)])])
        tracking.remember_task(delivery)  # what the courier's position reports read in Redis
        console.publish_couriers([delivery["courier_id"]])  # their deliveries, on the operators' console


class CourierFeed(streams.StreamSpec):
    kind = COURIER

    def truth(self, watched: dict[str, set[str]]) -> dict[str, list[Entry]]:
        db = get_database()
        deliveries = repository.deliveries_active_of_couriers(
            db, courier_ids=list(watched), states=sorted(lifecycle.ACTIVE_STATES)
        )
        found = {str(d["_id"]) for d in deliveries}
        # Deliveries a feed still shows as active that are not any more: finished, maybe unannounced.
        gone = [oid for key in set().union(*watched.values()) - found if (oid := parse_object_id(key))]
        if gone:
            deliveries += repository.deliveries_by_ids(db, delivery_ids=gone)
        truth: dict[str, list[Entry]] = {}
        for delivery in deliveries:
            truth.setdefault(delivery["courier_id"], []).append(delivery_entry(delivery))
        return truth

    def snapshot_data(self, view: list[Entry]) -> dict:
        # One active delivery per courier (the assignment's unique key); the newest, should two show.
        latest = max(view, key=lambda entry: entry.data["created_at"], default=None)
        return {"delivery": latest.data if latest else None}


COURIER_FEED = CourierFeed()


async def courier_feed_events(request):
    async def authorize(user) -> tuple[str, None]:
        return user.id, None  # "me": a courier's own feed

    return await streams.serve(request, COURIER_FEED, user_types=(COURIER,), authorize=authorize)
