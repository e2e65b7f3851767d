"""Every MongoDB query of the order service."""

from __future__ import annotations

from datetime import datetime

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from common.mongo import moved
from orders.lifecycle import DISPATCH_ASSIGNED, DISPATCH_CLOSED, DISPATCH_WAITING

ORDERS = "orders"
# The operators' audit log (orders/operators.py): one entry per operator action, never deleted.
OPERATOR_ACTIONS = "operator_actions"

NEWEST_FIRST = [("created_at", DESCENDING), ("_id", DESCENDING)]
OLDEST_FIRST = [("created_at", ASCENDING), ("_id", ASCENDING)]
NEWEST_ACTIONS = [("at", DESCENDING), ("_id", DESCENDING)]
# An order's dispatch states while it is live: the operators' list of the city's orders.
LIVE = (DISPATCH_WAITING, DISPATCH_ASSIGNED)


def closed_hour(at: datetime) -> str:
    """The hour an order finished in (UTC), kept on it: "finished lately" is an indexed equality on
    a few hours (MongoDB-compatible servers without range push-down answer it from the index too)."""
    return at.strftime("%Y-%m-%dT%H")


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
        # The delivery service's two queries: the waiting queue (oldest first) and live orders with a courier.
        db[ORDERS].create_index([("dispatch", ASCENDING), *OLDEST_FIRST], name="dispatch_queue"),
        # The operators' list of orders finished lately: an equality on the hour they finished in.
        db[ORDERS].create_index([("closed_hour", ASCENDING), ("closed_at", DESCENDING)], name="closed_lately"),
        db[OPERATOR_ACTIONS].create_index(NEWEST_ACTIONS, name="actions_newest"),
        db[OPERATOR_ACTIONS].create_index([("order_id", ASCENDING), *NEWEST_ACTIONS], name="actions_of_order"),
        db[OPERATOR_ACTIONS].create_index([("operator_id", ASCENDING), *NEWEST_ACTIONS], name="actions_of_operator"),
        db[OPERATOR_ACTIONS].create_index([("outcome", ASCENDING), ("at", ASCENDING)], name="actions_by_outcome"),
    ]


class DuplicateOrder(Exception):
    pass


def order_insert(db: Database, *, document: dict) -> dict:
    # Every write bumps `version`: live streams order an order's states by it (common/streams/).
    document.setdefault("version", 1)
    try:
        document["_id"] = db[ORDERS].insert_one(document).inserted_id
    except DuplicateKeyError as exc:
        raise DuplicateOrder from exc
    return document


def order_get(db: Database, *, order_id: ObjectId) -> dict | None:
    return db[ORDERS].find_one({"_id": order_id})


def order_by_idempotency_key(db: Database, *, customer_id: str, key: str) -> dict | None:
    return db[ORDERS].find_one({"customer_id": customer_id, "idempotency_key": key})


def order_apply_transition(
    db: Database,
    *,
    order_id: ObjectId,
    current: str,
    target: str,
    party: dict,
    entry: dict,
    now: datetime,
    closes: bool,
    changes: dict | None = None,
    unless_voided: str | None = None,
) -> dict | None:
    """Moves the order from `current` to `target` in one conditional update, or returns None.

    The filter names the state the move starts from and the acting party (`{"customer_id": ...}`),
    so of several racing requests exactly one matches, and history gets exactly one entry. An
    operator action's move also names the action, which must not have been voided meanwhile.
    """
    changes = {
        **(changes or {}),
        "status": target,
        "updated_at": now,
        **({"dispatch": DISPATCH_CLOSED, "closed_at": now, "closed_hour": closed_hour(now)} if closes else {}),
    }
    fence = {"voided_actions": {"$ne": unless_voided}} if unless_voided else {}
    return moved(db[ORDERS], {"_id": order_id, "status": current, **party, **fence}, changes, entry)


def order_set_courier(
    db: Database,
    *,
    order_id: ObjectId,
    courier_id: str,
    delivery_id: str,
    states: tuple[str, ...],
    now: datetime,
    changes: dict | None = None,
) -> dict | None:
    """Records the order's courier (and `changes` with it) if it has none, is in one of `states`
    and this delivery was not taken off it by hand (`order_revoke_delivery`); None otherwise."""
    return db[ORDERS].find_one_and_update(
        {
            "_id": order_id,
            "courier_id": None,
            "status": {"$in": list(states)},
            "revoked_deliveries": {"$ne": delivery_id},
        },
        {
            "$set": {
                **(changes or {}),
                "courier_id": courier_id,
                "delivery_id": delivery_id,
                "dispatch": DISPATCH_ASSIGNED,
                "assigned_at": now,
                "updated_at": now,
            },
            "$inc": {"version": 1},
        },
        return_document=ReturnDocument.AFTER,
    )


def order_clear_courier(
    db: Database,
    *,
    order_id: ObjectId,
    delivery_id: str,
    states: tuple[str, ...],
    now: datetime,
    revoke: bool = False,
) -> dict | None:
    """Forgets the courier of delivery `delivery_id` (and only that one) while the order still
    waits for pickup: the order is back in the queue. None when it names another delivery.
    `revoke`: the delivery is revoked for good in the same write (`order_revoke_delivery`)."""
    return db[ORDERS].find_one_and_update(
        {"_id": order_id, "delivery_id": delivery_id, "status": {"$in": list(states)}},
        {
            "$set": {"courier_id": None, "delivery_id": None, "dispatch": DISPATCH_WAITING, "updated_at": now},
            "$inc": {"version": 1},
            **({"$addToSet": {"revoked_deliveries": delivery_id}} if revoke else {}),
        },
        return_document=ReturnDocument.AFTER,
    )


def order_revoke_delivery(db: Database, *, order_id: ObjectId, delivery_id: str) -> dict | None:
    """Marks a delivery as taken off this order for good (an operator's decision): from here on it is
    never projected onto the order again (`order_set_courier`)."""
    return db[ORDERS].find_one_and_update(
        {"_id": order_id}, {"$addToSet": {"revoked_deliveries": delivery_id}}, return_document=ReturnDocument.AFTER
    )


def order_update_if_version(db: Database, *, order_id: ObjectId, version: int, changes: dict, now: datetime):
    """Sets `changes` if the order is still at `version` (nothing else wrote it since it was read);
    None otherwise. For changes computed from the whole order (its estimates)."""
    version_filter = {"version": version} if version else {"$or": [{"version": 0}, {"version": {"$exists": False}}]}
    return db[ORDERS].find_one_and_update(
        {"_id": order_id, **version_filter},
        {"$set": {**changes, "updated_at": now}, "$inc": {"version": 1}},
        return_document=ReturnDocument.AFTER,
    )


def orders_due_for_estimates(db: Database, *, before: datetime, limit: int) -> list[dict]:
    """Unfinished orders with an estimate before `before` (the dispatch index narrows to unfinished)."""
    query = {
        "dispatch": {"$in": [DISPATCH_WAITING, DISPATCH_ASSIGNED]},
        "$or": [{"estimated_delivery_at": {"$lt": before}}, {"estimated_ready_at": {"$lt": before}}],
    }
    return list(db[ORDERS].find(query).limit(limit))


def orders_by_ids(db: Database, *, order_ids: list[ObjectId]) -> list[dict]:
    return list(db[ORDERS].find({"_id": {"$in": order_ids}}))


def orders_open_of_restaurants(db: Database, *, restaurant_ids: list[str], states: tuple[str, ...]) -> list[dict]:
    """The orders of these restaurants in `states`, oldest first (the kitchen boards' truth)."""
    query = {"restaurant_id": {"$in": restaurant_ids}, "status": {"$in": list(states)}}
    return list(db[ORDERS].find(query).sort(OLDEST_FIRST))


def orders_listed(db: Database, *, query: dict):
    """Every order matching `query`, only what a list's ranked index keeps (orders/lists.py)."""
    return db[ORDERS].find(query, {"created_at": 1})


def orders_in_order(db: Database, *, order_ids: list[str]) -> list[dict]:
    """These orders, in the order of `order_ids` (a page of a ranked index)."""
    oids = [ObjectId(order_id) for order_id in order_ids]
    found = {order["_id"]: order for order in db[ORDERS].find({"_id": {"$in": oids}})} if oids else {}
    return [found[oid] for oid in oids if oid in found]


def orders_page(db: Database, *, query: dict, skip: int, limit: int) -> tuple[int, list[dict]]:
    count = db[ORDERS].count_documents(query)
    return count, list(db[ORDERS].find(query).sort(NEWEST_FIRST).skip(skip).limit(limit))


def orders_in_dispatch(db: Database, *, dispatch: str, limit: int, after: ObjectId | None = None) -> list[dict]:
    """Orders whose dispatch state is `dispatch`, oldest first: the waiting queue (the order
    waiting longest gets the next courier), or live orders with a courier (paged by `after`)."""
    query: dict = {"dispatch": dispatch}
    if after is not None:
        query["_id"] = {"$gt": after}
        return list(db[ORDERS].find(query).sort([("_id", ASCENDING)]).limit(limit))
    return list(db[ORDERS].find(query).sort(OLDEST_FIRST).limit(limit))


# --- the operators' view of the city and their audit log -----------------------------------------


def orders_live(db: Database, *, status: str | None) -> list[dict]:
    """Every order not finished (waiting for a courier or with one), oldest first: a city's live
    orders, found by the dispatch index."""
    query: dict = {"dispatch": {"$in": [DISPATCH_WAITING, DISPATCH_ASSIGNED]}}
    if status:
        query["status"] = status
    return list(db[ORDERS].find(query).sort(OLDEST_FIRST))


def orders_live_listed(db: Database, *, status: str | None = None):
    """Every live order (in `status` only, if given), only what the operators' ranked indexes keep
    (orders/lists.py)."""
    query: dict = {"dispatch": {"$in": list(LIVE)}, **({"status": status} if status else {})}
    return db[ORDERS].find(query, {"created_at": 1})


def orders_dispatch_listed(db: Database, *, dispatch: str = DISPATCH_WAITING):
    """Every order in one dispatch state, only what the dispatch queue's ranked index keeps
    (orders/lists.py)."""
    return db[ORDERS].find({"dispatch": dispatch}, {"created_at": 1})


def orders_closed_listed(db: Database, *, since: datetime, hours: list[str]):
    """Every order finished at or after `since` (within the hours named), only what the operators'
    ranked index keeps (orders/lists.py)."""
    return db[ORDERS].find({"closed_hour": {"$in": hours}, "closed_at": {"$gte": since}}, {"closed_at": 1})


def orders_live_page(db: Database, *, status: str | None, skip: int, limit: int) -> tuple[int, list[dict]]:
    query: dict = {"dispatch": {"$in": [DISPATCH_WAITING, DISPATCH_ASSIGNED]}}
    if status:
        query["status"] = status
    count = db[ORDERS].count_documents(query)
    return count, list(db[ORDERS].find(query).sort(OLDEST_FIRST).skip(skip).limit(limit)) if limit else []


def orders_closed_since_page(
    db: Database, *, since: datetime, hours: list[str], status: str | None, skip: int, limit: int
) -> tuple[int, list[dict]]:
    """Orders finished at or after `since` (within the hours named), the latest first."""
    query: dict = {"closed_hour": {"$in": hours}, "closed_at": {"$gte": since}}
    if status:
        query["status"] = status
    count = db[ORDERS].count_documents(query)
    found = db[ORDERS].find(query).sort([("closed_at", DESCENDING), ("_id", DESCENDING)])
    return count, list(found.skip(skip).limit(limit)) if limit else []


def order_void_action(db: Database, *, order_id: ObjectId, action_id: str) -> dict | None:
    """Marks an operator action as never to be applied to this order (orders/operators.py): from
    here on, a move naming it is refused. Returns the order as it is after."""
    return db[ORDERS].find_one_and_update(
        {"_id": order_id},
        {"$addToSet": {"voided_actions": action_id}},
        return_document=ReturnDocument.AFTER,
    )


class ActionExists(Exception):
    pass


def action_insert(db: Database, *, entry: dict) -> dict:
    """Appends an entry to the audit log; ActionExists if its id is there already (a retry)."""
    try:
        db[OPERATOR_ACTIONS].insert_one(entry)
    except DuplicateKeyError as exc:
        raise ActionExists from exc
    return entry


def action_get(db: Database, *, action_id: ObjectId) -> dict | None:
    return db[OPERATOR_ACTIONS].find_one({"_id": action_id})


def action_settle(db: Database, *, action_id: ObjectId, outcome: str, error: dict | None, now: datetime):
    """Writes the outcome of a pending action, once: None if it was settled already."""
    return db[OPERATOR_ACTIONS].find_one_and_update(
        {"_id": action_id, "outcome": "pending"},
        {"$set": {"outcome": outcome, "error": error, "settled_at": now}},
        return_document=ReturnDocument.AFTER,
    )


def actions_page(db: Database, *, query: dict, skip: int, limit: int) -> tuple[int, list[dict]]:
    count = db[OPERATOR_ACTIONS].count_documents(query)
    return count, list(db[OPERATOR_ACTIONS].find(query).sort(NEWEST_ACTIONS).skip(skip).limit(limit))


def actions_pending_before(db: Database, *, action: str, before: datetime, limit: int) -> list[dict]:
    query = {"outcome": "pending", "action": action, "at": {"$lt": before}}
    return list(db[OPERATOR_ACTIONS].find(query).sort([("at", ASCENDING)]).limit(limit))
