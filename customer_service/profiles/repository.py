"""Every MongoDB query of the customer service: profiles and their addresses."""

from __future__ import annotations

from datetime import datetime

from bson import ObjectId
from pymongo import ASCENDING
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from common.mongo import set_changes

PROFILES = "profiles"
# One document per address rather than an array inside the profile: adding and removing one is
# then a single insert or delete, atomic on every server (FerretDB v1 lacks positional `$`
# updates and atomic compare-and-set of arrays).
ADDRESSES = "addresses"


def ensure_indexes(db: Database) -> list[str]:
    # A profile's _id is the customer's account id (the token's `sub`): unique by construction.
    return [db[ADDRESSES].create_index([("customer_id", ASCENDING), ("_id", ASCENDING)], name="customer")]


def profile_get(db: Database, *, customer_id: str) -> dict | None:
    return db[PROFILES].find_one({"_id": customer_id})


def profile_insert(db: Database, *, customer_id: str, name: str, email: str, now: datetime) -> dict:
    """Creates the profile, or returns the one a concurrent first request already created."""
    document = {
        "_id": customer_id,
        "name": name,
        "email": email,
        "phone": "",
        "preferences": {"cuisines": [], "dietary": []},
        "default_address_id": None,
        "created_at": now,
        "updated_at": now,
    }
    try:
        db[PROFILES].insert_one(document)
    except DuplicateKeyError:
        return db[PROFILES].find_one({"_id": customer_id})
    return document


def profile_update(db: Database, *, customer_id: str, changes: dict, now: datetime) -> dict | None:
    return set_changes(db[PROFILES], {"_id": customer_id}, changes, now)


def addresses_of(db: Database, *, customer_id: str) -> list[dict]:
    return list(db[ADDRESSES].find({"customer_id": customer_id}).sort("_id", ASCENDING))


def address_get(db: Database, *, customer_id: str, address_id: ObjectId) -> dict | None:
    # The customer id in the filter is the object-level check: another's address is "not found".
    return db[ADDRESSES].find_one({"_id": address_id, "customer_id": customer_id})


def address_insert(db: Database, *, customer_id: str, data: dict, now: datetime) -> dict:
    document = {**data, "customer_id": customer_id, "created_at": now, "updated_at": now}
    document["_id"] = db[ADDRESSES].insert_one(document).inserted_id
    return document


def address_update(
    db: Database, *, customer_id: str, address_id: ObjectId, changes: dict, now: datetime
) -> dict | None:
    return set_changes(db[ADDRESSES], {"_id": address_id, "customer_id": customer_id}, changes, now)


def address_delete(db: Database, *, customer_id: str, address_id: ObjectId) -> bool:
    return db[ADDRESSES].delete_one({"_id": address_id, "customer_id": customer_id}).deleted_count == 1
