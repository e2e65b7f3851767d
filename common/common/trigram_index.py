"""Trigram indexes: the members of a ranked list (common/ranked_index.py) whose sort key contains a
text, found from the sets of members per three characters instead of a walk of the whole list, so a
page costs what its matches cost, not what the list holds (issue #42).

A member's sort key is its part before the first NUL, as in `ranked_index.page_matching`. For each
trigram (three consecutive characters, Unicode code points) of a sort key, a set holds the members
whose key contains it. A text of three or more characters is contained only by members in every set
of its trigrams: their intersection is the candidates, each checked for the real substring (the
sets also say nothing of order), kept if it is listed in one of the ranked lists (the truth the walk
reads) and ordered as those lists order it. Shorter texts have no trigram: walk the list instead.

MongoDB stays the truth, as for the ranked lists. One marker (a hash) stands for the whole index,
because a trigram's set may be missing for good (no key has that trigram, or none yet): a build
writes the marker first, then every member read from MongoDB, then marks it `ready`; writers change
the sets only while the marker exists, so a member written during a build is found by the build's
read or added by its writer, or both. The index lives `ttl_s` from its build (the marker's
`deadline`); every set lives a little longer than the marker (`GRACE_MS`), so while a marker
exists, its sets are whole. Readers never build: a background pass (`refresh`) builds the index
when missing and renews it before its deadline (sets refilled, their lifetimes only lengthened,
then the deadline moved), so no request pays a build. A set may keep members that left (renamed
while no index was built): they are never shown, as each candidate must still be in a ranked list
and contain the text. Without Redis, or without a ready index, `page_containing` answers None and
the caller walks the list (or reads MongoDB).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import redis

from common import ranked_index
from common.redis_client import LuaScript, get_redis

logger = logging.getLogger(__name__)

TRIGRAM = 3
SEPARATOR = "\x00"
# A set outlives its marker by this much: a marker that exists means whole sets, whatever the clocks.
GRACE_MS = 10_000
# A build not ready this long after it began has died (or is too slow): its marker goes, readers rebuild.
BUILD_WINDOW_MS = 60_000
# Members read from the store per round trip of a build.
CHUNK = 2000
# A text whose rarest trigram is in more than this share of the list's members walks the list: a
# candidate costs about five times what a walked member costs (bench/RESULTS.md).
WALK_SHARE = 0.2


@dataclass(frozen=True)
class TrigramIndex:
    """Where one list's trigram index lives (`marker`, and `set_key` for each trigram's set) and how
    its members are read from MongoDB (`members`: every document's ranked-list member)."""

    marker: str
    set_key: Callable[[str], str]
    members: Callable[[], Iterable[str]]
    ttl_s: float


def trigrams(text: str) -> set[str]:
    return {text[at : at + TRIGRAM] for at in range(len(text) - TRIGRAM + 1)}


def searchable(text: str) -> bool:
    """Whether `text` has trigrams to look up (shorter texts: walk the list)."""
    return len(text) >= TRIGRAM


def _sort_key(member: str) -> str:
    return member.split(SEPARATOR, 1)[0]


# [count, members of the page] of the candidates (the intersection of the sets KEYS[3 + ARGV[1]..])
# that contain ARGV[4] in their sort key, are not listed in ARGV[7..] and are listed in one of the
# ranked lists KEYS[3..2 + ARGV[1]], ordered by that list's score, then bytes, in a scratch set
# KEYS[2] (dropped after); nil when the index (marker KEYS[1]) or a ranked list is not built.
# SINTER starts from the smallest set and stops at an empty one, so the work follows the rarest
# trigram: the candidates, never the list. Matches are looked up and added a batch per call.
# When the rarest trigram's set holds more than ARGV[6] (a share; negative: never) of the lists'
# members, the lists are walked instead (ranked_index.WALK_LUA), in the same script: a candidate
# costs several times what a walked member costs.
_PAGE_CONTAINING = LuaScript(
    ranked_index.WALK_LUA
    + """
local marker, scratch, sources = KEYS[1], KEYS[2], tonumber(ARGV[1])
if redis.call('HGET', marker, 'ready') ~= '1' then return false end
local listed = 0
for i = 3, 2 + sources do
  if redis.call('EXISTS', KEYS[i]) == 0 then return false end
  redis.call('PEXPIRE', KEYS[i], ARGV[5])
  listed = listed + redis.call('ZCARD', KEYS[i])
end
local skip, limit, needle, share = tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4], tonumber(ARGV[6])
local excluded = {}
for i = 7, #ARGV do excluded[ARGV[i]] = true end
if share >= 0 then
  local rarest = listed
  for i = 3 + sources, #KEYS do rarest = math.min(rarest, redis.call('SCARD', KEYS[i])) end
  if rarest > listed * share then
    local source = KEYS[3]
    if sources > 1 then
      source = scratch
      redis.call('ZUNIONSTORE', scratch, sources, unpack(KEYS, 3, 2 + sources))
    end
    local reply = walk(source, skip, limit, needle, excluded)
    redis.call('DEL', scratch)
    return reply
  end
end
local matching = {}
for _, member in ipairs(redis.call('SINTER', unpack(KEYS, 3 + sources, #KEYS))) do
  local cut = string.find(member, '\\0', 1, true) or (#member + 1)
  local start = string.find(member, needle, 1, true)
  if start ~= nil and start + #needle <= cut and not excluded[member] then matching[#matching + 1] = member end
end
for first = 1, #matching, 500 do
  local batch = {unpack(matching, first, math.min(first + 499, #matching))}
  local scores = {}
  for i = 3, 2 + sources do
    local found = redis.call('ZMSCORE', KEYS[i], unpack(batch))
    for j = 1, #batch do scores[j] = scores[j] or found[j] end
  end
  local adding = {}
  for j = 1, #batch do
    if scores[j] then
      adding[#adding + 1] = scores[j]
      adding[#adding + 1] = batch[j]
    end
  end
  if #adding > 0 then redis.call('ZADD', scratch, unpack(adding)) end
end
local count, page = redis.call('ZCARD', scratch), {}
if limit > 0 and skip < count then page = redis.call('ZRANGE', scratch, skip, skip + limit - 1) end
redis.call('DEL', scratch)
return {count, page}
"""
)

# Begins a build unless one exists: the marker (KEYS[1]) is written first, with the index's deadline
# ARGV[1] ms from now by the server's clock, and lives ARGV[2] ms until the build is ready (a build
# that died leaves no marker for long). Replies 'ready', 'building' (another reader's), or the new
# build's deadline.
_BEGIN = LuaScript("""
local ready = redis.call('HGET', KEYS[1], 'ready')
if ready == '1' then return 'ready' end
if ready then return 'building' end
local now = redis.call('TIME')
local deadline = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) + tonumber(ARGV[1])
redis.call('HSET', KEYS[1], 'deadline', string.format('%d', deadline), 'ready', '0')
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return string.format('%d', deadline)
""")

# The build begun with deadline ARGV[1] is complete (unless its marker expired or was dropped meanwhile).
_READY = LuaScript("""
if redis.call('HGET', KEYS[1], 'deadline') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'ready', '1')
redis.call('PEXPIREAT', KEYS[1], ARGV[1])
return 1
""")

# While the index exists (marker KEYS[1]): member ARGV[2] leaves the sets KEYS[2..1 + ARGV[1]] and
# member ARGV[3] joins the others, which then outlive the marker (or the refresh under way) by ARGV[4] ms.
_CHANGE = LuaScript("""
local deadline = redis.call('HGET', KEYS[1], 'deadline')
if not deadline then return 0 end
local renewing = redis.call('HGET', KEYS[1], 'renewing')
if renewing and tonumber(renewing) > tonumber(deadline) then deadline = renewing end
local leaving = tonumber(ARGV[1])
for i = 2, 1 + leaving do redis.call('SREM', KEYS[i], ARGV[2]) end
local until_ms = string.format('%d', tonumber(deadline) + tonumber(ARGV[4]))
for i = 2 + leaving, #KEYS do
  redis.call('SADD', KEYS[i], ARGV[3])
  redis.call('PEXPIREAT', KEYS[i], until_ms, 'NX')
  redis.call('PEXPIREAT', KEYS[i], until_ms, 'GT')
end
return 1
""")


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else value


def page_containing(
    index: TrigramIndex,
    *,
    sources: dict[str, Callable[[], Iterable[tuple[str, float]]]],
    scratch: str,
    contains: str,
    excluded: list[str],
    skip: int,
    limit: int,
    ttl_s: float,
    walk_share: float | None = None,
) -> tuple[int, list[str]] | None:
    """(count, the page's members) of the members of the ranked lists `sources` (their rebuilds by
    key; several: as one list) whose sort key contains `contains` (three characters or more),
    leaving out `excluded`, in the lists' order: one round trip, from the sets, or from the walk of
    the lists when the rarest trigram is in more than `walk_share` of their members (None:
    `WALK_SHARE`; negative: never). The lists live `ttl_s` from their last read. Never builds: None
    when the index or a list is missing (`refresh` builds the index off the request), or Redis
    cannot answer: walk the lists instead (their walk builds them)."""
    if not searchable(contains):
        raise ValueError("a text under three characters has no trigrams: walk the list")
    keys = [index.marker, scratch, *sources, *(index.set_key(t) for t in sorted(trigrams(contains)))]
    share = WALK_SHARE if walk_share is None else walk_share
    args = [len(sources), max(skip, 0), limit, contains, int(ttl_s * 1000), repr(float(share)), *excluded]
    try:
        reply = _PAGE_CONTAINING.run(get_redis(), keys, args)
    except redis.RedisError:
        logger.warning("trigram index unavailable: the list is walked", extra={"key": index.marker})
        return None
    if reply is None:  # no index (built by `refresh`, off the request) or no list: walked this once
        return None
    count, members = reply
    return int(count), [_text(member) for member in members]


def build(index: TrigramIndex) -> bool:
    """Builds the index unless it exists (marker first, then every member from MongoDB); whether it
    is ready (False while another reader builds it). Raises redis.RedisError."""
    client = get_redis()
    lifetime_ms = int(index.ttl_s * 1000)
    begun = _text(_BEGIN.run(client, [index.marker], [lifetime_ms, min(lifetime_ms, BUILD_WINDOW_MS)]))
    if begun in ("ready", "building"):
        return begun == "ready"
    _fill_all(client, index, int(begun) + GRACE_MS)
    return bool(_READY.run(client, [index.marker], [begun]))


def refresh(index: TrigramIndex, *, margin_s: float) -> str:
    """Builds the index when missing, or, when it expires within `margin_s`, fills its sets again from
    the store and then moves its deadline `ttl_s` from now, so readers never meet a missing index
    while this runs often enough. Replies 'built', 'refreshed', 'fresh' or 'building' (another
    process's build). Raises redis.RedisError."""
    client = get_redis()
    ready, deadline = client.hmget(index.marker, "ready", "deadline")
    if ready is None:
        return "built" if build(index) else "building"
    if _text(ready) != "1":
        return "building"
    seconds, micros = client.time()
    now_ms = seconds * 1000 + micros // 1000
    if int(deadline) - now_ms > margin_s * 1000:
        return "fresh"
    renewed = now_ms + int(index.ttl_s * 1000)
    if not _RENEWING.run(client, [index.marker], [renewed]):
        return "fresh"  # dropped meanwhile: rebuilt by the next pass
    # Writers now give the sets they touch the renewed lifetime. Sets first (their lifetimes only
    # ever grow, so a writer's older deadline cannot shorten them), then the marker: a refresh cut
    # short leaves the old index whole until its old deadline.
    _fill_all(client, index, renewed + GRACE_MS)
    _RENEW.run(client, [index.marker], [_text(deadline), renewed])
    return "refreshed"


# The ready index (KEYS[1]) is being renewed until ARGV[1]: writers give their sets that lifetime.
_RENEWING = LuaScript("""
if redis.call('HGET', KEYS[1], 'ready') ~= '1' then return 0 end
redis.call('HSET', KEYS[1], 'renewing', ARGV[1])
return 1
""")

# The ready index whose deadline is still ARGV[1] now lives until ARGV[2] (another refresh's renewal,
# or a drop, wins).
_RENEW = LuaScript("""
if redis.call('HGET', KEYS[1], 'ready') ~= '1' or redis.call('HGET', KEYS[1], 'deadline') ~= ARGV[1] then
  return 0
end
redis.call('HSET', KEYS[1], 'deadline', ARGV[2])
redis.call('PEXPIREAT', KEYS[1], ARGV[2])
return 1
""")


def _fill_all(client: redis.Redis, index: TrigramIndex, until_ms: int) -> None:
    chunk: dict[str, list[str]] = defaultdict(list)
    for read, member in enumerate(index.members(), start=1):
        for trigram in trigrams(_sort_key(member)):
            chunk[index.set_key(trigram)].append(member)
        if read % CHUNK == 0:
            _fill(client, chunk, until_ms)
            chunk = defaultdict(list)
    _fill(client, chunk, until_ms)


def _fill(client: redis.Redis, chunk: dict[str, list[str]], until_ms: int) -> None:
    pipe = client.pipeline(transaction=False)
    for key, members in chunk.items():
        pipe.sadd(key, *members)
        # A new set gets its lifetime, an existing one only a longer one (never shortened).
        pipe.pexpireat(key, until_ms, nx=True)
        pipe.pexpireat(key, until_ms, gt=True)
    pipe.execute()


def change(index: TrigramIndex, *, before: str | None, after: str | None) -> None:
    """A member written to MongoDB leaves (`before`) and joins (`after`) the index's sets, if the
    index exists, in one round trip. Best effort: a member that missed joining is added back by the
    next renewal or build (`refresh`); one that missed leaving stays, never shown (each candidate
    must still be in a ranked list and contain the text)."""
    leaving = sorted(index.set_key(t) for t in trigrams(_sort_key(before))) if before else []
    joining = sorted(index.set_key(t) for t in trigrams(_sort_key(after))) if after else []
    if before == after or not (leaving or joining):
        return
    try:
        _CHANGE.run(
            get_redis(), [index.marker, *leaving, *joining], [len(leaving), before or "", after or "", GRACE_MS]
        )
    except redis.RedisError:
        logger.warning("trigram index not updated", extra={"key": index.marker})


def forget(index: TrigramIndex) -> None:
    """Drops the index (its marker: the sets are rebuilt over when next read) after the list changed
    behind its writers' backs (a bulk load)."""
    try:
        get_redis().delete(index.marker)
    except redis.RedisError:
        logger.warning("trigram index not forgotten", extra={"key": index.marker})
