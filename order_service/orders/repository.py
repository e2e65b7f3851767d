"""Every MongoDB query of the order service."""

from __future__ import annotations

from datetime import datetime

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from common.mongo import claim_once

ORDERS = "orders"
# Unique keys for "this happens once" facts: leaving a state, getting a courier
# (see common.mongo.claim_once for why conditional updates alone are not enough on FerretDB v1).
GUARDS = "guards"

NEWEST_FIRST = [("created_at", DESCENDING), ("_id", DESCENDING)]
OLDEST_FIRST = [("created_at", ASCENDING), ("_id", ASCENDING)]


def ensure_indexes(db: Database) -> list[str]:
    return [
        # An order placed twice with the same Idempotency-Key exists once (ARCHITECTURE 4.2).
        db[ORDERS].create_index(
            [("customer_id", ASCENDING), ("idempotency_key", ASCENDING)], unique=True, name="customer_idempotency_key"
        ),
        db[ORDERS].create_index([("customer_id", ASCENDING), *NEWEST_FIRST], name="customer_history"),
        db[ORDERS].create_index(
            [("restaurant_id", ASCENDING), ("status", ASCENDING), *NEWEST_FIRST], name="restaurant_orders"
        ),
        db[ORDERS].create_index(
            [("courier_id", ASCENDING), ("status", ASCENDING), *OLDEST_FIRST], name="awaiting_courier"
        ),
    ]


class DuplicateOrder(Exception):
    pass


def order_insert(db: Database, *, document: dict) -> dict:
    try:
        document["_id"] = db[ORDERS].insert_one(document).inserted_id
    except DuplicateKeyError as exc:
        raise DuplicateOrder from exc
    return document


def order_get(db: Database, *, order_id: ObjectId) -> dict | None:
    return db[ORDERS].find_one({"_id": order_id})


def order_by_idempotency_key(db: Database, *, customer_id: str, key: str) -> dict | None:
    return db[ORDERS].find_one({"customer_id": customer_id, "idempotency_key": key})


def transition_claim(
    db: Database, *, order_id: ObjectId, current: str, target: str, actor_type: str, actor_id: str
) -> bool:
    """The single winner of leaving `current` for this order (the guard records its move)."""
    return claim_once(
        db[GUARDS], f"leave:{order_id}:{current}", target=target, actor_type=actor_type, actor_id=actor_id
    )


def transition_guard(db: Database, *, order_id: ObjectId, current: str) -> dict | None:
    return db[GUARDS].find_one({"_id": f"leave:{order_id}:{current}"})


def order_apply_transition(
    db: Database, *, order_id: ObjectId, current: str, target: str, entry: dict, now: datetime
) -> dict | None:
    # The expected state in the filter keeps this conditional on MongoDB as well.
    return db[ORDERS].find_one_and_update(
        {"_id": order_id, "status": current},
        {"$set": {"status": target, "updated_at": now}, "$push": {"history": entry}},
        return_document=ReturnDocument.AFTER,
    )


def courier_claim(db: Database, *, order_id: ObjectId, courier_id: str) -> bool:
    """At most one courier per order, whatever races."""
    return claim_once(db[GUARDS], f"courier:{order_id}", courier_id=courier_id)


def order_set_courier(
    db: Database, *, order_id: ObjectId, courier_id: str, delivery_id: str, now: datetime
) -> dict | None:
    return db[ORDERS].find_one_and_update(
        {"_id": order_id, "courier_id": None},
        {"$set": {"courier_id": courier_id, "delivery_id": delivery_id, "assigned_at": now, "updated_at": now}},
        return_document=ReturnDocument.AFTER,
    )


def orders_page(db: Database, *, query: dict, skip: int, limit: int) -> tuple[int, list[dict]]:
    count = db[ORDERS].count_documents(query)
    return count, list(db[ORDERS].find(query).sort(NEWEST_FIRST).skip(skip).limit(limit))


def orders_awaiting_courier(db: Database, *, states: tuple[str, ...], limit: int) -> list[dict]:
    """Oldest first: the order waiting longest gets the next free courier."""
    query = {"courier_id": None, "status": {"$in": list(states)}}
    return list(db[ORDERS].find(query).sort(OLDEST_FIRST).limit(limit))
