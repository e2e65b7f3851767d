"""The operators' console stream, `GET /operator/events` (ARCHITECTURE 4.6; the machinery is
common/streams/, the topic and its shapes common/contracts/operator_console.py).

First a `snapshot` `{orders, couriers}`: every live order (those needing attention first, then the
oldest) with its `attention`, and every courier with their position, deliveries and `state`. Then an
`order` event each time an order changes, including its `attention` (codes appear and disappear as
time passes: the heartbeat's re-read works them out again, and a changed one is news), and a
`courier` event each time a courier's availability or deliveries change, or they report a position
(at most once per courier per second). A finished order is sent once and leaves the view.

Served here because most of it is orders and their attention, computed here; the couriers are the
delivery service's, which publishes their events itself and answers the re-read (one internal call
per heartbeat per process, for all of its open consoles): a page of couriers each time, the next
page the time after, going round (the delivery service's OPERATOR_CONSOLE_COURIERS_PAGE), so a
heartbeat never reads the whole fleet. Operators only.
"""

from __future__ import annotations

from datetime import UTC, datetime

from common import streams
from common.contracts import operator_console as contract
from common.errors import ApiError
from common.mongo import get_database, parse_object_id
from common.streams import Entry
from orders import attention, clients, lifecycle, locations, repository
from orders.serializers import ConsoleOrderOutput


def _now() -> datetime:
    return datetime.now(UTC)


def order_entries(orders: list[dict], *, now: datetime | None = None) -> list[Entry]:
    """The orders as the console shows them, with their attention at `now` (one Redis round trip
    for their couriers' last positions)."""
    now = now or _now()
    seen = locations.courier_positions(orders)
    entries = []
    for order in orders:
        location = seen.get(str(order["_id"]))
        seen_at = datetime.fromisoformat(location["at"]) if location else None
        reasons = attention.reasons(order, now=now, courier_seen_at=seen_at)
        data = dict(ConsoleOrderOutput({**order, "attention": reasons}).data)
        entries.append(
            contract.order_entry(
                data,
                version=contract.order_version(order.get("version", 0), now),
                live=order["status"] not in lifecycle.FINAL_STATES,
            )
        )
    return entries


def publish_batch(order: dict) -> tuple[str, list[Entry]]:
    """The order's new state for the console, to publish with its other streams' (orders/tracking.py)."""
    return contract.topic(), order_entries([order])


class OperatorConsole(streams.StreamSpec):
    kind = contract.KIND

    def __init__(self):
        self.couriers_after: str | None = None  # where this process's next page of couriers starts

    def truth(self, watched: dict[str, set[str]]) -> dict[str, list[Entry]]:
        if contract.SUBJECT not in watched:
            return {}
        db = get_database()
        now = _now()
        orders = repository.orders_live(db, status=None)
        found = {contract.order_key(str(order["_id"])) for order in orders}
        # Orders a console still shows as live that are not any more: finished since, maybe unannounced.
        gone = [
            oid
            for key in watched[contract.SUBJECT] - found
            if key.startswith(contract.ORDER + ":") and (oid := parse_object_id(key.partition(":")[2]))
        ]
        if gone:
            orders += repository.orders_by_ids(db, order_ids=gone)
        entries = order_entries(orders, now=now)
        try:
            couriers, self.couriers_after = clients.console_couriers(after=self.couriers_after)
        except ApiError:
            couriers = []  # the delivery service is away: the couriers as last published stay shown
        entries += [contract.courier_entry(courier, at=now) for courier in couriers]
        return {contract.SUBJECT: entries}

    def snapshot_data(self, view: list[Entry]) -> dict:
        orders = [entry.data for entry in view if entry.event == contract.ORDER]
        couriers = [entry.data for entry in view if entry.event == contract.COURIER]
        return {
            "orders": sorted(orders, key=lambda o: (not o.get("attention"), o["created_at"], o["id"])),
            "couriers": sorted(couriers, key=lambda c: (c.get("name") or "", c["id"])),
        }


OPERATOR_CONSOLE = OperatorConsole()


async def operator_events(request):
    async def authorize(user) -> tuple[str, None]:
        return contract.SUBJECT, None  # the whole city, for every operator

    return await streams.serve(request, OPERATOR_CONSOLE, user_types=(lifecycle.OPERATOR,), authorize=authorize)
