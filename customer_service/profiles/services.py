"""The customer service's rules for profiles and addresses."""

from __future__ import annotations

from datetime import UTC, datetime

from bson import ObjectId

from common.errors import Conflict, NotFound
from common.mongo import get_database, parse_object_id
from profiles import clients, repository


def _now() -> datetime:
    return datetime.now(UTC)


def profile_get_or_create(*, customer_id: str) -> dict:
    """The caller's profile; the first access creates it from the auth account's name and email."""
    db = get_database()
    profile = repository.profile_get(db, customer_id=customer_id)
    if profile is not None:
        return profile
    account = clients.auth_account(customer_id=customer_id)
    return repository.profile_insert(
        db, customer_id=customer_id, name=account.get("name", ""), email=account.get("email", ""), now=_now()
    )


def profile_update(*, customer_id: str, changes: dict) -> dict:
    profile_get_or_create(customer_id=customer_id)
    flat = {key: value for key, value in changes.items() if key != "preferences"}
    for key, value in (changes.get("preferences") or {}).items():
        flat[f"preferences.{key}"] = value
    if not flat:
        return profile_get_or_create(customer_id=customer_id)
    return repository.profile_update(get_database(), customer_id=customer_id, changes=flat, now=_now())


def address_add(*, customer_id: str, data: dict) -> dict:
    profile = profile_get_or_create(customer_id=customer_id)
    address = {"id": ObjectId(), **data}
    address["is_default"] = bool(data.get("is_default")) or not profile["addresses"]
    if address["is_default"] and profile["addresses"]:
        _clear_default(customer_id=customer_id, profile=profile)
    repository.address_add(get_database(), customer_id=customer_id, address=address, now=_now())
    return address


def _clear_default(*, customer_id: str, profile: dict) -> None:
    cleared = [{**a, "is_default": False} for a in profile["addresses"]]
    if not repository.addresses_replace(
        get_database(), customer_id=customer_id, addresses=cleared, expected=profile["addresses"], now=_now()
    ):
        raise Conflict("The addresses changed meanwhile; try again.", code="concurrent_update")


def _address_id(address_id: str) -> ObjectId:
    oid = parse_object_id(address_id)
    if oid is None:
        raise NotFound("Address not found.")
    return oid


def address_get(*, customer_id: str, address_id: str) -> dict:
    oid = _address_id(address_id)
    profile = profile_get_or_create(customer_id=customer_id)
    for address in profile["addresses"]:
        if address["id"] == oid:
            return address
    raise NotFound("Address not found.")


def address_update(*, customer_id: str, address_id: str, changes: dict) -> dict:
    oid = _address_id(address_id)
    profile = profile_get_or_create(customer_id=customer_id)
    if changes.get("is_default"):
        _clear_default(customer_id=customer_id, profile=profile)
    updated = repository.address_update(get_database(), customer_id=customer_id, address_id=oid, changes=changes, now=_now())
    if updated is None:
        raise NotFound("Address not found.")
    return next(a for a in updated["addresses"] if a["id"] == oid)


def address_delete(*, customer_id: str, address_id: str) -> None:
    if not repository.address_delete(get_database(), customer_id=customer_id, address_id=_address_id(address_id), now=_now()):
        raise NotFound("Address not found.")
