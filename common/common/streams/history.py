"""The history of a topic in Redis, written by one script: what makes a stream resumable.

Per topic Redis keeps the **history** (a Redis stream of every change, trimmed to
`SSE_HISTORY_MAX_LEN` entries and `SSE_HISTORY_MAX_AGE_S`), the **versions** seen per key, and the
**view** (the live items' latest entries). One Lua script appends: an entry older than or as old as
the version already seen is dropped, and one whose state did not change bumps the version without an
event. So the history never holds an item twice at the same state, however many processes publish
or repair the same change. Each appended entry is announced on the topic's pub/sub channel
(`common.streams.fanout` hands it to the open streams).

**Opening** a stream (or resuming one) runs the same script (`open_topic`): it first merges what
MongoDB says (a publish that was lost is appended now), then either answers the entries after the
client's `Last-Event-ID` (when the history still has that id) or the view and the history's last
id, in one atomic step: a snapshot is exactly the history up to its id, so the client that resumes
from it misses nothing and gets nothing twice.

Everything here can be lost: MongoDB stays the truth, and the worst a client then sees is a fresh
snapshot instead of a resume. Publishing is best effort and never fails the write that triggered it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass

import redis
from django.conf import settings

from common.redis_client import LuaScript, get_async_redis, get_redis, redis_key
from common.streams.spec import Entry

logger = logging.getLogger(__name__)

# --- the script: merge entries, then (on opening) answer a resume or a snapshot ---------------------------

_MERGE = """
local function merge(first)
  local ids = {}
  for i = first, #ARGV, 5 do
    local key, version, event, data, live = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
    local seen = redis.call('HGET', KEYS[2], key)
    local known, digest = -1, ''
    if seen then
      local sep = string.find(seen, ' ', 1, true)
      known, digest = tonumber(string.sub(seen, 1, sep - 1)), string.sub(seen, sep + 1)
    end
    if version > known then
      local state = event .. '\\n' .. data
      local new_digest = redis.sha1hex(state)
      redis.call('HSET', KEYS[2], key, version .. ' ' .. new_digest)
      if live == '1' then
        redis.call('HSET', KEYS[3], key, version .. '\\n' .. state)
      else
        redis.call('HDEL', KEYS[3], key)
      end
      if new_digest ~= digest then
        local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'k', key, 'v', version, 'e', event, 'd', data)
        redis.call('PUBLISH', ARGV[1], id .. '\\n' .. key .. '\\n' .. version .. '\\n' .. state)
        ids[#ids + 1] = id
      end
    end
  end
  if #ids > 0 then
    local now = redis.call('TIME')
    local oldest = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) - tonumber(ARGV[3])
    redis.call('XTRIM', KEYS[1], 'MINID', oldest)
  end
  local ttl = math.ceil(tonumber(ARGV[3]) / 1000)
  for k = 1, 3 do redis.call('EXPIRE', KEYS[k], ttl) end
  return ids
end
"""

# KEYS: history, versions, view. ARGV: channel, max length, max age (ms), then key, version, event, data, live per entry.
PUBLISH_SCRIPT = LuaScript(_MERGE + "return merge(4)\n")

# As PUBLISH_SCRIPT, with ARGV[4] = the client's last event id ('' for none), entries from ARGV[5].
# After the merge, in one step: {'resume', entries after that id, view} when the history still has
# that id, else {'snapshot', the history's last id, view}.
OPEN_SCRIPT = LuaScript(
    _MERGE
    + """
merge(5)
local view = redis.call('HGETALL', KEYS[3])
if ARGV[4] ~= '' and #redis.call('XRANGE', KEYS[1], ARGV[4], ARGV[4]) > 0 then
  return {'resume', redis.call('XRANGE', KEYS[1], '(' .. ARGV[4], '+'), view}
end
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
local last_id
if #last > 0 then
  last_id = last[1][1]
else
  -- An empty history still gets an id to resume from: an anchor entry no stream sends.
  last_id = redis.call('XADD', KEYS[1], '*', 'k', '', 'v', '0', 'e', '', 'd', '{}')
  local ttl = math.ceil(tonumber(ARGV[3]) / 1000)
  redis.call('EXPIRE', KEYS[1], ttl)
end
return {'snapshot', last_id, view}
"""
)


def keys(topic: str) -> list[str]:
    """The topic's history, versions and view."""
    # One hash tag per topic: the three keys live in one slot on a Redis Cluster too.
    base = redis_key("stream", "{" + topic + "}")
    return [f"{base}:history", f"{base}:versions", f"{base}:view"]


def channel(topic: str) -> str:
    """Where the topic's appended entries are announced."""
    return redis_key("stream-notify", topic)


def channel_pattern() -> str:
    """Every topic's channel, for the one subscription per process."""
    return channel("*")


def announced(message: str) -> tuple[str, Entry]:
    """(history id, entry) from an announcement as the script publishes it."""
    entry_id, key, version, event, data = message.split("\n", 4)
    return entry_id, Entry(key=key, version=int(version), event=event, data=json.loads(data))


def _script_args(topic: str, entries: Iterable[Entry], *head: str) -> list[str]:
    args = [
        channel(topic),
        str(settings.SSE_HISTORY_MAX_LEN),
        str(int(settings.SSE_HISTORY_MAX_AGE_S * 1000)),
        *head,
    ]
    for entry in entries:
        args += [entry.key, str(entry.version), entry.event, entry.text, "1" if entry.live else "0"]
    return args


# --- publishing ----------------------------------------------------------------------------------------


def publish(batches: Iterable[tuple[str, Iterable[Entry]]]) -> None:
    """Appends entries to topics (`[(topic, entries), ...]`) in one round trip. Best effort: a failure
    is logged and the streams' heartbeat re-read repairs it, so a write is never failed by Redis."""
    batches = [(topic, list(entries)) for topic, entries in batches]
    if not batches:
        return
    try:
        client = get_redis()
        # EVALSHA straight into the pipeline: redis-py's scripts in a pipeline ask SCRIPT EXISTS
        # first, one more round trip per publish on the write path. A server without the script
        # (restarted) gets it loaded and the batch again: the script drops whatever it has already
        # appended (versions), so a second run is harmless.
        for attempt in (1, 2):
            pipe = client.pipeline(transaction=False)
            for topic, entries in batches:
                topic_keys = keys(topic)
                pipe.evalsha(PUBLISH_SCRIPT.sha, len(topic_keys), *topic_keys, *_script_args(topic, entries))
            try:
                pipe.execute()
                break
            except redis.exceptions.NoScriptError:
                if attempt == 2:
                    raise
                client.script_load(PUBLISH_SCRIPT.source)
    except redis.RedisError:
        logger.warning("live events not published", extra={"topics": [topic for topic, _ in batches]})


async def publish_async(batches: Iterable[tuple[str, Iterable[Entry]]]) -> None:
    """`publish` for code on the event loop (the couriers' position fast path)."""
    batches = [(topic, list(entries)) for topic, entries in batches]
    if not batches:
        return
    try:
        client = get_async_redis()
        for topic, entries in batches:
            await PUBLISH_SCRIPT.run_async(client, keys(topic), _script_args(topic, entries))
    except (redis.RedisError, OSError):
        logger.warning("live events not published", extra={"topics": [topic for topic, _ in batches]})


# --- opening -------------------------------------------------------------------------------------------


@dataclass
class Opened:
    """What the open script answered: the entries after the client's id (`resumed`), or the id a
    snapshot stands at; and the topic's view either way."""

    resumed: bool
    entries: list[tuple[str, Entry]]  # (id, entry), in history order
    snapshot_id: str
    view: list[Entry]


async def open_topic(topic: str, truth: list[Entry], last_event_id: str | None) -> Opened:
    """Merges `truth` into the topic, then answers a resume from `last_event_id` or a snapshot."""
    reply = await OPEN_SCRIPT.run_async(get_async_redis(), keys(topic), _script_args(topic, truth, last_event_id or ""))
    view = []
    flat = reply[2]
    for key, value in zip(flat[0::2], flat[1::2], strict=True):
        version, event, data = value.split("\n", 2)
        view.append(Entry(key=key, version=int(version), event=event, data=json.loads(data)))
    if reply[0] == "resume":
        entries = [(entry_id, _decode_entry(_pairs(fields))) for entry_id, fields in reply[1]]
        return Opened(True, entries, "", view)
    return Opened(False, [], reply[1], view)


def _decode_entry(fields: dict) -> Entry:
    return Entry(key=fields["k"], version=int(fields["v"]), event=fields["e"], data=json.loads(fields["d"]))


def _pairs(flat: list) -> dict:
    return dict(zip(flat[0::2], flat[1::2], strict=True))
