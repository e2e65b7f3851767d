"""The list of restaurants by name (`GET /restaurants` without filters) as a ranked index
(common/ranked_index.py): a page and its count cost the same among a hundred restaurants or ten
thousand (issue #42). Counting the two parts of the list (taking orders, then not) and sorting each
by name decoded every restaurant on the local store, on every request.

The set holds every restaurant as `name_key NUL id` at one score, so Redis orders members as MongoDB
orders `repository.BROWSE_ORDER` (by bytes, then by id). Those not taking orders go last; they are
few and found by an index: a restaurant is marked `resting` whenever it is paused or switched off,
unmarked when it takes orders again (restaurants/services.py) or by the first list that finds its
pause run out (`resting_at`), and those marked are checked exactly at the time of the request. The
page of those taking orders skips the resting ones' ranks in the set.
"""

from __future__ import annotations

from datetime import datetime

from bson import ObjectId
from django.conf import settings

from common import ranked_index
from common.mongo import get_database
from common.redis_client import redis_key
from restaurants import pause, repository

SEPARATOR = "\x00"


def key() -> str:
    return redis_key("restaurants", "browse")


def member(restaurant: dict) -> str:
    return f"{restaurant['name_key']}{SEPARATOR}{restaurant['_id']}"


def _id_of(member_text: str) -> ObjectId:
    return ObjectId(member_text.rsplit(SEPARATOR, 1)[1])


def _rebuild():
    return ((member(r), 0.0) for r in repository.restaurants_named(get_database()))


def listed(restaurant: dict, *, before: dict | None = None) -> None:
    """A created or renamed restaurant in the list (under its new name only)."""
    if before is not None and before.get("name_key") != restaurant.get("name_key"):
        ranked_index.remove(key(), member(before))
    ranked_index.add((key(), member(restaurant), 0.0))


def resting_at(*, at: datetime) -> list[dict]:
    """The restaurants not taking orders at `at`. Those marked whose pause has run out are unmarked
    on the way (once each), so the marked stay as few as the restaurants resting now."""
    db = get_database()
    resting = []
    for restaurant in repository.restaurants_marked_resting(db):
        if not pause.accepting(restaurant, at=at):
            resting.append(restaurant)
        elif restaurant.get("paused_until") is not None:
            repository.restaurant_unmark_resting(
                db, restaurant_id=restaurant["_id"], paused_until=restaurant["paused_until"]
            )
    return resting


def page(*, skip: int, limit: int, at: datetime) -> tuple[int, list[dict]] | None:
    """(count, the page) of every restaurant, those taking orders at `at` first; None without Redis."""
    db = get_database()
    count = ranked_index.ensure_built(key(), rebuild=_rebuild, ttl_s=settings.RESTAURANT_BROWSE_TTL_S)
    resting = sorted(resting_at(at=at), key=member)
    found_ranks = ranked_index.ranks(key(), [member(r) for r in resting]) if resting else []
    if count is None or found_ranks is None:
        return None
    resting_ranks = sorted(rank for rank in found_ranks if rank is not None)
    resting_members = {member(r) for r in resting}
    taking = count - len(resting_ranks)
    ids: list[ObjectId] = []
    if skip < taking and limit > 0:
        position = skip  # the skip-th restaurant taking orders, past the resting ones ranked before it
        for rank in resting_ranks:
            if rank <= position:
                position += 1
        wanted = limit + len(resting_ranks)
        found = ranked_index.page(
            key(),
            skip=position,
            limit=wanted,
            newest_first=False,
            rebuild=_rebuild,
            ttl_s=settings.RESTAURANT_BROWSE_TTL_S,
        )
        if found is None:
            return None
        ids = [_id_of(m) for m in found[1] if m not in resting_members][:limit]
    if len(ids) < limit:
        first_resting = max(0, skip + len(ids) - taking)
        listed_resting = [r for r, rank in zip(resting, found_ranks, strict=True) if rank is not None]
        ids += [r["_id"] for r in listed_resting[first_resting : first_resting + limit - len(ids)]]
    by_id = {r["_id"]: r for r in repository.restaurants_by_ids(db, ids=ids)} if ids else {}
    return count, [by_id[oid] for oid in ids if oid in by_id]
