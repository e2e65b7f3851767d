"""One MongoClient per process (it pools connections itself) and the service's database.

Each service names its database in settings (MONGO_DB_NAME) and lists the modules that declare
indexes (MONGO_INDEX_MODULES); every such module exposes `ensure_indexes(db)`.
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Callable
from datetime import datetime

from bson import ObjectId
from bson.errors import InvalidId
from django.conf import settings
from pymongo import MongoClient, ReturnDocument
from pymongo.collection import Collection
from pymongo.database import Database

_OBJECT_ID = re.compile(r"^[0-9a-f]{24}$")


@functools.cache
def _client(url: str) -> MongoClient:
    return MongoClient(
        url,
        tz_aware=True,
        serverSelectionTimeoutMS=settings.MONGO_TIMEOUT_MS,
        connectTimeoutMS=settings.MONGO_TIMEOUT_MS,
        maxPoolSize=settings.MONGO_MAX_POOL_SIZE,
        appname=getattr(settings, "SERVICE_NAME", "food-delivery"),
    )


def get_client() -> MongoClient:
    return _client(settings.MONGO_URL)


def database_name() -> str:
    return f"{settings.MONGO_DB_PREFIX}{settings.MONGO_DB_NAME}"


def get_database() -> Database:
    return get_client()[database_name()]


def ensure_indexes(db: Database | None = None) -> list[str]:
    """Creates every index the service declares; safe to run on every start."""
    db = db if db is not None else get_database()
    created: list[str] = []
    for module_path in settings.MONGO_INDEX_MODULES:
        module = importlib.import_module(module_path)
        created.extend(module.ensure_indexes(db) or [])
    return created


# Notes of the one-time backfills done in a database (`once_per_database`), one per backfill.
MIGRATIONS = "migrations"


def once_per_database(name: str):
    """Makes `backfill(db) -> int` (how many documents it changed) run once per database: a note
    in MIGRATIONS named `name` says it was done, so a later start answers 0 without reading anything
    (from then on the service's writes keep what the backfill made)."""

    def decorate(backfill: Callable[[Database], int]) -> Callable[[Database], int]:
        @functools.wraps(backfill)
        def once(db: Database) -> int:
            if db[MIGRATIONS].find_one({"_id": name}):
                return 0
            changed = backfill(db)
            db[MIGRATIONS].update_one({"_id": name}, {"$set": {"changed": changed}}, upsert=True)
            return changed

        return once

    return decorate


def parse_object_id(value: object) -> ObjectId | None:
    """An ObjectId from a client-supplied string, or None when it is not one (callers answer 404)."""
    if not isinstance(value, str) or not _OBJECT_ID.match(value):
        return None
    try:
        return ObjectId(value)
    except InvalidId:
        return None


def found_by_id(value: object, read: Callable[[ObjectId], dict | None], missing: Callable[[], Exception]) -> dict:
    """The document `read` finds for a client-supplied id; `missing()` raised when the id is not an
    ObjectId or names no document (the same 404 either way)."""
    oid = parse_object_id(value)
    document = oid and read(oid)
    if not document:
        raise missing()
    return document


def set_changes(collection: Collection, query: dict, changes: dict, now: datetime) -> dict | None:
    """`changes` set, with `updated_at`, on the one document `query` matches: it as it is after, or None."""
    return collection.find_one_and_update(
        query, {"$set": {**changes, "updated_at": now}}, return_document=ReturnDocument.AFTER
    )


def moved(collection: Collection, query: dict, changes: dict, entry: dict) -> dict | None:
    """A document's move in one conditional update: `changes` set, `entry` pushed on its history,
    its version grown; of several racing writers only the one whose `query` still matches moves it.
    The document as it is after, or None."""
    return collection.find_one_and_update(
        query,
        {"$set": changes, "$push": {"history": entry}, "$inc": {"version": 1}},
        return_document=ReturnDocument.AFTER,
    )
