"""Every MongoDB query of the delivery service: couriers, active assignments, deliveries."""

from __future__ import annotations

import enum
from datetime import datetime

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, ReturnDocument, UpdateOne
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from common.mongo import moved, once_per_database
from deliveries import lifecycle

COURIERS = "couriers"
# One document per order a courier carries: `_id` is one of the courier's slots, "<courier>:<n>" for
# n below their capacity (DISPATCH_MAX_ORDERS_PER_COURIER, 1 with the nearest policy), so a courier
# has at most that many active deliveries, and `order_id` is unique (at most one courier per order).
# Claiming a courier is inserting this document, which the storage engine lets exactly one racer do
# per slot, on MongoDB and on FerretDB alike; releasing is deleting it.
ASSIGNMENTS = "active_assignments"
DELIVERIES = "deliveries"
# Operators' decisions about an order (deliveries/manual.py), one document per order they touched:
# `_id` is the order; `pinned`/`pinned_to` (assigned by hand), `excluded` (taken from these couriers
# by hand), `action` (the operator action under way on it, `under_way` while it is).
DECISIONS = "manual_decisions"


def ensure_indexes(db: Database) -> list[str]:
    created = [
        db[ASSIGNMENTS].create_index([("order_id", ASCENDING)], unique=True, name="one_courier_per_order"),
        db[ASSIGNMENTS].create_index([("courier_id", ASCENDING)], name="courier"),
        db[COURIERS].create_index([("available", ASCENDING), ("available_since", ASCENDING)], name="free"),
        # Couriers on duty by their string mark (the local store scans the collection for a boolean).
        db[COURIERS].create_index([("duty", ASCENDING), ("available_since", ASCENDING)], name="on_duty"),
        db[DELIVERIES].create_index([("courier_id", ASCENDING), ("created_at", DESCENDING)], name="courier"),
        db[DELIVERIES].create_index([("order_id", ASCENDING)], name="order"),
        db[DECISIONS].create_index([("pinned", ASCENDING)], name="pinned"),
        db[DECISIONS].create_index([("under_way", ASCENDING)], name="under_way"),
    ]
    couriers_mark_duty_backfill(db)
    return created


# `duty` mirrors `available` as a string, written with it: an equality the local store answers from
# the `on_duty` index, as MongoDB does for the boolean (issue #42: 100,000 couriers scanned per pass).
ON_DUTY, OFF_DUTY = "on", "off"


def _with_duty(changes: dict) -> dict:
    if "available" in changes:
        return {**changes, "duty": ON_DUTY if changes["available"] else OFF_DUTY}
    return changes


@once_per_database("duty-mark")
def couriers_mark_duty_backfill(db: Database) -> int:
    """Marks couriers stored before `duty` existed (afterwards every write keeps the mark)."""
    marked = 0
    for courier in db[COURIERS].find({"duty": {"$exists": False}}, {"available": 1}):
        db[COURIERS].update_one({"_id": courier["_id"]}, {"$set": _with_duty({"available": courier.get("available")})})
        marked += 1
    return marked


def courier_get(db: Database, *, courier_id: str) -> dict | None:
    return db[COURIERS].find_one({"_id": courier_id})


def couriers_by_ids(db: Database, *, courier_ids: list[str]) -> list[dict]:
    return list(db[COURIERS].find({"_id": {"$in": courier_ids}}))


def courier_insert(db: Database, *, document: dict) -> dict:
    document.update(_with_duty({"available": document.get("available", False)}))
    try:
        db[COURIERS].insert_one(document)
    except DuplicateKeyError:
        return db[COURIERS].find_one({"_id": document["_id"]})
    return document


def courier_update(db: Database, *, courier_id: str, changes: dict) -> dict | None:
    return db[COURIERS].find_one_and_update(
        {"_id": courier_id}, {"$set": _with_duty(changes)}, return_document=ReturnDocument.AFTER
    )


def courier_set_location(db: Database, *, courier_id: str, location: dict) -> None:
    db[COURIERS].update_one({"_id": courier_id}, {"$set": {"location": location}})


def couriers_set_locations(db: Database, *, locations: dict[str, dict]) -> int:
    """Stores each courier's latest position unless the stored one is as new or newer (the write-
    behind from Redis); returns how many changed."""
    if not locations:
        return 0
    updates = [
        UpdateOne(
            {"_id": courier_id, "$or": [{"location.at": {"$lt": location["at"]}}, {"location": None}]},
            {"$set": {"location": location}},
        )
        for courier_id, location in locations.items()
    ]
    return db[COURIERS].bulk_write(updates, ordered=False).modified_count


def couriers_located_since(db: Database, *, since: datetime) -> list[dict]:
    """Available couriers with a position reported since `since` (dispatch without Redis)."""
    return list(db[COURIERS].find({"duty": ON_DUTY, "available": True, "location.at": {"$gte": since}}))


def couriers_free(db: Database, *, limit: int, capacity: int = 1) -> list[dict]:
    """Available couriers with room for another order (fewer than `capacity` active deliveries),
    the longest waiting first."""
    carried: dict[str, int] = {}
    for a in db[ASSIGNMENTS].find({}, {"courier_id": 1}):
        carried[a["courier_id"]] = carried.get(a["courier_id"], 0) + 1
    busy = {courier_id for courier_id, n in carried.items() if n >= capacity}
    candidates = (
        db[COURIERS]
        .find({"duty": ON_DUTY, "available": True})
        .sort([("available_since", ASCENDING), ("_id", ASCENDING)])
    )
    return [c for c in candidates.limit(limit + len(busy)) if c["_id"] not in busy][:limit]


def couriers_available(db: Database) -> list[dict]:
    """Every courier on duty (the plan's vehicles)."""
    return list(db[COURIERS].find({"duty": ON_DUTY, "available": True}))


class Claim(enum.Enum):
    CLAIMED = "claimed"
    COURIER_BUSY = "courier_busy"  # other orders got every slot of this courier first
    ORDER_TAKEN = "order_taken"  # the order already has an assignment


def slot_id(courier_id: str, slot: int) -> str:
    return f"{courier_id}:{slot}"


def assignment_claim(
    db: Database, *, courier_id: str, order_id: str, delivery_id: ObjectId, now: datetime, capacity: int = 1
) -> Claim:
    """The assignment itself: one insert into a free slot of the courier, which the two unique keys
    (the slot, the order) let exactly one racer make per slot and one per order."""
    document = {"courier_id": courier_id, "order_id": order_id, "delivery_id": delivery_id, "at": now}
    for slot in range(max(1, capacity)):
        try:
            db[ASSIGNMENTS].insert_one({"_id": slot_id(courier_id, slot), **document})
        except DuplicateKeyError:
            if assignment_of_order(db, order_id=order_id) is not None:
                return Claim.ORDER_TAKEN
            continue  # this slot is taken: the next one
        return Claim.CLAIMED
    return Claim.COURIER_BUSY


def couriers_full(db: Database, *, courier_ids: list[str], capacity: int) -> set[str]:
    """Those of the couriers whose every slot (of `capacity`) is taken: one read by slot id, where a
    claim on each would cost an insert refused per slot and a read."""
    slots = [slot_id(courier_id, slot) for courier_id in courier_ids for slot in range(max(1, capacity))]
    taken: dict[str, int] = {}
    for assignment in db[ASSIGNMENTS].find({"_id": {"$in": slots}}, {"courier_id": 1}) if slots else []:
        taken[assignment["courier_id"]] = taken.get(assignment["courier_id"], 0) + 1
    return {courier_id for courier_id, count in taken.items() if count >= max(1, capacity)}


def assignment_of_order(db: Database, *, order_id: str) -> dict | None:
    return db[ASSIGNMENTS].find_one({"order_id": order_id})


def assignments_all(db: Database) -> list[dict]:
    """Every active assignment: one per busy courier, so bounded by the number of couriers."""
    return list(db[ASSIGNMENTS].find({}))


def assignments_of_courier(db: Database, *, courier_id: str) -> list[dict]:
    """The courier's assignments, the oldest first."""
    return list(db[ASSIGNMENTS].find({"courier_id": courier_id}).sort([("at", ASCENDING), ("_id", ASCENDING)]))


def assignment_release(db: Database, *, courier_id: str, order_id: str) -> bool:
    return db[ASSIGNMENTS].delete_one({"courier_id": courier_id, "order_id": order_id}).deleted_count == 1


def delivery_insert_once(db: Database, *, document: dict) -> bool:
    """Creates the delivery unless it exists: its `_id` was chosen when the assignment was
    claimed, so a repeat (a retry, the reconciler) cannot create a second one. True if it did."""
    # Every write bumps `version`: the courier's live feed orders a delivery's states by it.
    document.setdefault("version", 1)
    try:
        db[DELIVERIES].insert_one(document)
    except DuplicateKeyError:
        return False
    return True


def delivery_by_id(db: Database, *, delivery_id: ObjectId) -> dict | None:
    return db[DELIVERIES].find_one({"_id": delivery_id})


def delivery_get(db: Database, *, delivery_id: ObjectId, courier_id: str) -> dict | None:
    # The courier is part of the filter: another courier's delivery is "not found".
    return db[DELIVERIES].find_one({"_id": delivery_id, "courier_id": courier_id})


def delivery_set_status(
    db: Database,
    *,
    delivery_id: ObjectId,
    current: str,
    target: str,
    entry: dict,
    now: datetime,
    mirror: dict | None = None,
) -> dict | None:
    """One conditional update: of several racing requests, only the one that finds `current` moves it.
    `mirror`: the order (status, version) to copy onto the delivery in the same write."""
    changes = {"status": target, "updated_at": now}
    if mirror is not None:
        changes.update(order_mirror(mirror))
    return moved(db[DELIVERIES], {"_id": delivery_id, "status": current}, changes, entry)


def order_mirror(order: dict) -> dict:
    """The order's facts a delivery keeps for its courier: status, version, and what the order's
    table lets the courier do next (deliveries/lifecycle.py)."""
    return {
        "order_status": order["status"],
        "order_version": order["version"],
        "order_courier_actions": lifecycle.order_courier_actions(order),
    }


def delivery_mirror_order(db: Database, *, delivery_id: ObjectId, order: dict, now: datetime) -> dict | None:
    """Copies the order's state the courier needs (its status, as the order service owns it) onto the
    delivery, unless the delivery already has that order version or a newer one; None then."""
    return db[DELIVERIES].find_one_and_update(
        {
            "_id": delivery_id,
            "$or": [{"order_version": {"$lt": order["version"]}}, {"order_version": {"$exists": False}}],
        },
        {"$set": {**order_mirror(order), "updated_at": now}, "$inc": {"version": 1}},
        return_document=ReturnDocument.AFTER,
    )


def deliveries_active_of_couriers(db: Database, *, courier_ids: list[str], states: list[str]) -> list[dict]:
    """The couriers' deliveries in `states` (the couriers' live feeds' truth)."""
    return list(db[DELIVERIES].find({"courier_id": {"$in": courier_ids}, "status": {"$in": states}}))


def deliveries_by_ids(db: Database, *, delivery_ids: list[ObjectId]) -> list[dict]:
    return list(db[DELIVERIES].find({"_id": {"$in": delivery_ids}}))


def deliveries_page(db: Database, *, courier_id: str, status: str | None, skip: int, limit: int):
    query: dict = {"courier_id": courier_id}
    if status:
        query["status"] = status
    count = db[DELIVERIES].count_documents(query)
    documents = db[DELIVERIES].find(query).sort([("created_at", DESCENDING), ("_id", DESCENDING)])
    return count, list(documents.skip(skip).limit(limit))


def deliveries_listed(db: Database, *, courier_id: str):
    """Every delivery of the courier, only what their list's ranked index keeps (deliveries/courier_list.py)."""
    return db[DELIVERIES].find({"courier_id": courier_id}, {"created_at": 1})


def deliveries_in_order(db: Database, *, delivery_ids: list[str]) -> list[dict]:
    """These deliveries, in the order of `delivery_ids` (a page of a ranked index)."""
    oids = [ObjectId(delivery_id) for delivery_id in delivery_ids]
    found = {d["_id"]: d for d in db[DELIVERIES].find({"_id": {"$in": oids}})} if oids else {}
    return [found[oid] for oid in oids if oid in found]


def couriers_page(db: Database, *, available: bool | None, skip: int, limit: int) -> tuple[int, list[dict]]:
    """Couriers in id order (the operators' list), optionally only those on duty or off it."""
    query = {} if available is None else {"duty": ON_DUTY if available else OFF_DUTY}
    count = db[COURIERS].count_documents(query)
    return count, list(db[COURIERS].find(query).sort([("_id", ASCENDING)]).skip(skip).limit(limit))


def couriers_after(db: Database, *, after: str | None, limit: int) -> list[dict]:
    """At most `limit` couriers in id order, from the one after `after` (the `_id` index)."""
    query = {} if after is None else {"_id": {"$gt": after}}
    return list(db[COURIERS].find(query).sort([("_id", ASCENDING)]).limit(limit))


def courier_ids(db: Database, *, duty: str | None = None):
    """Every courier, or those on or off duty by the `on_duty` index (only their ids) (building the
    operators' lists: deliveries/courier_list.py)."""
    return db[COURIERS].find({"duty": duty} if duty else {}, {"_id": 1})


def couriers_in_order(db: Database, *, courier_ids: list[str]) -> list[dict]:
    """These couriers, in the order of `courier_ids` (a page of a ranked index)."""
    found = {c["_id"]: c for c in db[COURIERS].find({"_id": {"$in": courier_ids}})} if courier_ids else {}
    return [found[courier_id] for courier_id in courier_ids if courier_id in found]


def assignments_of_orders(db: Database, *, order_ids: list[str]) -> list[dict]:
    return list(db[ASSIGNMENTS].find({"order_id": {"$in": order_ids}}))


# --- operators' decisions (deliveries/manual.py) ------------------------------------------------------


def decision_get(db: Database, *, order_id: str) -> dict | None:
    return db[DECISIONS].find_one({"_id": order_id})


def decisions_of_orders(db: Database, *, order_ids: list[str]) -> list[dict]:
    return list(db[DECISIONS].find({"_id": {"$in": order_ids}}))


def decisions_pinned(db: Database) -> list[dict]:
    """Every order assigned by hand that has not finished yet (kept small: settled pins are dropped)."""
    return list(db[DECISIONS].find({"pinned": True}))


def decision_pin(db: Database, *, order_id: str, courier_id: str, now: datetime) -> None:
    """The order goes to this courier and nobody else; they are no longer excluded from it."""
    db[DECISIONS].update_one(
        {"_id": order_id},
        {"$set": {"pinned": True, "pinned_to": courier_id, "updated_at": now}, "$pull": {"excluded": courier_id}},
        upsert=True,
    )


def decision_pin_instead(db: Database, *, order_id: str, courier_id: str, excluded: list[str], now: datetime) -> None:
    """`decision_pin` and `decision_exclude` in one write, for an order moved from one courier to
    another by hand: `excluded` is the whole list, worked out by the operator action under way on
    the order (the only writer of `excluded` while it is)."""
    db[DECISIONS].update_one(
        {"_id": order_id},
        {"$set": {"pinned": True, "pinned_to": courier_id, "excluded": excluded, "updated_at": now}},
        upsert=True,
    )


def decision_unpin(db: Database, *, order_id: str, courier_id: str | None = None, now: datetime) -> None:
    """Drops the pin (only if it names `courier_id`, when given)."""
    query: dict = {"_id": order_id, "pinned": True}
    if courier_id is not None:
        query["pinned_to"] = courier_id
    db[DECISIONS].update_one(query, {"$set": {"pinned": False, "pinned_to": None, "updated_at": now}})


def decision_exclude(db: Database, *, order_id: str, courier_id: str, now: datetime) -> None:
    """The order is never given back to this courier; a pin to them is dropped."""
    db[DECISIONS].update_one(
        {"_id": order_id}, {"$addToSet": {"excluded": courier_id}, "$set": {"updated_at": now}}, upsert=True
    )
    decision_unpin(db, order_id=order_id, courier_id=courier_id, now=now)


def decision_unexclude(db: Database, *, order_id: str, courier_id: str, now: datetime) -> None:
    db[DECISIONS].update_one({"_id": order_id}, {"$pull": {"excluded": courier_id}, "$set": {"updated_at": now}})


def decision_begin_action(db: Database, *, order_id: str, action: dict, now: datetime) -> dict | None:
    """Records an operator action as under way on the order, unless another one is: of two racing
    actions on one order, one is recorded (the filter, or the unique `_id` of the upsert). Answers
    the order's decisions as recorded (None: another action is under way)."""
    try:
        return db[DECISIONS].find_one_and_update(
            {"_id": order_id, "under_way": {"$ne": True}},
            {"$set": {"action": action, "under_way": True, "updated_at": now}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
    except DuplicateKeyError:
        return None


def decision_end_action(db: Database, *, order_id: str, action_id: str, now: datetime) -> bool:
    result = db[DECISIONS].update_one(
        {"_id": order_id, "under_way": True, "action.id": action_id},
        {"$set": {"under_way": False, "updated_at": now}},
    )
    return result.modified_count == 1


def decisions_under_way(db: Database, *, limit: int) -> list[dict]:
    return list(db[DECISIONS].find({"under_way": True}).limit(limit))
