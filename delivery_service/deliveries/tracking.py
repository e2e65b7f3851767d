"""Couriers' positions (ARCHITECTURE 4.3, 4.4). Redis is the live truth: the latest position per
courier, the searchable set in Redis GEO (the nearest couriers to a pickup in O(log n)) and when
each was reported, all written by one script per report. MongoDB keeps a copy on the courier
document, written behind in bulk within COURIER_LOCATION_PERSIST_S (`persist_positions`): what a
Redis loss can lose is at most that window of positions, after which dispatch and `GET /couriers/me`
read MongoDB's copies (and without Redis, reports go to MongoDB directly). For a courier on a
delivery, each report is also a message to the order's followers.

What goes to the order service's followers is a published read model keyed by order, never the
courier's data as such (common/contracts/order_location.py: it expires when the position goes
stale), and the same payload goes to the order's live stream as its `location` entry
(common/contracts/order_stream.py) at most once every LOCATION_EVENT_MIN_INTERVAL_S. A courier can
only ever report their own position; it reaches the followers of the orders assigned to them (with
planned dispatch, up to DISPATCH_MAX_ORDERS_PER_COURIER: every one of their customers sees them move).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import time
from datetime import UTC, datetime, timedelta

import redis
from asgiref.sync import sync_to_async
from django.conf import settings
from prometheus_client import Counter

from common import faults, geo, streams
from common.coalesce import Coalescer
from common.contracts import order_location, order_stream
from common.errors import ApiError
from common.mongo import get_database, parse_object_id
from common.redis_client import LuaScript, get_async_redis, get_redis, redis_key
from common.streams import throttle
from deliveries import clients, lifecycle, repository

logger = logging.getLogger(__name__)

POSITIONS_PERSISTED = Counter("courier_positions_persisted_total", "Courier positions written behind to MongoDB")


def geo_key() -> str:
    return redis_key("couriers", "geo")


def seen_key() -> str:
    """A sorted set of when each courier's position was reported (GEO has no timestamps)."""
    return redis_key("couriers", "seen")


def _now() -> datetime:
    return datetime.now(UTC)


def is_fresh(location: dict | None, now: datetime | None = None) -> bool:
    if not location or location.get("at") is None:
        return False
    age = ((now or _now()) - location["at"]).total_seconds()
    return age <= settings.COURIER_LOCATION_MAX_AGE_S


# --- reporting a position: Redis is the live truth, MongoDB a copy written behind -----------------


def positions_key() -> str:
    """A hash: courier -> their latest position as JSON `{lat, lng, at}` (the live truth)."""
    return redis_key("couriers", "positions")


def unpersisted_key() -> str:
    """A set: couriers whose latest position MongoDB does not have yet (the write-behind's work)."""
    return redis_key("couriers", "unpersisted")


def tasks_key() -> str:
    """A hash: courier -> the deliveries they are on, `{delivery_id: task_of(delivery)}` as JSON, kept
    by every write of a delivery (a courier may carry several orders: ARCHITECTURE 4.7)."""
    return redis_key("couriers", "tasks")


def vehicles_key() -> str:
    return redis_key("couriers", "vehicles")


def available_key() -> str:
    """A set of the couriers who are available (a position from one of them may wake dispatch)."""
    return redis_key("couriers", "available")


# One round trip per report: the index, the latest position, the write-behind's note, and what the
# report needs back (the courier's delivery if any, their vehicle, whether they are available).
_REPORT = LuaScript("""
redis.call('GEOADD', KEYS[1], ARGV[2], ARGV[3], ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[5])
redis.call('SADD', KEYS[4], ARGV[1])
return {redis.call('HGET', KEYS[5], ARGV[1]) or '', redis.call('HGET', KEYS[6], ARGV[1]) or '',
        redis.call('SISMEMBER', KEYS[7], ARGV[1])}
""")


def _report_call(courier_id: str, lat: float, lng: float, now: datetime) -> tuple[list[str], list]:
    keys = [geo_key(), seen_key(), positions_key(), unpersisted_key(), tasks_key(), vehicles_key(), available_key()]
    position = json.dumps({"lat": lat, "lng": lng, "at": now.isoformat()})
    return keys, [courier_id, lng, lat, now.timestamp(), position]


@dataclasses.dataclass
class Reported:
    """What a position report found: the courier's deliveries (`task_of` each), vehicle, availability."""

    courier_id: str
    location: dict
    tasks: list[dict]
    vehicle: str | None
    available: bool
    # The replies of the commands the caller queued beside the report (`beside`), in their order;
    # empty when Redis did not answer.
    beside: list = dataclasses.field(default_factory=list)

    @property
    def task(self) -> dict | None:
        """One of their deliveries (None: they are on none)."""
        return self.tasks[0] if self.tasks else None


def _tasks(stored: str) -> list[dict]:
    """The courier's tasks as stored (`{delivery_id: task}`; one task alone, as kept before routes)."""
    if not stored:
        return []
    decoded = json.loads(stored)
    return [decoded] if "delivery_id" in decoded else sorted(decoded.values(), key=lambda t: t["delivery_id"])


def _reported(courier_id: str, location: dict, reply: list) -> Reported:
    tasks, vehicle, available = reply
    return Reported(courier_id, location, _tasks(tasks), vehicle or None, bool(int(available)))


async def courier_report_location(*, courier_id: str, lat: float, lng: float, beside=None) -> Reported:
    """Records a courier's position: in Redis at once (where dispatch and `GET /couriers/me` read
    it), in MongoDB within COURIER_LOCATION_PERSIST_S (`persist_positions`). Without Redis, in
    MongoDB directly (on a thread), as the truth it then is. Then the followers of their order, if
    they have one. On the event loop: a report takes no thread while Redis answers. `beside(pipe)`
    queues the caller's own commands in the report's round trip (their replies: `Reported.beside`)."""
    now = _now()
    location = {"lat": lat, "lng": lng, "at": now}
    try:
        keys, args = _report_call(courier_id, lat, lng, now)
        client = get_async_redis()
        pipe = client.pipeline(transaction=False)
        _REPORT.queue(pipe, keys, args)
        if beside is not None:
            beside(pipe)
        reply, *more = await pipe.execute(raise_on_error=False)
        reported = _reported(courier_id, location, await _REPORT.settled_async(client, reply, keys, args))
        reported.beside = more
    except (redis.RedisError, OSError):
        logger.warning("Redis unavailable: courier position written to MongoDB", extra={"courier_id": courier_id})
        return await sync_to_async(_report_to_mongo, thread_sensitive=False)(courier_id=courier_id, location=location)
    if reported.tasks:
        await tell_followers_async(reported)
    return reported


def _report_to_mongo(*, courier_id: str, location: dict) -> Reported:
    db = get_database()
    repository.courier_set_location(db, courier_id=courier_id, location=location)
    courier = repository.courier_get(db, courier_id=courier_id) or {}
    assignments = repository.assignments_of_courier(db, courier_id=courier_id)
    deliveries = [repository.delivery_by_id(db, delivery_id=a["delivery_id"]) for a in assignments]
    tasks = [task_of(d) for d in deliveries if d is not None and d["status"] in lifecycle.ACTIVE_STATES]
    reported = Reported(courier_id, location, tasks, courier.get("vehicle"), bool(courier.get("available")))
    if reported.tasks:
        tell_followers(reported)
    return reported


# Takes couriers off the write-behind's set only if their position is still the one just written
# (a newer report since stays to do). KEYS: the set, the positions. ARGV: courier, position, ...
_WRITTEN = LuaScript("""
local done = 0
for i = 1, #ARGV, 2 do
  if redis.call('HGET', KEYS[2], ARGV[i]) == ARGV[i + 1] then
    done = done + redis.call('SREM', KEYS[1], ARGV[i])
  end
end
return done
""")


def persist_positions(*, batch: int | None = None) -> int:
    """Writes the latest positions Redis has and MongoDB not yet, in bulk writes of `batch`
    (COURIER_LOCATION_PERSIST_BATCH) positions; returns how many changed.
    A courier leaves the to-do set only once their position is written (a writer that dies midway
    leaves its batch to the next), so it is safe in several replicas at once; the write never moves
    a position back (it is conditional on the stored one being older)."""
    batch = batch or settings.COURIER_LOCATION_PERSIST_BATCH
    client = get_redis()
    written = 0
    for _pass in range(1 + client.scard(unpersisted_key()) // batch + 1):
        couriers = client.srandmember(unpersisted_key(), batch)
        if not couriers:
            break
        raw = client.hmget(positions_key(), couriers)
        positions = {c: p for c, p in zip(couriers, raw, strict=True) if p}
        faults.point("positions.before_write")
        written += repository.couriers_set_locations(
            get_database(),
            locations={c: _parsed(p) for c, p in positions.items()},
        )
        POSITIONS_PERSISTED.inc(len(positions))
        args = [value for pair in positions.items() for value in pair]
        _WRITTEN.run(client, [unpersisted_key(), positions_key()], args)
        gone = [c for c in couriers if c not in positions]  # no position any more (Redis lost it)
        if gone:
            client.srem(unpersisted_key(), *gone)
        if len(couriers) < batch:
            break
    return written


def _parsed(position: str) -> dict:
    location = json.loads(position)
    return {**location, "at": datetime.fromisoformat(location["at"])}


def latest_position(courier_id: str) -> dict | None:
    """The courier's latest position `{lat, lng, at}` as Redis has it, or None (unknown, or Redis
    cannot say: the caller falls back to MongoDB's copy)."""
    try:
        raw = get_redis().hget(positions_key(), courier_id)
    except redis.RedisError:
        return None
    if not raw:
        return None
    return _parsed(raw)


def latest_positions(courier_ids: list[str]) -> dict[str, dict]:
    """`latest_position` of several couriers in one round trip; those Redis does not know are absent."""
    if not courier_ids:
        return {}
    try:
        found = get_redis().hmget(positions_key(), courier_ids)
    except redis.RedisError:
        return {}
    return {courier_id: _parsed(raw) for courier_id, raw in zip(courier_ids, found, strict=True) if raw}


def fresh_couriers(courier_ids: list[str]) -> set[str] | None:
    """Which of these couriers reported a position within COURIER_LOCATION_MAX_AGE_S, as Redis knows
    it; None when Redis cannot say (the caller uses MongoDB's copies)."""
    if not courier_ids:
        return set()
    try:
        seen = get_redis().zmscore(seen_key(), courier_ids)
    except redis.RedisError:
        return None
    oldest = time.time() - settings.COURIER_LOCATION_MAX_AGE_S
    return {c for c, at in zip(courier_ids, seen, strict=True) if at is not None and at >= oldest}


def task_of(delivery: dict) -> dict:
    """What a position report needs of the courier's delivery (kept in Redis by every delivery write)."""
    return {
        "delivery_id": str(delivery["_id"]),
        "order_id": delivery["order_id"],
        "status": delivery["status"],
        "pickup": delivery.get("pickup"),
        "dropoff": delivery.get("dropoff"),
    }


# Sets this delivery's task among the courier's (ARGV[3] '1': active) or removes it; the courier's
# field goes when no task is left. A field of one task alone (as kept before routes) is read as such.
_REMEMBER_TASK = LuaScript("""
local stored = redis.call('HGET', KEYS[1], ARGV[1])
local tasks = {}
if stored then
  local decoded = cjson.decode(stored)
  if decoded['delivery_id'] then tasks[decoded['delivery_id']] = decoded else tasks = decoded end
end
if ARGV[3] == '1' then tasks[ARGV[4]] = cjson.decode(ARGV[2]) else tasks[ARGV[4]] = nil end
if next(tasks) == nil then
  redis.call('HDEL', KEYS[1], ARGV[1])
else
  redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(tasks))
end
return 1
""")


def remember_task(delivery: dict) -> None:
    """Keeps the courier's task in Redis as the delivery changes (best effort: the reconciler
    refreshes it every pass)."""
    active = delivery["status"] in lifecycle.ACTIVE_STATES
    args = [delivery["courier_id"], json.dumps(task_of(delivery)), "1" if active else "0", str(delivery["_id"])]
    try:
        _REMEMBER_TASK.run(get_redis(), [tasks_key()], args)
    except redis.RedisError:
        logger.warning("courier's task not kept in Redis", extra={"courier_id": delivery["courier_id"]})


def forget_finished_tasks(db, *, live: set[str]) -> int:
    """Drops the tasks of finished deliveries that Redis still holds (the write that should have
    dropped one was lost), so a courier's positions stop reaching a past customer. `live`: the
    deliveries of the reconciler's assignments; any other is confirmed finished in MongoDB before
    it goes (deliveries are written there first, so one assigned since stays). Returns how many went."""
    try:
        held = get_redis().hgetall(tasks_key())
        suspects = {t["delivery_id"]: c for c, stored in held.items() for t in _tasks(stored)}
        suspects = {d: c for d, c in suspects.items() if d not in live and parse_object_id(d)}
        if not suspects:
            return 0
        found = repository.deliveries_by_ids(db, delivery_ids=[parse_object_id(d) for d in suspects])
        active = {str(d["_id"]) for d in found if d["status"] in lifecycle.ACTIVE_STATES}
        gone = [(courier, delivery) for delivery, courier in suspects.items() if delivery not in active]
        for courier, delivery in gone:
            _REMEMBER_TASK.run(get_redis(), [tasks_key()], [courier, "{}", "0", delivery])
    except redis.RedisError:
        return 0  # the next pass tries again
    if gone:
        logger.warning("finished deliveries dropped from couriers' tasks", extra={"count": len(gone)})
    return len(gone)


def remember_courier(courier: dict) -> None:
    """Keeps the courier's vehicle and availability in Redis, where a position report reads them."""
    try:
        pipe = get_redis().pipeline(transaction=False)
        pipe.hset(vehicles_key(), courier["_id"], courier.get("vehicle") or "")
        (pipe.sadd if courier.get("available") else pipe.srem)(available_key(), courier["_id"])
        pipe.execute()
    except redis.RedisError:
        logger.warning("courier's profile not kept in Redis", extra={"courier_id": courier["_id"]})


def _location_event(reported: Reported, task: dict) -> tuple[order_location.CourierLocation, str]:
    event: order_location.CourierLocation = {
        "order_id": task["order_id"],
        "courier_id": reported.courier_id,
        "lat": reported.location["lat"],
        "lng": reported.location["lng"],
        "at": reported.location["at"].isoformat(),
        "eta_s": eta_s(delivery=task, location=reported.location, vehicle=reported.vehicle),
    }
    return event, order_location.key(task["order_id"])


def _queue_locations(pipe, reported: Reported) -> list[tuple[dict, tuple]]:
    """Queues each of the courier's orders' read model and stream claim: [(event, stream entry)]."""
    queued = []
    for task in reported.tasks:
        event, key = _location_event(reported, task)
        published = order_stream.location_entry(event)
        _publish_location(pipe, key, event, topic=published[0])
        queued.append((event, published))
    return queued


def _granted(queued: list[tuple[dict, tuple]], replies: list) -> list[tuple]:
    """The stream entries whose interval this report is the first of (two replies per order)."""
    return [published for n, (_event, published) in enumerate(queued) if throttle.granted(replies[2 * n + 1])]


def tell_followers(reported: Reported) -> None:
    """The position to the followers of each of the courier's orders: the latest as a key, an event on
    the order's stream at most once every LOCATION_EVENT_MIN_INTERVAL_S, the arrival to the order service."""
    try:
        pipe = get_redis().pipeline(transaction=False)
        queued = _queue_locations(pipe, reported)
        firsts = _granted(queued, pipe.execute())
    except redis.RedisError:
        logger.warning("courier position not published", extra={"courier_id": reported.courier_id})
        return
    if firsts:
        streams.publish(firsts)
    for (event, _published), task in zip(queued, reported.tasks, strict=True):
        _arrival(reported, event, task)


async def tell_followers_async(reported: Reported) -> None:
    """`tell_followers` on the event loop."""
    try:
        pipe = get_async_redis().pipeline(transaction=False)
        queued = _queue_locations(pipe, reported)
        firsts = _granted(queued, await pipe.execute())
    except (redis.RedisError, OSError):
        logger.warning("courier position not published", extra={"courier_id": reported.courier_id})
        return
    if firsts:
        await streams.publish_async(firsts)
    for (event, _published), task in zip(queued, reported.tasks, strict=True):
        _arrival(reported, event, task)


def _publish_location(pipe, key: str, event: order_location.CourierLocation, *, topic: str) -> None:
    """Queues the read model's write and the claim of this interval's stream event (the first report
    of each LOCATION_EVENT_MIN_INTERVAL_S per order goes to the order's stream)."""
    pipe.set(key, order_location.encode(event), ex=max(1, round(settings.COURIER_LOCATION_MAX_AGE_S)))
    throttle.claim(pipe, topic, order_stream.LOCATION, interval_s=settings.LOCATION_EVENT_MIN_INTERVAL_S)


def _arrival(reported: Reported, event: dict, task: dict) -> None:
    if event["eta_s"] is None:
        return
    tell_order_of_arrival(
        order_id=event["order_id"],
        courier_id=reported.courier_id,
        leg="dropoff" if task["status"] == lifecycle.PICKED_UP else "pickup",
        at=reported.location["at"] + timedelta(seconds=event["eta_s"]),
        speed_kmh=speed_kmh(reported.vehicle),
    )


# The arrival last sent per order and leg (in this process): the order service re-estimates only on
# moves of a minute or more, so smaller ones are not even sent. An optimisation, never the truth.
_arrivals_sent: dict[tuple[str, str], datetime] = {}
_ARRIVALS_KEPT = 10_000


def _send_arrivals(etas: list[dict]) -> None:
    try:
        clients.order_courier_etas(etas)
    except ApiError:
        logger.warning("courier arrivals not sent; the order's estimates move on by themselves meanwhile")


_arrivals = Coalescer("courier-arrivals", _send_arrivals, newer=lambda new, old: True)


def tell_order_of_arrival(*, order_id: str, courier_id: str, leg: str, at: datetime, speed_kmh: float) -> None:
    sent = _arrivals_sent.get((order_id, leg))
    if sent is not None and abs((at - sent).total_seconds()) < 60:
        return
    if len(_arrivals_sent) > _ARRIVALS_KEPT:
        _arrivals_sent.clear()
    _arrivals_sent[(order_id, leg)] = at
    _arrivals.add(
        f"{order_id}:{leg}",
        {"order_id": order_id, "courier_id": courier_id, "leg": leg, "at": at.isoformat(), "speed_kmh": speed_kmh},
    )


def courier_heading_to(db, *, courier_id: str, target: dict | None) -> tuple[float, str | None]:
    """(the courier's speed, when they should reach `target` from their last fresh position, or None)."""
    courier = repository.courier_get(db, courier_id=courier_id) or {}
    speed = speed_kmh(courier.get("vehicle"))
    location = latest_position(courier_id) or courier.get("location")
    if not is_fresh(location) or not geo.has_coordinates(target):
        return speed, None
    km = geo.distance_km(location["lat"], location["lng"], target["lat"], target["lng"])
    return speed, (_now() + timedelta(hours=km / speed)).isoformat()


def speed_kmh(vehicle: str | None) -> float:
    speeds = _speed_table(settings.COURIER_SPEEDS_KMH)
    return speeds.get((vehicle or "").strip().lower(), settings.COURIER_DEFAULT_SPEED_KMH)


@functools.cache
def _speed_table(spec: str) -> dict[str, float]:
    """ "bicycle:15,car:25" as a table, parsed once per value of the setting."""
    speeds = {}
    for pair in spec.split(","):
        name, _, value = pair.partition(":")
        if name.strip() and value.strip():
            speeds[name.strip().lower()] = float(value)
    return speeds


def eta_s(*, delivery: dict, location: dict, vehicle: str | None) -> int | None:
    """Seconds to the restaurant before pickup, to the customer after; an estimate from the
    straight-line distance and the vehicle's speed. None without coordinates for the leg."""
    target = delivery.get("dropoff") if delivery["status"] == lifecycle.PICKED_UP else delivery.get("pickup")
    if not geo.has_coordinates(target):
        return None
    distance = geo.distance_km(location["lat"], location["lng"], target["lat"], target["lng"])
    return round(distance / speed_kmh(vehicle) * 3600)
