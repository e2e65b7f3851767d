"""The customer service's rules for profiles and addresses.

Which address is the default is one field on the profile (`default_address_id`), so "exactly
one default" holds by construction; when it is unset or names a deleted address, the oldest
address is the default.
"""

from __future__ import annotations

from datetime import UTC, datetime

from bson import ObjectId

from common.contracts import customer_addresses
from common.errors import InvalidInput, NotFound
from common.mongo import found_by_id, get_database, parse_object_id
from profiles import clients, repository


def _now() -> datetime:
    return datetime.now(UTC)


def _profile(customer_id: str) -> dict:
    """The stored profile; the first access creates it from the auth account's name and email."""
    db = get_database()
    profile = repository.profile_get(db, customer_id=customer_id)
    if profile is not None:
        return profile
    account = clients.auth_account(customer_id=customer_id)
    return repository.profile_insert(
        db, customer_id=customer_id, name=account.get("name", ""), email=account.get("email", ""), now=_now()
    )


def _with_default_flag(profile: dict, addresses: list[dict]) -> list[dict]:
    ids = [a["_id"] for a in addresses]
    default_id = profile.get("default_address_id")
    if default_id not in ids:
        default_id = ids[0] if ids else None
    return [{**a, "id": a["_id"], "is_default": a["_id"] == default_id} for a in addresses]


def profile_get_or_create(*, customer_id: str) -> dict:
    profile = _profile(customer_id)
    addresses = repository.addresses_of(get_database(), customer_id=customer_id)
    return {**profile, "addresses": _with_default_flag(profile, addresses)}


def profile_update(*, customer_id: str, changes: dict) -> dict:
    _profile(customer_id)
    flat = {key: value for key, value in changes.items() if key != "preferences"}
    for key, value in (changes.get("preferences") or {}).items():
        flat[f"preferences.{key}"] = value
    if flat:
        repository.profile_update(get_database(), customer_id=customer_id, changes=flat, now=_now())
    return profile_get_or_create(customer_id=customer_id)


def addresses_list(*, customer_id: str) -> list[dict]:
    return profile_get_or_create(customer_id=customer_id)["addresses"]


def _address_id(address_id: str) -> ObjectId:
    oid = parse_object_id(address_id)
    if oid is None:
        raise NotFound("Address not found.")
    return oid


def _rendered(customer_id: str, address_id: ObjectId) -> dict:
    for address in addresses_list(customer_id=customer_id):
        if address["_id"] == address_id:
            return address
    raise NotFound("Address not found.")


def address_add(*, customer_id: str, data: dict) -> dict:
    _profile(customer_id)
    fields = {k: v for k, v in data.items() if k != "is_default"}
    address = repository.address_insert(get_database(), customer_id=customer_id, data=fields, now=_now())
    if data.get("is_default"):
        repository.profile_update(
            get_database(), customer_id=customer_id, changes={"default_address_id": address["_id"]}, now=_now()
        )
    return _rendered(customer_id, address["_id"])


def address_get(*, customer_id: str, address_id: str) -> dict:
    return _rendered(customer_id, _address_id(address_id))


def address_update(*, customer_id: str, address_id: str, changes: dict) -> dict:
    oid = _address_id(address_id)
    fields = {k: v for k, v in changes.items() if k != "is_default"}
    db = get_database()
    if fields:
        found = repository.address_update(db, customer_id=customer_id, address_id=oid, changes=fields, now=_now())
    else:
        found = repository.address_get(db, customer_id=customer_id, address_id=oid)
    if found is None:
        raise NotFound("Address not found.")
    if fields:
        customer_addresses.changed(customer_id)
    if changes.get("is_default"):
        repository.profile_update(db, customer_id=customer_id, changes={"default_address_id": oid}, now=_now())
    return _rendered(customer_id, oid)


def address_delete(*, customer_id: str, address_id: str) -> None:
    if not repository.address_delete(get_database(), customer_id=customer_id, address_id=_address_id(address_id)):
        raise NotFound("Address not found.")
    customer_addresses.changed(customer_id)


def delivery_address(*, customer_id: str, address_id: str) -> dict:
    """`{address_id, label, line1, city, postcode, lat, lng}` of one of the customer's addresses,
    published for placement on the way (common/contracts/customer_addresses.py); 404 `address_not_found` otherwise.
    The other services' one way to a customer's address: the order service places orders with it,
    the restaurant service browses by it."""
    version = customer_addresses.version(customer_id)  # before the read: a change meanwhile retires it
    address = found_by_id(
        address_id,
        lambda oid: repository.address_get(get_database(), customer_id=customer_id, address_id=oid),
        lambda: NotFound("No such address in your profile.", code="address_not_found"),
    )
    fields = {key: address[key] for key in customer_addresses.FIELDS}
    customer_addresses.publish(customer_id, address_id, fields, version=version)
    return {"address_id": address_id, **fields}


def _delivery_address(*, customer_id: str, address_id: str) -> dict:
    # One indexed read of the address alone: placement needs neither the profile nor the default flag.
    oid = parse_object_id(address_id)
    address = oid and repository.address_get(get_database(), customer_id=customer_id, address_id=oid)
    if not address:
        raise InvalidInput(
            "No such address in your profile.", code="unknown_address", details={"address_id": address_id}
        )
    return {key: address[key] for key in customer_addresses.FIELDS}


def order_place(
    *, customer_id: str, restaurant_id: str, items: list[dict], address_id: str, idempotency_key: str | None
) -> tuple[dict, bool]:
    """Places an order for delivery to one of the customer's addresses (the order service prices it)."""
    return clients.order_place(
        customer_id=customer_id,
        restaurant_id=restaurant_id,
        items=items,
        delivery_address=_delivery_address(customer_id=customer_id, address_id=address_id),
        idempotency_key=idempotency_key,
    )


def order_quote(*, customer_id: str, restaurant_id: str, items: list[dict], address_id: str) -> dict:
    """What placing the same order would cost and when it would arrive (the order service prices it
    with placement's own function); nothing is stored."""
    return clients.order_quote(
        customer_id=customer_id,
        restaurant_id=restaurant_id,
        items=items,
        delivery_address=_delivery_address(customer_id=customer_id, address_id=address_id),
    )
