"""The courier's live task feed, `GET /couriers/me/events` (ARCHITECTURE 4.4; the machinery is
common/streams/).

First `snapshot` `{delivery, deliveries, route}` (`deliveries`: every active one; `delivery`: the
one of the route's next stop, or null; `route`: deliveries/routes.py), then one `delivery` event (the
delivery's contract shape plus `order_status`) each time one is assigned to this courier, its order
moves (accepted, preparing, ready: "go now"), it is released (the order was cancelled or rejected:
the courier is free) or finished, and a `route` event `{route}` whenever the route changes (key
`route`, versioned by the time it was worked out: the stream's history drops one that did not
change). Topic `courier:{id}`, one key per delivery; a delivery that ends is sent once and leaves
the feed's view.

Every write of a delivery announces it (`announce`); the order's status reaches the delivery as a
mirror the order service sends after each transition and the reconciler keeps true. At every
heartbeat the feeds are re-read from MongoDB, one query for all of a process's feeds. Inside
`after_answer` (an operator's action), the announcements are handed to a sender thread instead of
being made on the way to the answer.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
from collections.abc import Iterator
from datetime import UTC, datetime

from common import streams
from common.coalesce import Coalescer
from common.mongo import get_database
from common.streams import Entry
from deliveries import console, lifecycle, repository, routes, tracking
from deliveries.serializers import DeliveryOutput

logger = logging.getLogger(__name__)

COURIER = "courier"
ROUTE = "route"


def delivery_entry(delivery: dict) -> Entry:
    return Entry(
        key=str(delivery["_id"]),
        version=delivery.get("version", 0),
        event="delivery",
        data={**DeliveryOutput(delivery).data, "order_status": delivery.get("order_status")},
        live=delivery["status"] in lifecycle.ACTIVE_STATES,
    )


def route_entry(route: list[dict]) -> Entry:
    return Entry(key=ROUTE, version=routes.version_now(), event=ROUTE, data={"route": route})


def announce(delivery: dict | None) -> None:
    """Tells the courier's feed about the delivery's new state, and their route (best effort; the
    heartbeat repairs)."""
    if delivery is None:
        return
    if (later := _later.get()) is not None:
        later.append(delivery)
        return
    _announce_now(delivery)


def _announce_now(delivery: dict) -> None:
    streams.publish([(streams.topic_of(COURIER, delivery["courier_id"]), [delivery_entry(delivery)])])
    tracking.remember_task(delivery)  # what the courier's position reports read in Redis
    courier = repository.courier_get(get_database(), courier_id=delivery["courier_id"])
    if courier is not None:
        announce_route(courier, location=tracking.latest_position(courier["_id"]) or courier.get("location"))
    console.publish_couriers([delivery["courier_id"]])  # their deliveries, on the operators' console


_later: contextvars.ContextVar[list[dict] | None] = contextvars.ContextVar("announce_later", default=None)


def _announce_batch(deliveries: list[dict]) -> None:
    for delivery in deliveries:
        try:
            _announce_now(delivery)
        except Exception:  # best effort, as on the way to an answer: the heartbeat repairs
            logger.exception("delivery not announced", extra={"delivery_id": str(delivery["_id"])})


# The latest state of each delivery, announced by one sender thread in the order they came.
_announcer = Coalescer(
    "delivery-announcements", _announce_batch, newer=lambda new, old: new.get("version", 0) >= old.get("version", 0)
)


@contextlib.contextmanager
def after_answer() -> Iterator[None]:
    """The deliveries announced inside are announced by a sender thread once the block ends, so the
    answer does not wait for their feeds, routes and console cards (a dozen reads and writes each).
    Still best effort, as every announcement: one lost with its process is repaired by the feeds'
    and the console's heartbeats."""
    later: list[dict] = []
    token = _later.set(later)
    try:
        yield
    finally:
        _later.reset(token)
        for delivery in later:
            _announcer.add(str(delivery["_id"]), delivery)


def announce_route(courier: dict, *, location: dict | None) -> list[dict]:
    """The courier's route now, to their feed (an event only if it changed) and to the customers'
    estimates; returns it."""
    route = routes.courier_route(courier=courier, location=location)
    streams.publish([(streams.topic_of(COURIER, courier["_id"]), [route_entry(route)])])
    routes.tell_customers(courier=courier, route=route)
    return route


def announce_routes(couriers: list[tuple[dict, dict | None, list[dict]]]) -> None:
    """`announce_route` for many couriers, each with their position and active deliveries given:
    the routes published in one round trip."""
    batches = []
    for courier, location, deliveries in couriers:
        route = routes.courier_route(courier=courier, location=location, deliveries=deliveries)
        batches.append((streams.topic_of(COURIER, courier["_id"]), [route_entry(route)]))
        routes.tell_customers(courier=courier, route=route)
    streams.publish(batches)


class CourierFeed(streams.StreamSpec):
    kind = COURIER

    def truth(self, watched: dict[str, set[str]]) -> dict[str, list[Entry]]:
        db = get_database()
        deliveries = repository.deliveries_active_of_couriers(
            db, courier_ids=list(watched), states=sorted(lifecycle.ACTIVE_STATES)
        )
        # And those a feed still shows as active that are not any more: finished, maybe unannounced.
        if gone := streams.gone(deliveries, watched):
            deliveries += repository.deliveries_by_ids(db, delivery_ids=gone)
        truth: dict[str, list[Entry]] = {courier_id: [] for courier_id in watched}
        for delivery in deliveries:
            truth.setdefault(delivery["courier_id"], []).append(delivery_entry(delivery))
        couriers = {c["_id"]: c for c in repository.couriers_by_ids(db, courier_ids=list(watched))}
        positions = tracking.latest_positions(list(watched))
        for courier_id, entries in truth.items():
            active = [d for d in deliveries if d["courier_id"] == courier_id and d["status"] in lifecycle.ACTIVE_STATES]
            courier = couriers.get(courier_id, {})
            route = routes.route_of(
                deliveries=active,
                location=positions.get(courier_id) or courier.get("location"),
                vehicle=courier.get("vehicle"),
                now=datetime.now(UTC),
            )
            entries.append(route_entry(route))
        return truth

    def snapshot_data(self, view: list[Entry]) -> dict:
        deliveries = sorted(
            (entry.data for entry in view if entry.event == "delivery"), key=lambda data: data["created_at"]
        )
        route = next((entry.data["route"] for entry in view if entry.key == ROUTE), [])
        by_id = {data["id"]: data for data in deliveries}
        # `delivery`: the one of the route's next stop (the oldest, should the route not say).
        following = next((by_id[stop["delivery_id"]] for stop in route if stop["delivery_id"] in by_id), None)
        following = following or (deliveries[0] if deliveries else None)
        return {"delivery": following, "deliveries": deliveries, "route": route}


COURIER_FEED = CourierFeed()


async def courier_feed_events(request):
    async def authorize(user) -> tuple[str, None]:
        return user.id, None  # "me": a courier's own feed

    return await streams.serve(request, COURIER_FEED, user_types=(COURIER,), authorize=authorize)
