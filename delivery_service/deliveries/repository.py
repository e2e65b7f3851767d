"""Every MongoDB query of the delivery service: couriers, active assignments, deliveries."""

from __future__ import annotations

from datetime import datetime

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

COURIERS = "couriers"
# One document per courier who is on a delivery: `_id` is the courier (at most one active delivery
# per courier) and `order_id` is unique (at most one courier per order). Claiming a courier is
# inserting this document, which the storage engine lets exactly one racer do, on MongoDB and on
# FerretDB alike; releasing is deleting it.
ASSIGNMENTS = "active_assignments"
DELIVERIES = "deliveries"


def ensure_indexes(db: Database) -> list[str]:
    return [
        db[ASSIGNMENTS].create_index([("order_id", ASCENDING)], unique=True, name="one_courier_per_order"),
        db[COURIERS].create_index([("available", ASCENDING), ("available_since", ASCENDING)], name="free"),
        db[DELIVERIES].create_index([("courier_id", ASCENDING), ("created_at", DESCENDING)], name="courier"),
        db[DELIVERIES].create_index([("order_id", ASCENDING)], name="order"),
    ]


def courier_get(db: Database, *, courier_id: str) -> dict | None:
    return db[COURIERS].find_one({"_id": courier_id})


def courier_insert(db: Database, *, document: dict) -> dict:
    try:
        db[COURIERS].insert_one(document)
    except DuplicateKeyError:
        return db[COURIERS].find_one({"_id": document["_id"]})
    return document


def courier_update(db: Database, *, courier_id: str, changes: dict) -> dict | None:
    return db[COURIERS].find_one_and_update(
        {"_id": courier_id}, {"$set": changes}, return_document=ReturnDocument.AFTER
    )


def couriers_free(db: Database, *, limit: int) -> list[dict]:
    """Available couriers without an active delivery, the longest waiting first."""
    busy = {a["_id"] for a in db[ASSIGNMENTS].find({}, {"_id": 1})}
    candidates = db[COURIERS].find({"available": True}).sort([("available_since", ASCENDING), ("_id", ASCENDING)])
    return [c for c in candidates.limit(limit + len(busy)) if c["_id"] not in busy][:limit]


def assignment_claim(db: Database, *, courier_id: str, order_id: str, delivery_id: ObjectId, now: datetime) -> bool:
    try:
        db[ASSIGNMENTS].insert_one({"_id": courier_id, "order_id": order_id, "delivery_id": delivery_id, "at": now})
    except DuplicateKeyError:
        return False
    return True


def assignment_of_courier(db: Database, *, courier_id: str) -> dict | None:
    return db[ASSIGNMENTS].find_one({"_id": courier_id})


def assignment_release(db: Database, *, courier_id: str, order_id: str) -> bool:
    return db[ASSIGNMENTS].delete_one({"_id": courier_id, "order_id": order_id}).deleted_count == 1


def assignment_release_order(db: Database, *, order_id: str) -> dict | None:
    return db[ASSIGNMENTS].find_one_and_delete({"order_id": order_id})


def assignment_exists(db: Database, *, courier_id: str, order_id: str) -> bool:
    return db[ASSIGNMENTS].count_documents({"_id": courier_id, "order_id": order_id}) == 1


def delivery_insert(db: Database, *, document: dict) -> dict:
    db[DELIVERIES].insert_one(document)
    return document


def delivery_get(db: Database, *, delivery_id: ObjectId, courier_id: str) -> dict | None:
    # The courier is part of the filter: another courier's delivery is "not found".
    return db[DELIVERIES].find_one({"_id": delivery_id, "courier_id": courier_id})


def delivery_set_status(
    db: Database, *, delivery_id: ObjectId, current: str, target: str, entry: dict, now: datetime
) -> dict | None:
    """One conditional update: of several racing requests, only the one that finds `current` moves it."""
    return db[DELIVERIES].find_one_and_update(
        {"_id": delivery_id, "status": current},
        {"$set": {"status": target, "updated_at": now}, "$push": {"history": entry}},
        return_document=ReturnDocument.AFTER,
    )


def deliveries_cancel_for_order(db: Database, *, order_id: str, entry: dict, now: datetime) -> None:
    db[DELIVERIES].update_many(
        {"order_id": order_id, "status": "assigned"},
        {"$set": {"status": "cancelled", "updated_at": now}, "$push": {"history": entry}},
    )


def deliveries_page(db: Database, *, courier_id: str, status: str | None, skip: int, limit: int):
    query: dict = {"courier_id": courier_id}
    if status:
        query["status"] = status
    count = db[DELIVERIES].count_documents(query)
    documents = db[DELIVERIES].find(query).sort([("created_at", DESCENDING), ("_id", DESCENDING)])
    return count, list(documents.skip(skip).limit(limit))
