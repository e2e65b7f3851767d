"""Every MongoDB query of the auth service: accounts and refresh-token families."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, ReturnDocument
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

ACCOUNTS = "accounts"
FAMILIES = "token_families"
# Every "this may happen once" fact (a refresh token spent, a TOTP step used, MFA switched on, a
# recovery code spent) is one conditional update on the document that holds it: the filter names
# the state the change needs, so of several racing requests exactly one matches (ARCHITECTURE 3.1).


def ensure_indexes(db: Database) -> list[str]:
    return [
        # One account per email per kind: the same person may be a customer and a courier.
        db[ACCOUNTS].create_index([("user_type", ASCENDING), ("email", ASCENDING)], unique=True, name="kind_email"),
        db[FAMILIES].create_index([("account_id", ASCENDING)], name="account"),
        # Retention (families_delete_expired): the day a family's newest refresh token expires.
        db[FAMILIES].create_index([("expires_day", ASCENDING)], name="expiry"),
    ]


def expiry_day(at: datetime) -> str:
    """The day (UTC) a family expires on: an indexed equality that the local store answers from the
    index (it scans the collection for a range such as `expires_at < now`)."""
    return at.strftime("%Y-%m-%d")


class EmailTaken(Exception):
    pass


def account_insert(
    db: Database, *, user_type: str, email: str, password_hash: str, name: str, now: datetime, mfa: dict | None = None
) -> dict:
    document = {
        "user_type": user_type,
        "email": email,
        "password": password_hash,
        "name": name,
        "role": "user",
        "created_at": now,
        "mfa": mfa or {"enabled": False},
    }
    try:
        result = db[ACCOUNTS].insert_one(document)
    except DuplicateKeyError as exc:
        raise EmailTaken(email) from exc
    document["_id"] = result.inserted_id
    return document


def account_by_email(db: Database, *, user_type: str, email: str) -> dict | None:
    return db[ACCOUNTS].find_one({"user_type": user_type, "email": email})


def account_by_id(db: Database, *, user_type: str, account_id: ObjectId) -> dict | None:
    return db[ACCOUNTS].find_one({"_id": account_id, "user_type": user_type})


def account_set_password_hash(db: Database, *, account_id: ObjectId, password_hash: str) -> None:
    db[ACCOUNTS].update_one({"_id": account_id}, {"$set": {"password": password_hash}})


def operator_enrol(
    db: Database, *, email: str, password_hash: str, name: str, secret: str, step: int, now: datetime
) -> tuple[dict, bool]:
    """Creates the operator account with TOTP on, or gives an existing one this password and a new
    secret (the old one is worthless from here on): (account, created). Of two racing enrolments of
    one email, the unique key admits one insert; the other updates it."""
    mfa = {"enabled": True, "secret": secret, "last_step": step, "recovery_hashes": []}
    try:
        return account_insert(
            db, user_type="operator", email=email, password_hash=password_hash, name=name, now=now, mfa=mfa
        ), True
    except EmailTaken:
        account = db[ACCOUNTS].find_one_and_update(
            {"user_type": "operator", "email": email},
            {"$set": {"password": password_hash, "mfa": mfa, "updated_at": now}},
            return_document=ReturnDocument.AFTER,
        )
        return account, False


def mfa_set_pending_secret(db: Database, *, account_id: ObjectId, secret: str) -> bool:
    """Stores a secret awaiting confirmation; refused once MFA is on (it must not be replaced silently)."""
    result = db[ACCOUNTS].update_one(
        {"_id": account_id, "mfa.enabled": {"$ne": True}}, {"$set": {"mfa.pending_secret": secret}}
    )
    return result.matched_count == 1


def mfa_enable(db: Database, *, account_id: ObjectId, secret: str, step: int, recovery_hashes: list[str]) -> bool:
    """Switches MFA on with the confirmed pending secret; False when a racing confirmation won."""
    result = db[ACCOUNTS].update_one(
        {"_id": account_id, "mfa.enabled": {"$ne": True}, "mfa.pending_secret": secret},
        {
            "$set": {
                "mfa.enabled": True,
                "mfa.secret": secret,
                "mfa.last_step": step,
                "mfa.recovery_hashes": recovery_hashes,
            },
            "$unset": {"mfa.pending_secret": ""},
        },
    )
    return result.modified_count == 1


def mfa_consume_step(db: Database, *, account: dict, step: int) -> bool:
    """Spends a TOTP time step: a code is accepted once, even when two requests race with it.

    Steps at or before the last one used are refused too, so an older code seen over someone's
    shoulder is worthless once a newer one was used (RFC 6238 section 5.2).
    """
    result = db[ACCOUNTS].update_one(
        {"_id": account["_id"], "mfa.enabled": True, "mfa.last_step": {"$lt": step}},
        {"$set": {"mfa.last_step": step}},
    )
    return result.modified_count == 1


def mfa_consume_recovery_code(db: Database, *, account: dict, code_hash: str) -> bool:
    """Spends a recovery code: the `$pull` matches only while the code is still on the account."""
    result = db[ACCOUNTS].update_one(
        {"_id": account["_id"], "mfa.enabled": True, "mfa.recovery_hashes": code_hash},
        {"$pull": {"mfa.recovery_hashes": code_hash}},
    )
    return result.modified_count == 1


# --- refresh-token families ------------------------------------------------------------------
# A family is every refresh token descended from one login. Only its newest token (`current_jti`)
# may be exchanged; presenting an older one means it leaked, and the whole family is revoked.


def family_create(
    db: Database, *, family_id: str, account_id: ObjectId, user_type: str, jti: str, now: datetime, expires_at: datetime
) -> None:
    db[FAMILIES].insert_one(
        {
            "_id": family_id,
            "account_id": account_id,
            "user_type": user_type,
            "current_jti": jti,
            "previous_jti": None,
            "rotated_at": None,
            "revoked": False,
            "created_at": now,
            "expires_at": expires_at,
            "expires_day": expiry_day(expires_at),
        }
    )


def family_rotate(
    db: Database, *, family_id: str, presented_jti: str, new_jti: str, now: datetime, expires_at: datetime
) -> bool:
    """Spends the presented refresh token and makes `new_jti` (expiring at `expires_at`) the family's
    current one: the family lives as long as its newest token.

    False when another request already spent it (two racing refreshes: one wins) or the family
    was revoked meanwhile.
    """
    result = db[FAMILIES].update_one(
        {"_id": family_id, "current_jti": presented_jti, "revoked": False},
        {
            "$set": {
                "current_jti": new_jti,
                "previous_jti": presented_jti,
                "rotated_at": now,
                "expires_at": expires_at,
                "expires_day": expiry_day(expires_at),
            }
        },
    )
    return result.modified_count == 1


def families_delete_expired(db: Database, *, days: list[str]) -> int:
    """Deletes the families that expired on these days (their tokens are refused for their age
    anyway, so nothing is left to detect a reuse of); returns how many."""
    return db[FAMILIES].delete_many({"expires_day": {"$in": days}}).deleted_count if days else 0


def family_get(db: Database, *, family_id: str) -> dict[str, Any] | None:
    return db[FAMILIES].find_one({"_id": family_id})


def families_revoke_of_account(db: Database, *, account_id: ObjectId, reason: str, now: datetime) -> int:
    """Revokes every live token family of the account (its password was reset): signs it out everywhere."""
    result = db[FAMILIES].update_many(
        {"account_id": account_id, "revoked": False},
        {"$set": {"revoked": True, "revoked_reason": reason, "revoked_at": now}},
    )
    return result.modified_count


def family_revoke(db: Database, *, family_id: str, reason: str, now: datetime) -> None:
    db[FAMILIES].update_one(
        {"_id": family_id, "revoked": False},
        {"$set": {"revoked": True, "revoked_reason": reason, "revoked_at": now}},
    )
