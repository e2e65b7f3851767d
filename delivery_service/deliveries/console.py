"""The couriers on the operators' console stream (ARCHITECTURE 4.6; the topic and its shapes are
common/contracts/operator_console.py, the stream itself is the order service's).

This service owns couriers, their positions and their deliveries, so it writes their `courier`
entries: at every change of a courier's profile or deliveries (`publish_couriers`, from
tracking.remember_courier and events.announce), and at most once per courier per
`operator_console.POSITION_INTERVAL_S` for a position (`position_reported`, from the reports' path,
built from the courier's card in Redis so a report reads no MongoDB). The stream's heartbeat
re-read asks `console_couriers_page` (the internal route) for the next OPERATOR_CONSOLE_COURIERS_PAGE
couriers in id order, going round: a heartbeat's work stays bounded however many couriers the city
has, and every courier is read again (its card written again: cards lost with Redis come back)
within a round. A console's snapshot shows every courier the topic's view holds (each published at
its last change). Best effort throughout: a failure is logged, never fails the write that triggered
it, and the re-read repairs it.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import redis
from django.conf import settings

from common import streams
from common.contracts import operator_console as console
from common.mongo import get_database
from common.redis_client import get_redis
from common.streams import throttle
from deliveries import lifecycle, repository, tracking

logger = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


def _state(*, available: bool, deliveries: list, location: dict | None, now: datetime) -> str:
    fresh = tracking.is_fresh(location, now)
    if deliveries:
        return console.BUSY if fresh else console.SILENT
    if not available:
        return console.OFF_DUTY
    return console.FREE if fresh else console.SILENT


def _location(location: dict | None) -> console.Location | None:
    if not location:
        return None
    at = location["at"]
    return {"lat": location["lat"], "lng": location["lng"], "at": at.isoformat() if isinstance(at, datetime) else at}


def with_deliveries(db, couriers: list[dict]) -> list[tuple[dict, dict | None, list[dict]]]:
    """Each courier with their latest position (Redis's, else MongoDB's copy) and their active
    deliveries, oldest first (also the operators' courier list: deliveries/operators.py)."""
    ids = [courier["_id"] for courier in couriers]
    positions = tracking.latest_positions(ids)
    active: dict[str, list[dict]] = {}
    for delivery in repository.deliveries_active_of_couriers(
        db, courier_ids=ids, states=sorted(lifecycle.ACTIVE_STATES)
    ):
        active.setdefault(delivery["courier_id"], []).append(delivery)
    return [
        (
            courier,
            positions.get(courier["_id"]) or courier.get("location"),
            sorted(active.get(courier["_id"], []), key=lambda d: (d["created_at"], d["_id"])),
        )
        for courier in couriers
    ]


def console_couriers_page(*, after: str | None) -> tuple[list[console.Courier], str | None]:
    """The next OPERATOR_CONSOLE_COURIERS_PAGE couriers in id order after `after` (from the first
    when None) as the console shows them, and where the next page starts (None: this one ended the
    round, the next starts from the first again)."""
    limit = settings.OPERATOR_CONSOLE_COURIERS_PAGE
    couriers = repository.couriers_after(get_database(), after=after, limit=limit)
    following = couriers[-1]["_id"] if len(couriers) == limit else None
    return _rows(couriers), following


def console_couriers(courier_ids: list[str]) -> list[console.Courier]:
    """These couriers as the console shows them; their cards are written to Redis on the way."""
    db = get_database()
    return _rows([c for cid in courier_ids if (c := repository.courier_get(db, courier_id=cid))])


def _rows(couriers: list[dict]) -> list[console.Courier]:
    db = get_database()
    now = _now()
    rows = [
        console.Courier(
            id=courier["_id"],
            name=courier.get("name") or "",
            vehicle=courier.get("vehicle") or "",
            available=bool(courier.get("available")),
            location=_location(location),
            deliveries=[str(d["_id"]) for d in deliveries],
            orders=[d["order_id"] for d in deliveries],
            state=_state(available=bool(courier.get("available")), deliveries=deliveries, location=location, now=now),
        )
        for courier, location, deliveries in with_deliveries(db, couriers)
    ]
    _write_cards(rows)
    return rows


def _write_cards(rows: list[console.Courier]) -> None:
    if not rows:
        return
    try:
        get_redis().hset(console.cards_key(), mapping={row["id"]: console.encode_card(row) for row in rows})
    except redis.RedisError:
        logger.warning("couriers' console cards not written")


def publish_couriers(courier_ids: list[str]) -> None:
    """The couriers' current state to the console (after a change of their profile or deliveries)."""
    at = _now()  # before reading: a later reading of the same courier wins
    try:
        rows = console_couriers(courier_ids)
    except Exception:  # best effort: never fail the write that changed them
        logger.exception("couriers not published to the console", extra={"courier_ids": courier_ids})
        return
    streams.publish([(console.topic(), [console.courier_entry(row, at=at) for row in rows])])


def _entry_from_card(courier_id: str, raw: str | None, location: dict) -> streams.Entry | None:
    if not raw:
        return None  # no card yet: the stream's next re-read writes it and shows the position
    card = console.decode_card(raw)
    courier = console.Courier(
        **card,
        location=_location(location),
        state=_state(available=card["available"], deliveries=card["deliveries"], location=location, now=location["at"]),
    )
    return console.courier_entry(courier, at=location["at"])


def position_claim(courier_id: str):
    """What `position_reported` reads, queued in the report's own round trip
    (`tracking.courier_report_location(beside=...)`): this interval's claim for the courier's
    position on the console, and their card."""

    def queue(pipe) -> None:
        throttle.claim(pipe, console.topic(), console.courier_key(courier_id), interval_s=console.POSITION_INTERVAL_S)
        pipe.hget(console.cards_key(), courier_id)

    return queue


async def position_reported(courier_id: str, location: dict, replies: list) -> None:
    """A courier's new position to the console: the interval's first report per courier goes out.
    `replies`: those of `position_claim`'s commands (none when Redis did not answer)."""
    if len(replies) != 2 or any(isinstance(reply, Exception) for reply in replies):
        logger.warning("courier position not published to the console", extra={"courier_id": courier_id})
        return
    granted, raw = replies
    if throttle.granted(granted) and (entry := _entry_from_card(courier_id, raw, location)) is not None:
        await streams.publish_async([(console.topic(), [entry])])
