"""Ranked indexes: a list's page order kept in a Redis sorted set, so a page and its count cost the
same with ten documents behind them or a million (issue #42).

MongoDB answers a sorted page from an index, but counting a page's whole list reads every entry
that matches, and the local store (FerretDB v1) sorts and counts by decoding every matching
document: a customer with 1,000 past orders paid for all 1,000 on every look at their history.
Here the sorted set holds one member per document (its id, or a sort key ending in the id) and its
score (a time, or 0 to order members by their bytes as MongoDB orders strings); a page is one
ZRANGE by rank and the count one ZCARD, then the page's documents are read by id.

MongoDB stays the truth. A set is built from it when a reader finds none (`rebuild`: every
(member, score) of the list) and forgotten after `ttl_s` without reads. Writers add to a set only
while it exists (`add`), so the set and MongoDB never disagree on what was written before the
reader's build: a build first creates the set (its `BUILT` member), then reads MongoDB, so a
document written meanwhile is found by the read or added by its writer, or both (adding is
idempotent). Without Redis, `page` answers None and the caller reads MongoDB as before.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime

import redis

from common.redis_client import LuaScript, get_redis

logger = logging.getLogger(__name__)

# Marks a set as built; ranks first in ascending order (score -inf) and last in descending order.
BUILT = "\x00built"
CHUNK = 5000

# [count, members of the page] in one round trip, or nil when the set is not built. Ascending ranks
# skip the marker at rank 0; a descending page never reaches it before the last rank.
_PAGE = LuaScript("""
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
if ARGV[5] == '1' then redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
local count = redis.call('ZCARD', KEYS[1]) - 1
local first = tonumber(ARGV[1])
local last = first + tonumber(ARGV[2]) - 1
if tonumber(ARGV[2]) <= 0 or first >= count then return {count, {}} end  -- a count alone, or past the end
if ARGV[3] == '1' then
  return {count, redis.call('ZREVRANGE', KEYS[1], first, math.min(last, count - 1))}
end
return {count, redis.call('ZRANGE', KEYS[1], first + 1, last + 1)}
""")

# [count, members of the page] of the members scored at least ARGV[1], highest scores first, in one
# round trip (nil when the set is not built); members scored lower leave the set (never the marker).
_PAGE_SINCE = LuaScript("""
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '(-inf', '(' .. ARGV[1])
local count = redis.call('ZCOUNT', KEYS[1], ARGV[1], '+inf')
if tonumber(ARGV[3]) <= 0 or tonumber(ARGV[2]) >= count then return {count, {}} end
return {count, redis.call('ZREVRANGEBYSCORE', KEYS[1], '+inf', ARGV[1], 'LIMIT', ARGV[2], ARGV[3])}
""")

# A member leaves KEYS[1] and joins KEYS[2] at score ARGV[2] if that set is built.
_MOVE = LuaScript("""
redis.call('ZREM', KEYS[1], ARGV[1])
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1]) end
return 1
""")

# One member into each set that is built: KEYS[i] gets member ARGV[2i-1] at score ARGV[2i].
_ADD = LuaScript("""
local added = 0
for i, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 then
    redis.call('ZADD', key, ARGV[2 * i], ARGV[2 * i - 1])
    added = added + 1
  end
end
return added
""")


# walk(source, skip, limit, needle, excluded): [count, members of the page] of the members of the
# sorted set `source` in ascending order that are not in `excluded` (a table) and whose sort key (the
# part before the first NUL) contains `needle` as bytes. Linear in the members walked, a chunk at a
# time, in Redis: no document is decoded (issue #42). Shared with common/trigram_index.py, whose
# script walks instead of intersecting when a text's trigrams are common.
WALK_LUA = """
local function walk(source, skip, limit, needle, excluded)
  local count, page, total, at = 0, {}, redis.call('ZCARD', source), 0
  while at < total do
    for _, member in ipairs(redis.call('ZRANGE', source, at, at + 999)) do
      local cut = string.find(member, '\\0', 1, true) or (#member + 1)
      local found = cut > 1 and not excluded[member]
      if found and needle ~= '' then
        local start = string.find(member, needle, 1, true)
        found = start ~= nil and start + #needle <= cut
      end
      if found then
        if count >= skip and count < skip + limit then page[#page + 1] = member end
        count = count + 1
      end
    end
    at = at + 1000
  end
  return {count, page}
end
"""

# walk's reply for the members of the sets KEYS[1..n-1] (their union when several: a scratch key
# KEYS[n], deleted after), skipping ARGV[1], ARGV[2] at most, containing ARGV[3], leaving out ARGV[5..];
# nil when a set is not built.
_PAGE_MATCHING = LuaScript(
    WALK_LUA
    + """
local sources = #KEYS - 1
for i = 1, sources do
  if redis.call('EXISTS', KEYS[i]) == 0 then return false end
  redis.call('PEXPIRE', KEYS[i], ARGV[4])
end
local source = KEYS[1]
if sources > 1 then
  source = KEYS[#KEYS]
  redis.call('ZUNIONSTORE', source, sources, unpack(KEYS, 1, sources))
  redis.call('PEXPIRE', source, 10000)
end
local excluded = {}
for i = 5, #ARGV do excluded[ARGV[i]] = true end
local reply = walk(source, tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], excluded)
if sources > 1 then redis.call('DEL', source) end
return reply
"""
)


def time_score(at: datetime) -> float:
    """A time as a score: its milliseconds, as MongoDB keeps times, so a document scores the same
    before it is stored (microseconds) and when read back (milliseconds)."""
    return round(at.replace(microsecond=at.microsecond // 1000 * 1000).timestamp() * 1000)


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else value


def page(
    key: str,
    *,
    skip: int,
    limit: int,
    newest_first: bool,
    rebuild: Callable[[], Iterable[tuple[str, float]]],
    ttl_s: float,
    slide: bool = True,
) -> tuple[int, list[str]] | None:
    """(count, the page's members) of the list, highest scores first when `newest_first`; builds the
    set from `rebuild` when it is missing. The set lives `ttl_s` from its last read (`slide`) or from
    its build (not `slide`: rebuilt that often, whatever a writer missed). None when Redis cannot answer."""
    args = [max(skip, 0), limit, "1" if newest_first else "0", int(ttl_s * 1000), "1" if slide else "0"]
    return _run(_PAGE, key, args, rebuild=rebuild, ttl_s=ttl_s)


def page_since(
    key: str,
    *,
    since: float,
    skip: int,
    limit: int,
    rebuild: Callable[[], Iterable[tuple[str, float]]],
    ttl_s: float,
) -> tuple[int, list[str]] | None:
    """(count, the page's members) of the members scored `since` or later, highest scores first: a
    window that moves on (members that fall out of it leave the set as it is read). The set lives
    `ttl_s` from its build. None when Redis cannot answer."""
    return _run(_PAGE_SINCE, key, [repr(float(since)), max(skip, 0), limit], rebuild=rebuild, ttl_s=ttl_s)


def page_matching(
    keys: list[str],
    *,
    scratch: str,
    contains: str,
    excluded: list[str],
    skip: int,
    limit: int,
    rebuilds: dict[str, Callable[[], Iterable[tuple[str, float]]]],
    ttl_s: float,
) -> tuple[int, list[str]] | None:
    """(count, the page's members) of the members of `keys` (in ascending order, their union when
    several, made in `scratch` and dropped) whose sort key contains `contains` (every member with
    ""), leaving out `excluded`. Each set is built from its `rebuilds` entry when missing and lives
    `ttl_s` from its last read. Linear in the sets' members (walked in Redis, nothing decoded), for
    filters no index answers (a substring too short for common/trigram_index.py). None when Redis
    cannot answer."""
    for key in keys:
        if ensure_built(key, rebuild=rebuilds[key], ttl_s=ttl_s) is None:
            return None
    args = [max(skip, 0), limit, contains, int(ttl_s * 1000), *excluded]
    try:
        reply = _PAGE_MATCHING.run(get_redis(), [*keys, scratch], args)
    except redis.RedisError:
        logger.warning("ranked index unavailable: the list is read from MongoDB", extra={"key": keys[0]})
        return None
    if reply is None:  # a set expired between its build and the walk: a page from MongoDB this once
        return None
    count, members = reply
    return int(count), [_text(member) for member in members]


def _run(script: LuaScript, key: str, args: list, *, rebuild, ttl_s: float) -> tuple[int, list[str]] | None:
    try:
        client = get_redis()
        reply = script.run(client, [key], args)
        if reply is None:
            build(client, key, rebuild(), ttl_s=ttl_s)
            reply = script.run(client, [key], args)
    except redis.RedisError:
        logger.warning("ranked index unavailable: the list is read from MongoDB", extra={"key": key})
        return None
    if reply is None:  # expired between the build and the read: a page from MongoDB this once
        return None
    count, members = reply
    return int(count), [_text(member) for member in members if _text(member) != BUILT]


def build(client: redis.Redis, key: str, entries: Iterable[tuple[str, float]], *, ttl_s: float) -> None:
    """Creates the set (marker first, so writers' `add`s land from here on), then fills it."""
    client.zadd(key, {BUILT: float("-inf")})
    client.pexpire(key, int(ttl_s * 1000))
    chunk: dict[str, float] = {}
    for member, score in entries:
        chunk[member] = score
        if len(chunk) >= CHUNK:
            client.zadd(key, chunk)
            chunk = {}
    if chunk:
        client.zadd(key, chunk)


def add(*entries: tuple[str, str, float]) -> None:
    """Adds a document written to MongoDB to its lists' sets, (key, member, score) each, those that
    are built, in one round trip. Best effort: a set that missed it stays short until it expires."""
    try:
        _ADD.run(get_redis(), [key for key, _, _ in entries], [v for _, m, s in entries for v in (m, s)])
    except redis.RedisError:
        logger.warning("ranked index not updated", extra={"keys": [key for key, _, _ in entries]})


def move(from_key: str, to_key: str, member: str, score: float) -> None:
    """A document leaves one list for another (the second only if it is built), in one round trip.
    Best effort, as `add`."""
    try:
        _MOVE.run(get_redis(), [from_key, to_key], [member, score])
    except redis.RedisError:
        logger.warning("ranked index not updated", extra={"keys": [from_key, to_key]})


def remove(key: str, member: str) -> None:
    try:
        get_redis().zrem(key, member)
    except redis.RedisError:
        logger.warning("ranked index not updated", extra={"key": key})


def forget(*keys: str) -> None:
    """Drops sets whose lists changed behind their writers' backs (a bulk load): rebuilt when next read."""
    try:
        if keys:
            get_redis().delete(*keys)
    except redis.RedisError:
        logger.warning("ranked indexes not forgotten", extra={"keys": len(keys)})


def ensure_built(key: str, *, rebuild: Callable[[], Iterable[tuple[str, float]]], ttl_s: float) -> int | None:
    """The list's count, building its set first when missing; None when Redis cannot answer."""
    found = page(key, skip=0, limit=0, newest_first=False, rebuild=rebuild, ttl_s=ttl_s)
    return None if found is None else found[0]


def ranks(key: str, members: list[str]) -> list[int | None] | None:
    """Each member's place in ascending order (0 the first; None when not listed); None without Redis."""
    try:
        pipe = get_redis().pipeline(transaction=False)
        for member in members:
            pipe.zrank(key, member)
        found = pipe.execute() if members else []
    except redis.RedisError:
        return None
    return [None if rank is None else rank - 1 for rank in found]  # the marker holds rank 0
