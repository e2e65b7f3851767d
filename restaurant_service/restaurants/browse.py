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

A name's text (`?q=`) of three characters or more is looked up in a trigram index of the names
(common/trigram_index.py: a set of members per three letters of `name_key`, intersected), so its page
costs what its matches cost, built and renewed by a background pass, never by a request; shorter
texts, common ones (their rarest trigram in over a fifth of the names) and requests that find no
index walk the names in Redis (linear, nothing decoded).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from bson import ObjectId
from django.conf import settings

from common import ranked_index, trigram_index
from common.mongo import get_database
from common.redis_client import redis_key
from restaurants import pause, repository

SEPARATOR = "\x00"


def key() -> str:
    return redis_key("restaurants", "browse")


def cuisine_key(cuisine: str) -> str:
    """The restaurants of one cuisine by name (`?cuisine=`), as `key()`'s set holds every restaurant."""
    return redis_key("restaurants", "browse", "cuisine", cuisine)


def trigrams() -> trigram_index.TrigramIndex:
    """Every restaurant's member of `key()` by the three-letter parts of its `name_key` (`?q=`)."""
    return trigram_index.TrigramIndex(
        marker=redis_key("restaurants", "browse", "trigrams"),
        set_key=lambda trigram: redis_key("restaurants", "browse", "trigrams", trigram),
        members=lambda: (member for member, _ in _rebuild()()),
        ttl_s=settings.RESTAURANT_BROWSE_TTL_S,
    )


def refresh_trigrams() -> str:
    """The background pass (restaurants/background.py): builds the names' trigram index when missing,
    or renews it when it expires within half its lifetime (or three passes), so no request builds it."""
    margin_s = max(settings.RESTAURANT_BROWSE_TTL_S / 2, 3 * settings.RESTAURANT_TRIGRAMS_REFRESH_S)
    return trigram_index.refresh(trigrams(), margin_s=margin_s)


def forget() -> None:
    """Drops the lists and the name index, rebuilt from MongoDB when next read (after a bulk load)."""
    ranked_index.forget(key())
    trigram_index.forget(trigrams())


def member(restaurant: dict) -> str:
    return f"{restaurant['name_key']}{SEPARATOR}{restaurant['_id']}"


def _id_of(member_text: str) -> ObjectId:
    return ObjectId(member_text.rsplit(SEPARATOR, 1)[1])


def _rebuild(cuisine: str | None = None):
    def entries():
        return ((member(r), 0.0) for r in repository.restaurants_named(get_database(), cuisine=cuisine))

    return entries


def listed(restaurant: dict, *, before: dict | None = None) -> None:
    """A created or renamed restaurant in the list and its cuisine's (under its new name and
    cuisine only)."""
    renamed = before is not None and before.get("name_key") != restaurant.get("name_key")
    if renamed:
        ranked_index.remove(key(), member(before))
    moved = before is not None and (before.get("cuisine"), before.get("name_key")) != (
        restaurant.get("cuisine"),
        restaurant.get("name_key"),
    )
    if moved and before.get("cuisine"):
        ranked_index.remove(cuisine_key(before["cuisine"]), member(before))
    entries = [(key(), member(restaurant), 0.0)]
    if restaurant.get("cuisine"):
        entries.append((cuisine_key(restaurant["cuisine"]), member(restaurant), 0.0))
    ranked_index.add(*entries)
    if before is None or renamed:
        trigram_index.change(trigrams(), before=member(before) if renamed else None, after=member(restaurant))


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


def page(
    *, skip: int, limit: int, at: datetime, cuisines: list[str] | None = None, text: str | None = None
) -> tuple[int, list[dict]] | None:
    """(count, the page) of the restaurants of `cuisines` (any, when none) whose name contains `text`
    (compared casefolded, as `repository.browse_filter`), those taking orders at `at` first; None
    without Redis. A cuisine's page is read by rank like the whole list's; a name's from the names'
    trigrams, or by walking the names in Redis for a text under three characters."""
    needle = text.casefold() if text else ""
    sources = {cuisine_key(c): _rebuild(c) for c in cuisines} if cuisines else {key(): _rebuild()}
    resting = sorted(
        (
            r
            for r in resting_at(at=at)
            if (not cuisines or r.get("cuisine") in cuisines) and needle in r.get("name_key", "")
        ),
        key=member,
    )
    if needle or len(sources) > 1:
        taking = _taking_matching(sources, needle, resting, skip=skip, limit=limit)
    else:
        taking = _taking_by_rank(next(iter(sources.items())), resting, skip=skip, limit=limit)
    if taking is None:
        return None
    taking_count, ids = taking
    if len(ids) < limit:
        first_resting = max(0, skip + len(ids) - taking_count)
        ids += [r["_id"] for r in resting[first_resting : first_resting + limit - len(ids)]]
    db = get_database()
    by_id = {r["_id"]: r for r in repository.restaurants_by_ids(db, ids=ids)} if ids else {}
    return taking_count + len(resting), [by_id[oid] for oid in ids if oid in by_id]


def _taking_matching(
    sources: dict, needle: str, resting: list[dict], *, skip: int, limit: int
) -> tuple[int, list[ObjectId]] | None:
    """(how many taking orders match, the page's ids among them), from the names' trigrams or walked
    in Redis (a text under three characters or a common one, or while the trigram index is not built)."""
    found = None
    if trigram_index.searchable(needle):
        found = trigram_index.page_containing(
            trigrams(),
            sources=sources,
            scratch=redis_key("restaurants", "browse", "matching", uuid.uuid4().hex),
            contains=needle,
            excluded=[member(r) for r in resting],
            skip=skip,
            limit=limit,
            ttl_s=settings.RESTAURANT_BROWSE_TTL_S,
        )
    if found is None:
        found = ranked_index.page_matching(
            list(sources),
            scratch=redis_key("restaurants", "browse", "union", uuid.uuid4().hex),
            contains=needle,
            excluded=[member(r) for r in resting],
            skip=skip,
            limit=limit,
            rebuilds=sources,
            ttl_s=settings.RESTAURANT_BROWSE_TTL_S,
        )
    if found is None:
        return None
    return found[0], [_id_of(m) for m in found[1]]


def _taking_by_rank(
    source_and_rebuild: tuple, resting: list[dict], *, skip: int, limit: int
) -> tuple[int, list[ObjectId]] | None:
    """(how many take orders, the page's ids among them) of one set, read by rank: the resting ones'
    ranks are skipped."""
    source, rebuild = source_and_rebuild
    count = ranked_index.ensure_built(source, rebuild=rebuild, ttl_s=settings.RESTAURANT_BROWSE_TTL_S)
    found_ranks = ranked_index.ranks(source, [member(r) for r in resting]) if resting else []
    if count is None or found_ranks is None:
        return None
    resting_ranks = sorted(rank for rank in found_ranks if rank is not None)
    resting_members = {member(r) for r in resting}
    taking = count - len(resting_ranks)
    if skip >= taking or limit <= 0:
        return taking, []
    position = skip  # the skip-th restaurant taking orders, past the resting ones ranked before it
    for rank in resting_ranks:
        if rank <= position:
            position += 1
    found = ranked_index.page(
        source,
        skip=position,
        limit=limit + len(resting_ranks),
        newest_first=False,
        rebuild=rebuild,
        ttl_s=settings.RESTAURANT_BROWSE_TTL_S,
    )
    if found is None:
        return None
    return taking, [_id_of(m) for m in found[1] if m not in resting_members][:limit]
