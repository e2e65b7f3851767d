"""Every MongoDB query of the customer service: one profile document per customer, addresses inside it."""

from __future__ import annotations

from datetime import datetime

from bson import ObjectId
from pymongo import ReturnDocument
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

PROFILES = "profiles"


def ensure_indexes(db: Database) -> list[str]:
    # The profile's _id is the customer's account id (the token's `sub`), unique by construction.
    return []


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
        "addresses": [],
        "created_at": now,
        "updated_at": now,
    }
    try:
        db[PROFILES].insert_one(document)
    except DuplicateKeyError:
        return db[PROFILES].find_one({"_id": customer_id})
    return document


def profile_update(db: Database, *, customer_id: str, changes: dict, now: datetime) -> dict | None:
    return db[PROFILES].find_one_and_update(
        {"_id": customer_id},
        {"$set": {**changes, "updated_at": now}},
        return_document=ReturnDocument.AFTER,
    )


def address_add(db: Database, *, customer_id: str, address: dict, now: datetime) -> dict | None:
    return db[PROFILES].find_one_and_update(
        {"_id": customer_id},
        {"$push": {"addresses": address}, "$set": {"updated_at": now}},
        return_document=ReturnDocument.AFTER,
    )


def address_update(db: Database, *, customer_id: str, address_id: ObjectId, changes: dict, now: datetime) -> dict | None:
    return db[PROFILES].find_one_and_update(
        {"_id": customer_id, "addresses.id": address_id},
        {"$set": {**{f"addresses.$.{k}": v for k, v in changes.items()}, "updated_at": now}},
        return_document=ReturnDocument.AFTER,
    )


def addresses_replace(db: Database, *, customer_id: str, addresses: list[dict], expected: list[dict], now: datetime) -> bool:
    """Replaces the address list only if nobody changed it since it was read (optimistic check)."""
    result = db[PROFILES].update_one(
        {"_id": customer_id, "addresses": expected},
        {"$set": {"addresses": addresses, "updated_at": now}},
    )
    return result.modified_count == 1


def address_delete(db: Database, *, customer_id: str, address_id: ObjectId, now: datetime) -> bool:
    result = db[PROFILES].update_one(
        {"_id": customer_id, "addresses.id": address_id},
        {"$pull": {"addresses": {"id": address_id}}, "$set": {"updated_at": now}},
    )
    return result.modified_count == 1
