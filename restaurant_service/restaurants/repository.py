"""Every MongoDB query of the restaurant service: restaurants and their menu items."""

from __future__ import annotations

import re
from datetime import datetime

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.database import Database

from common.mongo import once_per_database, set_changes

RESTAURANTS = "restaurants"
MENU_ITEMS = "menu_items"
# The weekly slots each restaurant is open in (restaurants/hours.py), one document per restaurant
# (`_id` the restaurant's): kept out of the restaurant's own document, which every list and browse
# reads, because 672 numbers made it ten times larger (6.4 KB) and ten times slower to read.
SLOTS = "restaurant_slots"

# Browsing order: stable across pages (the _id breaks ties between equal names).
BROWSE_ORDER = [("name_key", ASCENDING), ("_id", ASCENDING)]
POPULAR_ORDER = [("order_count", DESCENDING), ("name_key", ASCENDING), ("_id", ASCENDING)]
# A restaurant's `resting` mark (restaurants/browse.py): a string, not a boolean, because the local
# store answers an equality on strings from the index and scans the collection for booleans.
RESTING, TAKING = "resting", "taking"
MENU_ORDER = [("category", ASCENDING), ("name", ASCENDING), ("_id", ASCENDING)]


def ensure_indexes(db: Database) -> list[str]:
    created = [
        db[RESTAURANTS].create_index(BROWSE_ORDER, name="browse"),
        db[RESTAURANTS].create_index([("cuisine", ASCENDING), *BROWSE_ORDER], name="cuisine_browse"),
        db[RESTAURANTS].create_index([("owner_id", ASCENDING)], name="owner"),
        db[RESTAURANTS].create_index(POPULAR_ORDER, name="popular"),
        db[RESTAURANTS].create_index([("open_slots", ASCENDING)], name="open_slots"),
        # The few restaurants paused or switched off (restaurants/browse.py), marked when they were.
        db[RESTAURANTS].create_index([("resting", ASCENDING)], name="resting"),
        db[MENU_ITEMS].create_index([("restaurant_id", ASCENDING), *MENU_ORDER], name="menu"),
        db[SLOTS].create_index([("open_slots", ASCENDING)], name="open_slots"),
    ]
    restaurants_mark_resting_backfill(db)
    restaurants_move_slots_backfill(db)
    return created


@once_per_database("resting-mark")
def restaurants_mark_resting_backfill(db: Database) -> int:
    """Marks restaurants stored before `resting` existed (afterwards every write keeps the mark)."""
    found = db[RESTAURANTS].find({"resting": {"$exists": False}}, {"accepting_orders": 1, "paused_until": 1})
    marked = 0
    for restaurant in found:
        resting = not restaurant.get("accepting_orders", True) or restaurant.get("paused_until") is not None
        db[RESTAURANTS].update_one({"_id": restaurant["_id"]}, {"$set": {"resting": RESTING if resting else TAKING}})
        marked += 1
    return marked


@once_per_database("slots-moved")
def restaurants_move_slots_backfill(db: Database) -> int:
    """Moves the open slots of restaurants stored with them into SLOTS."""
    moved = 0
    for restaurant in db[RESTAURANTS].find({"open_slots": {"$exists": True}}, {"open_slots": 1}):
        _slots_set(db, restaurant_id=restaurant["_id"], slots=restaurant["open_slots"])
        db[RESTAURANTS].update_one({"_id": restaurant["_id"]}, {"$unset": {"open_slots": ""}})
        moved += 1
    return moved


def _slots_set(db: Database, *, restaurant_id: ObjectId, slots: list[int]) -> None:
    db[SLOTS].update_one({"_id": restaurant_id}, {"$set": {"open_slots": slots}}, upsert=True)


def _open_at(db: Database, query: dict) -> dict:
    """`query` with its `open_slots` condition (browse_filter) answered from SLOTS: those open then, by id."""
    if "open_slots" not in query:
        return query
    query = dict(query)
    ids = [doc["_id"] for doc in db[SLOTS].find({"open_slots": query.pop("open_slots")}, {"_id": 1})]
    wanted = query["_id"].get("$in") if isinstance(query.get("_id"), dict) else None
    if wanted is not None:
        open_ids = set(ids)
        ids = [oid for oid in wanted if oid in open_ids]
    query["_id"] = {"$in": ids}
    return query


def restaurants_marked_resting(db: Database) -> list[dict]:
    """Restaurants marked as paused or switched off (a pause may have run out since)."""
    projection = {"name_key": 1, "cuisine": 1, "accepting_orders": 1, "paused_until": 1}
    return list(db[RESTAURANTS].find({"resting": RESTING}, projection))


def restaurant_unmark_resting(db: Database, *, restaurant_id: ObjectId, paused_until: datetime | None = None) -> None:
    """Unmarks a restaurant that takes orders again, only while it still does: switched on and not
    paused, or paused until `paused_until` (a pause that has run out); a racing pause wins."""
    db[RESTAURANTS].update_one(
        {"_id": restaurant_id, "resting": RESTING, "accepting_orders": True, "paused_until": paused_until},
        {"$set": {"resting": TAKING}},
    )


def restaurants_named(db: Database, *, cuisine: str | None = None):
    """Every restaurant's name key, or those of one cuisine (building the lists by name:
    restaurants/browse.py; a cuisine's from the `cuisine_browse` index)."""
    return db[RESTAURANTS].find({"cuisine": cuisine} if cuisine else {}, {"name_key": 1})


def restaurant_insert(db: Database, *, document: dict) -> dict:
    slots = document.pop("open_slots", None)
    document["_id"] = db[RESTAURANTS].insert_one(document).inserted_id
    if slots is not None:
        _slots_set(db, restaurant_id=document["_id"], slots=slots)
    return document


def restaurant_get(db: Database, *, restaurant_id: ObjectId) -> dict | None:
    return db[RESTAURANTS].find_one({"_id": restaurant_id})


def restaurant_update(db: Database, *, restaurant_id: ObjectId, owner_id: str, changes: dict) -> dict | None:
    # The owner is part of the filter: nobody else's update can match.
    changes = dict(changes)
    slots = changes.pop("open_slots", None)
    updated = db[RESTAURANTS].find_one_and_update(
        {"_id": restaurant_id, "owner_id": owner_id}, {"$set": changes}, return_document=ReturnDocument.AFTER
    )
    if updated is not None and slots is not None:
        _slots_set(db, restaurant_id=restaurant_id, slots=slots)
    return updated


def restaurant_count_orders(db: Database, *, restaurant_id: ObjectId, count: int) -> bool:
    return db[RESTAURANTS].update_one({"_id": restaurant_id}, {"$inc": {"order_count": count}}).matched_count == 1


def browse_filter(*, text: str | None, cuisines: list[str], open_slot: int | None, owner_id: str | None = None) -> dict:
    query: dict = {"owner_id": owner_id} if owner_id else {}
    if text:
        # Escaped: the client's text is matched literally, never as a pattern (no ReDoS, no operators).
        # Casefolded against the casefolded name, as the ranked list compares (restaurants/browse.py).
        query["name_key"] = {"$regex": re.escape(text.casefold())}
    if cuisines:
        query["cuisine"] = {"$in": cuisines}
    if open_slot is not None:
        query["open_slots"] = open_slot
    return query


def accepting_filter(*, at: datetime) -> dict:
    """Restaurants taking new orders at `at`: the owner's switch on, no pause lasting (restaurants/pause.py)."""
    return {"accepting_orders": True, "$or": [{"paused_until": None}, {"paused_until": {"$lte": at}}]}


def not_accepting_filter(*, at: datetime) -> dict:
    """Exactly the restaurants `accepting_filter` leaves out."""
    return {"$or": [{"accepting_orders": {"$ne": True}}, {"paused_until": {"$gt": at}}]}


def _both(query: dict, condition: dict) -> dict:
    return {"$and": [query, condition]} if query else condition


def restaurants_page(db: Database, *, query: dict, skip: int, limit: int, at: datetime) -> tuple[int, list[dict]]:
    """A page of the restaurants matching `query`: those taking orders at `at` first, then the
    others, each part in browsing order."""
    query = _open_at(db, query)
    parts = (_both(query, accepting_filter(at=at)), _both(query, not_accepting_filter(at=at)))
    documents: list[dict] = []
    count = 0
    for part in parts:
        part_count = db[RESTAURANTS].count_documents(part)
        wanted = limit - len(documents)
        if wanted > 0 and skip - count < part_count:
            found = db[RESTAURANTS].find(part, {"open_slots": 0}).sort(BROWSE_ORDER)
            documents += found.skip(max(0, skip - count)).limit(wanted)
        count += part_count
    return count, documents


def restaurants_with_coordinates(db: Database) -> list[dict]:
    """Every restaurant with coordinates, with just what locating it needs (rebuilding the geo index)."""
    query = {"address.lat": {"$ne": None}, "address.lng": {"$ne": None}}
    return list(db[RESTAURANTS].find(query, {"address": 1, "delivery_radius_km": 1}))


def restaurant_ids_matching(db: Database, *, query: dict, ids: list[ObjectId]) -> set[ObjectId]:
    """Which of these restaurants match the browse filter (ids only)."""
    query = _open_at(db, {**query, "_id": {"$in": ids}})
    return {doc["_id"] for doc in db[RESTAURANTS].find(query, {"_id": 1})}


def restaurants_by_ids(db: Database, *, ids: list[ObjectId]) -> list[dict]:
    return list(db[RESTAURANTS].find({"_id": {"$in": ids}}, {"open_slots": 0}))


def restaurants_popular(db: Database, *, limit: int) -> list[dict]:
    return list(db[RESTAURANTS].find({}, {"open_slots": 0}).sort(POPULAR_ORDER).limit(limit))


def menu_item_insert(db: Database, *, document: dict) -> dict:
    document["_id"] = db[MENU_ITEMS].insert_one(document).inserted_id
    return document


def menu_items(db: Database, *, restaurant_id: ObjectId) -> list[dict]:
    return list(db[MENU_ITEMS].find({"restaurant_id": restaurant_id}).sort(MENU_ORDER))


def menu_item_update(
    db: Database, *, restaurant_id: ObjectId, item_id: ObjectId, changes: dict, now: datetime
) -> dict | None:
    return set_changes(db[MENU_ITEMS], {"_id": item_id, "restaurant_id": restaurant_id}, changes, now)


def menu_item_delete(db: Database, *, restaurant_id: ObjectId, item_id: ObjectId) -> bool:
    return db[MENU_ITEMS].delete_one({"_id": item_id, "restaurant_id": restaurant_id}).deleted_count == 1
