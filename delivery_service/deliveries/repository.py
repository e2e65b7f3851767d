"""Every MongoDB query of this app; the domain collections and their indexes arrive with their issue."""

from __future__ import annotations

from pymongo.database import Database


def ensure_indexes(db: Database) -> list[str]:
    return []
