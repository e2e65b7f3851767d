"""The order service's live streams (ARCHITECTURE 4.4); the machinery is common/streams/.

- `GET /orders/{id}/events`, for the order's parties and operators: the current status first (`status`), then
  one `status` event per transition, `estimate` events when the estimates move by a minute or more,
  `location` events while a courier is on the way, ending after `delivered`, `rejected` or
  `cancelled`. Topic `order:{id}`, keys `status`, `estimate` and `location`, the last written by
  the delivery service (common/contracts/order_stream.py).
- `GET /restaurants/{rid}/orders/events`, for the restaurant's owner (the kitchen board): a
  `snapshot` of every open order, oldest first, in the list's shape, then one `order` event each
  time an order is placed, moves, gets or loses a courier, or is cancelled. Topic `restaurant:{rid}`,
  one key per order; a finished order is sent once and leaves the board.

Both are fed by `tracking.publish` on every write of an order, and re-read from MongoDB at every
heartbeat (one query per process for all its open streams of a kind).
"""

from __future__ import annotations

from asgiref.sync import sync_to_async

from common import streams
from common.batching import SharedReads
from common.contracts import order_stream
from common.mongo import get_database, parse_object_id
from common.streams import Entry
from orders import clients, lifecycle, repository, selectors
from orders.serializers import OrderOutput

RESTAURANT = "restaurant"  # the kitchen boards' kind: topic `restaurant:{rid}`
# Who may follow an order: its parties, and operators (any order).
_READER_TYPES = (lifecycle.CUSTOMER, lifecycle.RESTAURANT, lifecycle.COURIER, lifecycle.OPERATOR)


# --- what the streams show of an order ------------------------------------------------------------


def status_entry(order: dict) -> Entry:
    """The order's stream: `{order_id, status, at, courier_id}` (the contract's event data)."""
    last = order["history"][-1] if order.get("history") else {}
    data = {
        "order_id": str(order["_id"]),
        "status": order["status"],
        "at": last["at"].isoformat() if last.get("at") else None,
        "courier_id": order.get("courier_id"),
    }
    return Entry(key=order_stream.STATUS, version=order.get("version", 0), event=order_stream.STATUS, data=data)


def estimate_entry(order: dict) -> Entry | None:
    """`{order_id, estimated_ready_at, estimated_delivery_at}`: stored estimates only change when
    they move by a minute or more, and an unchanged state is never sent again (common/streams)."""
    if not order.get("estimated_delivery_at"):
        return None  # an order from before the promise
    data = {
        "order_id": str(order["_id"]),
        "estimated_ready_at": _iso(order.get("estimated_ready_at")),
        "estimated_delivery_at": _iso(order["estimated_delivery_at"]),
    }
    return Entry(key=order_stream.ESTIMATE, version=order.get("version", 0), event=order_stream.ESTIMATE, data=data)


def _iso(at) -> str | None:
    return at.isoformat() if at else None


def order_entries(order: dict) -> list[Entry]:
    return [entry for entry in (status_entry(order), estimate_entry(order)) if entry is not None]


def board_entry(order: dict) -> Entry:
    """The kitchen board: the order as the restaurant's order list shows it, live until final."""
    return Entry(
        key=str(order["_id"]),
        version=order.get("version", 0),
        event="order",
        data=dict(OrderOutput(order).data),
        live=order["status"] not in lifecycle.FINAL_STATES,
    )


class OrderStream(streams.StreamSpec):
    kind = order_stream.KIND
    snapshot_event = None  # it opens with the current status itself, as it always has

    def truth(self, watched: dict[str, set[str]]) -> dict[str, list[Entry]]:
        ids = [oid for oid in map(parse_object_id, watched) if oid is not None]
        orders = repository.orders_by_ids(get_database(), order_ids=ids) if ids else []
        return {str(order["_id"]): order_entries(order) for order in orders}

    def opening(self, view: list[Entry]) -> list[Entry]:
        rank = {order_stream.STATUS: 0, order_stream.LOCATION: 2}
        return sorted(view, key=lambda entry: rank.get(entry.key, 1))

    def visible(self, entry: Entry, known: dict[str, Entry]) -> bool:
        if entry.key != order_stream.LOCATION:
            return True
        status = known.get(order_stream.STATUS)  # never a previous courier's position, nor one after the end
        return (
            status is not None
            and status.data["courier_id"] == entry.data.get("courier_id")
            and status.data["status"] not in lifecycle.FINAL_STATES
        )

    def ends_after(self, entry: Entry) -> bool:
        return entry.key == order_stream.STATUS and entry.data["status"] in lifecycle.FINAL_STATES


class KitchenBoard(streams.StreamSpec):
    kind = RESTAURANT

    def truth(self, watched: dict[str, set[str]]) -> dict[str, list[Entry]]:
        db = get_database()
        orders = repository.orders_open_of_restaurants(db, restaurant_ids=list(watched), states=lifecycle.ACTIVE_STATES)
        # And those a board still shows that are no longer open: finished since, maybe unannounced.
        if gone := streams.gone(orders, watched):
            orders += repository.orders_by_ids(db, order_ids=gone)
        return streams.grouped(orders, "restaurant_id", board_entry)

    def snapshot_data(self, view: list[Entry]) -> dict:
        return {"orders": sorted((entry.data for entry in view), key=lambda o: (o["created_at"], o["id"]))}


ORDER_STREAM, KITCHEN_BOARD = OrderStream(), KitchenBoard()


# --- the views ------------------------------------------------------------------------------------


# Opens arriving together (a reconnect storm) read their orders in one query; each read starts
# after its caller arrived, so an open never sees an order older than its request.
def _orders_found(order_ids: list[str]) -> dict[str, dict]:
    return {str(order["_id"]): order for order in selectors.orders_by_ids(order_ids=order_ids)}


_opening_reads = SharedReads(_orders_found)


async def order_events(request, order_id: str):
    async def authorize(user) -> tuple[str, list[Entry]]:
        order = await _opening_reads.get(order_id)  # None for an id that is not one
        order = selectors.party_view(order, actor_type=user.user_type, actor_id=user.id)
        return str(order["_id"]), order_entries(order)

    return await streams.serve(request, ORDER_STREAM, user_types=_READER_TYPES, authorize=authorize)


async def kitchen_board_events(request, restaurant_id: str):
    async def authorize(user) -> tuple[str, None]:
        await sync_to_async(clients.restaurant_check_owner, thread_sensitive=False)(
            restaurant_id=restaurant_id, owner_id=user.id
        )
        return restaurant_id, None

    return await streams.serve(request, KITCHEN_BOARD, user_types=(lifecycle.RESTAURANT,), authorize=authorize)
