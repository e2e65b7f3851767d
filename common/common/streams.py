"""Live streams (Server-Sent Events) for every actor, resumable with `Last-Event-ID` (ARCHITECTURE 4.4).

One mechanism for the three streams (an order's, a kitchen's board, a courier's task feed); each
service's `events.py` says only what its stream shows (a `StreamSpec`) and who may open it.

The model, "list, then watch" as in Kubernetes:

- A stream follows one **topic** (`order:{id}`, `restaurant:{id}`, `courier:{id}`) made of keyed
  **entries**: an item's current state (`key`, `version`, `event`, `data`, `live`). The order's
  topic has the keys `status`, `estimate` and `location`; a board has one key per order; a courier
  feed one per delivery. A version only grows (it comes from the item's MongoDB document).
- Redis keeps, per topic, the **history** (a Redis stream of every change, trimmed to
  `SSE_HISTORY_MAX_LEN` entries and `SSE_HISTORY_MAX_AGE_S`), the **versions** seen per key, and
  the **view** (the live items' latest entries). One Lua script appends: an entry older than or as
  old as the version already seen is dropped, and one whose state did not change bumps the version
  without an event. So the history never holds an item twice at the same state, however many
  processes publish or repair the same change. Each appended entry is announced on a pub/sub channel.
- **Opening** a stream (or resuming one) runs the same script: it first merges what MongoDB says
  (a publish that was lost is appended now), then either answers the entries after the client's
  `Last-Event-ID` (when the history still has that id) or the view and the history's last id, in
  one atomic step: a snapshot is exactly the history up to its id, so the client that resumes from
  it misses nothing and gets nothing twice.
- **Watching**: one pub/sub subscription per process (`_Hub`) fans announcements out to the open
  streams. Once per heartbeat, a `_Refresher` per stream kind re-reads MongoDB for all of the
  process's open streams of that kind in one query; a stream that is behind the truth (a lost
  publish) merges it through the script, so a lost publish costs at most one heartbeat. Without
  Redis, streams poll MongoDB through the same refresher and go back to Redis when it answers.

MongoDB stays the truth: everything in Redis can be lost; the worst a client then sees is a fresh
snapshot instead of a resume. Streams cost a coroutine and a small queue, never a thread.
"""

from __future__ import annotations

import abc
import asyncio
import collections
import contextlib
import itertools
import json
import logging
import random
import re
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

import redis
import redis.asyncio as aioredis
from asgiref.sync import sync_to_async
from django.conf import settings
from prometheus_client import Counter, Gauge

from common import open_files
from common.redis_client import LuaScript, get_async_redis, get_redis, redis_key

logger = logging.getLogger(__name__)

OPEN_STREAMS = Gauge("event_streams_open", "Open live event streams", ["kind"])
STREAM_OPENINGS = Counter("event_stream_openings_total", "Live streams opened, by how they started", ["kind", "start"])
STREAMS_SHED = Counter("event_streams_shed_total", "Streams refused before opening, by reason", ["kind", "reason"])
STREAM_REPAIRS = Counter(
    "event_stream_repairs_total", "Entries a stream found missing and merged from MongoDB", ["kind"]
)

# A Redis stream id, as the history's entries carry it. Anything else is an id the platform never gave.
_STREAM_ID = re.compile(r"^\d{1,20}-\d{1,20}$")


@dataclass(frozen=True, slots=True)
class Entry:
    """One item's current state as a stream shows it. `live` items are part of the topic's current
    view (an open order on a board); the others are shown once, when they change (a finished order)."""

    key: str
    version: int
    event: str
    data: dict
    live: bool = True

    @property
    def text(self) -> str:
        return json.dumps(self.data, sort_keys=True, separators=(",", ":"), default=str)


def _id_tuple(stream_id: str) -> tuple[int, int]:
    ms, _, seq = stream_id.partition("-")
    return int(ms), int(seq)


# --- Redis: the history, the versions and the view of a topic, written by one script ----------------------

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
_PUBLISH_SCRIPT = LuaScript(_MERGE + "return merge(4)\n")

# As _PUBLISH_SCRIPT, with ARGV[4] = the client's last event id ('' for none), entries from ARGV[5].
# After the merge, in one step: {'resume', entries after that id, view} when the history still has
# that id, else {'snapshot', the history's last id, view}.
_OPEN_SCRIPT = LuaScript(
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


def _keys(topic: str) -> list[str]:
    # One hash tag per topic: the three keys live in one slot on a Redis Cluster too.
    base = redis_key("stream", "{" + topic + "}")
    return [f"{base}:history", f"{base}:versions", f"{base}:view"]


def _channel(topic: str) -> str:
    return redis_key("stream-notify", topic)


def _script_args(topic: str, entries: Iterable[Entry], *head: str) -> list[str]:
    args = [
        _channel(topic),
        str(settings.SSE_HISTORY_MAX_LEN),
        str(int(settings.SSE_HISTORY_MAX_AGE_S * 1000)),
        *head,
    ]
    for entry in entries:
        args += [entry.key, str(entry.version), entry.event, entry.text, "1" if entry.live else "0"]
    return args


def topic_of(kind: str, subject: str) -> str:
    return f"{kind}:{subject}"


def publish(batches: Iterable[tuple[str, Iterable[Entry]]]) -> None:
    """Appends entries to topics (`[(topic, entries), ...]`) in one round trip. Best effort: a failure
    is logged and the streams' heartbeat re-read repairs it, so a write is never failed by Redis."""
    batches = [(topic, list(entries)) for topic, entries in batches]
    if not batches:
        return
    try:
        client = get_redis()
        # EVALSHA straight into the pipeline: redis-py's scripts in a pipeline ask SCRIPT EXISTS
        # first, one more round trip per publish (12% of the order service's time under the city
        # load). A server without the script (restarted) gets it loaded and the batch again: the
        # script drops whatever it has already appended (versions), so a second run is harmless.
        for attempt in (1, 2):
            pipe = client.pipeline(transaction=False)
            for topic, entries in batches:
                keys = _keys(topic)
                pipe.evalsha(_PUBLISH_SCRIPT.sha, len(keys), *keys, *_script_args(topic, entries))
            try:
                pipe.execute()
                break
            except redis.exceptions.NoScriptError:
                if attempt == 2:
                    raise
                client.script_load(_PUBLISH_SCRIPT.source)
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
            await _PUBLISH_SCRIPT.run_async(client, _keys(topic), _script_args(topic, entries))
    except (redis.RedisError, OSError):
        logger.warning("live events not published", extra={"topics": [topic for topic, _ in batches]})


def _decode_entry(fields: dict) -> Entry:
    return Entry(key=fields["k"], version=int(fields["v"]), event=fields["e"], data=json.loads(fields["d"]))


@dataclass
class Opened:
    """What the open script answered: the entries after the client's id (`resumed`), or the id a
    snapshot stands at; and the topic's view either way."""

    resumed: bool
    entries: list[tuple[str, Entry]]  # (id, entry), in history order
    snapshot_id: str
    view: list[Entry]


async def _open(topic: str, truth: list[Entry], last_event_id: str | None) -> Opened:
    reply = await _OPEN_SCRIPT.run_async(
        get_async_redis(), _keys(topic), _script_args(topic, truth, last_event_id or "")
    )
    view = []
    flat = reply[2]
    for key, value in zip(flat[0::2], flat[1::2], strict=True):
        version, event, data = value.split("\n", 2)
        view.append(Entry(key=key, version=int(version), event=event, data=json.loads(data)))
    if reply[0] == "resume":
        entries = [(entry_id, _decode_entry(_pairs(fields))) for entry_id, fields in reply[1]]
        return Opened(True, entries, "", view)
    return Opened(False, [], reply[1], view)


def _pairs(flat: list) -> dict:
    return dict(zip(flat[0::2], flat[1::2], strict=True))


# --- what a service says about its stream ------------------------------------------------------------


class StreamSpec(abc.ABC):
    """What one kind of stream shows; each service's events.py defines one and who may open it."""

    kind: str = ""
    # The event that opens a stream with the whole view and replaces what a client had (the board's
    # and the courier feed's `snapshot`). None: the stream opens with the view's entries themselves
    # (the order's current status), and a later re-snapshot sends only what changed.
    snapshot_event: str | None = "snapshot"

    @abc.abstractmethod
    def truth(self, watched: dict[str, set[str]]) -> dict[str, list[Entry]]:
        """The entries MongoDB holds for these subjects, in one query for all of them (sync; run in a
        thread): every live item of each subject, plus the named keys (items a stream shows as live,
        which may have finished since)."""

    def snapshot_data(self, view: list[Entry]) -> dict:
        """The `snapshot` event's data from the topic's live entries."""
        return {}

    def opening(self, view: list[Entry]) -> list[Entry]:
        """With `snapshot_event` None: the view's entries in the order a stream opens with."""
        return view

    def visible(self, entry: Entry, known: dict[str, Entry]) -> bool:
        """Whether an entry is for this stream's eyes, given the latest entry it knows per key."""
        return True

    def ends_after(self, entry: Entry) -> bool:
        """Whether the stream ends once this entry is the item's state."""
        return False


# --- the shared subscription ----------------------------------------------------------------------------


_NOTIFY, _LOST, _TRUTH = "notify", "lost", "truth"


class _Hub:
    """One Redis pattern subscription per process (per event loop), fanned out to the open streams:
    ten thousand streams cost ten thousand small queues, not ten thousand Redis connections."""

    def __init__(self):
        self.streams: dict[str, set[LiveStream]] = {}
        self.task: asyncio.Task | None = None
        self.lock = asyncio.Lock()
        self.failed_at = -1e9
        self.client: aioredis.Redis | None = None

    def add(self, stream: LiveStream) -> None:
        self.streams.setdefault(stream.topic, set()).add(stream)

    def remove(self, stream: LiveStream) -> None:
        streams = self.streams.get(stream.topic)
        if streams is not None:
            streams.discard(stream)
            if not streams:
                del self.streams[stream.topic]

    @property
    def alive(self) -> bool:
        return self.task is not None and not self.task.done()

    async def ensure(self) -> bool:
        """Whether the subscription is up, (re)connecting it if need be; after a failure, at most one
        attempt per poll interval for the whole process, so a Redis outage costs no connection storm."""
        if self.alive:
            return True
        async with self.lock:
            if self.alive:
                return True
            loop = asyncio.get_running_loop()
            if loop.time() - self.failed_at < settings.SSE_POLL_INTERVAL_S:
                return False
            try:
                if self.client is None:
                    self.client = aioredis.Redis.from_url(
                        settings.REDIS_URL,
                        decode_responses=True,
                        socket_connect_timeout=settings.REDIS_TIMEOUT_S,
                        socket_keepalive=True,
                    )
                pubsub = self.client.pubsub()
                await asyncio.wait_for(
                    pubsub.psubscribe(redis_key("stream-notify", "*")), timeout=settings.REDIS_TIMEOUT_S * 2
                )
            except (redis.RedisError, OSError, TimeoutError):
                self.failed_at = loop.time()
                client, self.client = self.client, None  # the next attempt reads the settings again
                with contextlib.suppress(redis.RedisError, OSError):
                    await client.aclose()
                return False
            self.task = asyncio.create_task(self._fan_out(pubsub))
            return True

    async def _fan_out(self, pubsub) -> None:
        """Reads the subscription; when it is quiet for a heartbeat, pings through it, and gives up
        when not even the pong comes back (a silently dead connection never raises by itself)."""
        loop = asyncio.get_running_loop()
        last_heard = loop.time()
        quiet_limit = 2 * settings.SSE_HEARTBEAT_S + settings.REDIS_TIMEOUT_S
        prefix = len(redis_key("stream-notify", ""))
        me = asyncio.current_task()
        try:
            while True:
                if me is not None and me.cancelling():
                    # A cancellation a library call swallowed (the loop is closing): end anyway.
                    raise asyncio.CancelledError
                message = await pubsub.get_message(timeout=settings.SSE_HEARTBEAT_S)
                now = loop.time()
                if message is None:
                    if now - last_heard > quiet_limit:
                        raise TimeoutError("live events subscription stopped answering")
                    await asyncio.wait_for(pubsub.ping(), timeout=settings.REDIS_TIMEOUT_S)
                    continue
                last_heard = now
                if message["type"] != "pmessage":
                    continue  # subscribe confirmations, pongs
                streams = self.streams.get(message["channel"][prefix:])
                if not streams:
                    continue
                entry_id, key, version, event, data = message["data"].split("\n", 4)
                entry = Entry(key=key, version=int(version), event=event, data=json.loads(data))
                for stream in list(streams):
                    stream.offer((_NOTIFY, entry_id, entry))
        except (redis.RedisError, OSError, TimeoutError, ValueError):
            logger.warning("live events subscription lost; open streams poll MongoDB")
        finally:
            self.failed_at = loop.time()
            for streams in list(self.streams.values()):
                for stream in list(streams):
                    stream.offer((_LOST,))
            with contextlib.suppress(redis.RedisError, OSError):
                await pubsub.aclose()


class _Refresher:
    """Re-reads MongoDB for every open stream of one kind in this process, once per heartbeat (once
    per poll interval while a stream polls): one query for all of them, not one per stream."""

    def __init__(self, spec: StreamSpec):
        self.spec = spec
        self.streams: set[LiveStream] = set()
        self.task: asyncio.Task | None = None

    def add(self, stream: LiveStream) -> None:
        self.streams.add(stream)
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._run())

    def remove(self, stream: LiveStream) -> None:
        self.streams.discard(stream)

    async def _run(self) -> None:
        read = sync_to_async(self.spec.truth, thread_sensitive=False)
        loop = asyncio.get_running_loop()
        last_read = loop.time()
        me = asyncio.current_task()
        while self.streams:
            if me is not None and me.cancelling():
                raise asyncio.CancelledError  # swallowed by a library call on the way: end anyway
            await asyncio.sleep(min(settings.SSE_POLL_INTERVAL_S, settings.SSE_HEARTBEAT_S))
            polling = any(s.polling for s in self.streams)
            if not polling and loop.time() - last_read < settings.SSE_HEARTBEAT_S:
                continue
            last_read = loop.time()
            streams = list(self.streams)
            await _renew_slots(streams)
            watched: dict[str, set[str]] = {}
            for stream in streams:
                watched.setdefault(stream.subject, set()).update(stream.live_keys)
            truth: dict[str, list[Entry]] = {}
            subjects = list(watched)
            try:
                # One query per beat; very many subjects go in chunks that the store's $in handles well.
                for start in range(0, len(subjects), settings.SSE_REREAD_CHUNK):
                    chunk = {s: watched[s] for s in subjects[start : start + settings.SSE_REREAD_CHUNK]}
                    truth.update(await read(chunk))
            except Exception:
                logger.exception("live streams could not re-read MongoDB", extra={"kind": self.spec.kind})
                continue
            await _hand_out(
                streams, truth, over_s=0.5 * (settings.SSE_POLL_INTERVAL_S if polling else settings.SSE_HEARTBEAT_S)
            )


_HAND_OUT_CHUNK = 250


async def _hand_out(streams: list[LiveStream], truth: dict[str, list[Entry]], *, over_s: float) -> None:
    """Gives each stream the re-read, a chunk at a time spread over `over_s` (at most 5 s): handed to
    10,000 streams at once, every one would wake, compare and send its heartbeat in one burst of a
    second or two, and every live event would wait behind it (the 10,000-stream p99, bench/RESULTS.md)."""
    chunks = range(0, len(streams), _HAND_OUT_CHUNK)
    pause_s = min(over_s, 5.0) / len(chunks) if len(chunks) > 1 else 0.0
    for n, start in enumerate(chunks):
        if n:
            await asyncio.sleep(pause_s)
        for stream in streams[start : start + _HAND_OUT_CHUNK]:
            stream.offer((_TRUTH, truth.get(stream.subject, [])))


_hubs: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_refreshers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _hub() -> _Hub:
    loop = asyncio.get_running_loop()
    if loop not in _hubs:
        _hubs[loop] = _Hub()
    return _hubs[loop]


def _refresher(spec: StreamSpec) -> _Refresher:
    by_kind = _refreshers.setdefault(asyncio.get_running_loop(), {})
    if spec.kind not in by_kind:
        by_kind[spec.kind] = _Refresher(spec)
    return by_kind[spec.kind]


# --- one open stream ------------------------------------------------------------------------------------


def _sse(event_id: str, event: str, data: dict | str) -> bytes:
    text = data if isinstance(data, str) else json.dumps(data, default=str)
    return f"id: {event_id}\nevent: {event}\ndata: {text}\n\n".encode()


def retry_field() -> bytes:
    """`retry:` with jitter: after a restart, clients come back spread over a few seconds, not at once."""
    base = settings.SSE_RETRY_MS
    return f"retry: {base + random.randint(0, base)}\n\n".encode()  # noqa: S311 (jitter, not a secret)


def valid_last_event_id(value: str | None) -> str | None:
    """The client's `Last-Event-ID` if it can be one of the history's ids; anything else (garbage,
    an id from polling) is treated as unknown: the client gets a fresh snapshot."""
    value = (value or "").strip()
    return value if _STREAM_ID.match(value) else None


def _settle_wake(wake: asyncio.Future) -> None:
    if not wake.done():
        wake.set_result(None)


class LiveStream:
    """One client's stream: the snapshot or what it missed, then every change, heartbeats, and the
    fall back to polling MongoDB while Redis is away."""

    _poll_ids = itertools.count(1)
    # Thousands live at once for hours: no per-instance dict (about half a KiB each).
    __slots__ = (
        "finished",
        "inbox",
        "initial_truth",
        "known",
        "last_id",
        "live_keys",
        "overflowed",
        "polling",
        "shown",
        "slot",
        "spec",
        "subject",
        "topic",
        "user_id",
        "wake",
    )

    def __init__(
        self,
        spec: StreamSpec,
        subject: str,
        *,
        initial_truth: list[Entry] | None = None,
        user_id: str | None = None,
        slot: str | None = None,
    ):
        self.user_id, self.slot = user_id, slot  # the per-user cap's slot this stream holds
        self.spec = spec
        self.subject = subject
        self.topic = topic_of(spec.kind, subject)
        self.initial_truth = initial_truth
        # What the hub and the refresher hand this stream, and the future its loop waits on: lighter
        # than an asyncio.Queue with wait_for (a task and a timer per wait; about 4 KiB per stream).
        self.inbox: collections.deque = collections.deque()
        self.wake: asyncio.Future | None = None
        self.overflowed = False
        self.polling = False
        self.finished = False
        self.last_id: str | None = None  # the last history id this client has
        self.shown: dict[str, Entry] = {}  # the latest entry sent per key
        self.known: dict[str, Entry] = {}  # the latest entry seen per key, sent or not
        self.live_keys: set[str] = set()  # keys the client holds as live

    def offer(self, message: tuple) -> None:
        if len(self.inbox) >= settings.SSE_QUEUE_SIZE:
            # A slow client must not hold up the others: it catches up from the history instead.
            self.overflowed = True
        else:
            self.inbox.append(message)
        if self.wake is not None:
            _settle_wake(self.wake)

    async def _next_message(self, timeout_s: float) -> tuple | None:
        """The next message handed to this stream, or None after `timeout_s` without one."""
        if not self.inbox:
            loop = asyncio.get_running_loop()
            self.wake = wake = loop.create_future()
            timer = loop.call_later(timeout_s, _settle_wake, wake)
            try:
                await wake
            finally:
                timer.cancel()
                self.wake = None
        return self.inbox.popleft() if self.inbox else None

    # -- what goes out

    def _send(self, event_id: str, entry: Entry) -> bytes:
        """The entry as an SSE event if it is news to this client, else nothing."""
        latest = self.known.get(entry.key)
        if latest is None or entry.version >= latest.version:
            self.known[entry.key] = entry
        sent = self.shown.get(entry.key)
        if sent is not None and (entry.version <= sent.version or entry.text == sent.text):
            return b""
        if not self.spec.visible(entry, self.known):
            return b""
        self.shown[entry.key] = entry
        (self.live_keys.add if entry.live else self.live_keys.discard)(entry.key)
        if self.spec.ends_after(entry):
            self.finished = True
        return _sse(event_id, entry.event, entry.data)

    def _sends(self, pairs: Iterable[tuple[str, Entry]]) -> bytes:
        out = []
        for event_id, entry in pairs:
            out.append(self._send(event_id, entry))
            if self.finished:
                break
        return b"".join(out)

    def _from_history(self, entries: Iterable[tuple[str, Entry]]) -> bytes:
        fresh = []
        for event_id, entry in entries:
            if self.last_id is not None and _id_tuple(event_id) <= _id_tuple(self.last_id):
                continue  # covered by the snapshot, or sent already
            self.last_id = event_id
            if entry.key:  # not an anchor
                fresh.append((event_id, entry))
        return self._sends(fresh)

    def _snapshot(self, event_id: str, view: list[Entry], *, first: bool) -> bytes:
        """Opens (first) or re-opens the client's picture of the topic."""
        if self.spec.snapshot_event is None:
            # The stream opens with the entries themselves; re-opened, only what changed goes out.
            return self._sends((event_id, entry) for entry in self.spec.opening(view))
        live = [entry for entry in view if entry.live]
        self.shown = {entry.key: entry for entry in live}
        self.known.update(self.shown)
        self.live_keys = set(self.shown)
        if any(self.spec.ends_after(entry) for entry in live):
            self.finished = True
        return _sse(event_id, self.spec.snapshot_event, self.spec.snapshot_data(live))

    def _poll_id(self) -> str:
        # Never one of the history's ids: a client that resumes from it gets a fresh snapshot.
        return f"p{int(time.time() * 1000)}-{next(self._poll_ids)}"

    def _polled(self, truth: list[Entry], *, first: bool = False) -> bytes:
        if first:
            return self._snapshot(self._poll_id(), truth, first=True)
        return self._sends((self._poll_id(), entry) for entry in truth)

    # -- how

    async def _attach(self, truth: list[Entry], last_event_id: str | None, *, first: bool) -> bytes:
        """Subscribes, merges the truth, and sends the snapshot or what the client missed; polls
        MongoDB instead when Redis cannot do its part."""
        hub = _hub()
        if await hub.ensure():
            hub.add(self)  # before the script runs: nothing it appends after can be missed
            try:
                opened = await _open(self.topic, truth, last_event_id)
            except (redis.RedisError, OSError):
                hub.remove(self)
            else:
                self.polling = False
                for entry in opened.view:
                    self.known.setdefault(entry.key, entry)
                if opened.resumed:
                    STREAM_OPENINGS.labels(self.spec.kind, "resumed").inc()
                    self.last_id = self.last_id or last_event_id
                    out = self._from_history(opened.entries)
                    # What the view holds beyond the entries just sent, the client had before its id.
                    for entry in opened.view:
                        if entry.key not in self.shown:
                            self.shown[entry.key] = entry
                            self.live_keys.add(entry.key)
                    if any(self.spec.ends_after(entry) for entry in self.known.values()):
                        self.finished = True  # it had everything, the end included
                    return out
                STREAM_OPENINGS.labels(self.spec.kind, "snapshot").inc()
                self.last_id = opened.snapshot_id
                return self._snapshot(opened.snapshot_id, opened.view, first=first)
        if not self.polling:
            STREAM_OPENINGS.labels(self.spec.kind, "polling").inc()
            logger.warning("live events unavailable, polling MongoDB", extra={"topic": self.topic})
        self.polling = True
        return self._polled(truth, first=first)

    def _behind(self, truth: list[Entry]) -> bool:
        """Whether MongoDB has something this stream has not shown (a lost publish)."""
        for entry in truth:
            sent = self.shown.get(entry.key)
            if sent is None:
                if entry.live:
                    return True
            elif entry.version > sent.version and entry.text != sent.text:
                return True
        return False

    async def _read_truth(self) -> list[Entry]:
        watched = {self.subject: set(self.live_keys)}
        truth = await sync_to_async(self.spec.truth, thread_sensitive=False)(watched)
        return truth.get(self.subject, [])

    async def _handle(self, message: tuple) -> bytes:
        hub = _hub()
        if message[0] == _NOTIFY:
            return self._from_history([(message[1], message[2])])
        if message[0] == _LOST:
            hub.remove(self)
            return await self._attach(await self._read_truth(), self.last_id, first=False)
        truth = message[1]  # _TRUTH: the heartbeat's re-read
        if self.polling:
            out = self._polled(truth)
            if not self.finished and await hub.ensure():
                out += await self._attach(truth, self.last_id, first=False)
            return out
        if self._behind(truth):
            STREAM_REPAIRS.labels(self.spec.kind).inc()
            return await self._attach(truth, self.last_id, first=False)
        return b""

    async def events(self, last_event_id: str | None) -> AsyncIterator[bytes]:
        kind = self.spec.kind
        OPEN_STREAMS.labels(kind).inc()
        _process["open"] += 1
        loop = asyncio.get_running_loop()
        hub, refresher = _hub(), _refresher(self.spec)
        refresher.add(self)
        try:
            yield retry_field()
            truth, self.initial_truth = self.initial_truth, None
            if truth is None:
                truth = await self._read_truth()
            out = await self._attach(truth, valid_last_event_id(last_event_id), first=True)
            del truth  # a stream lives for hours; its first read is not needed again
            last_write = loop.time()
            if out:
                yield out
            while not self.finished:
                if self.overflowed:
                    self.overflowed = False
                    self.inbox.clear()  # what it held is in the history the catch-up reads
                    out = await self._attach(await self._read_truth(), self.last_id, first=False)
                else:
                    message = await self._next_message(settings.SSE_HEARTBEAT_S)
                    out = await self._handle(message) if message is not None else b""
                if out:
                    last_write = loop.time()
                    yield out
                elif loop.time() - last_write >= settings.SSE_HEARTBEAT_S * 0.9:
                    last_write = loop.time()
                    yield b": heartbeat\n\n"
        finally:
            OPEN_STREAMS.labels(kind).dec()
            _process["open"] -= 1
            hub.remove(self)  # the hub of the loop it ran in: this may run outside any loop
            refresher.remove(self)
            if self.slot is not None:
                _give_back_soon(self.user_id, self.slot)


# --- opening a stream: shedding, authentication, the caller's right, the per-user cap ---------------------

# What one process holds: streams open, and streams between their request and their first event
# (the expensive part: a MongoDB read and a Redis script). Per process, so never shared state.
_process = {"open": 0, "opening": 0}

# A user's open streams: a sorted set of slot -> expiry, counted across every replica. A stream's
# slot is renewed at each heartbeat (all of a process's at once, `_renew_slots`) and given back
# when it ends; a crashed process's slots expire on their own. KEYS: the user's set. ARGV: slot,
# its lifetime (s), the cap.
_TAKE_SLOT = LuaScript("""
local now = redis.call('TIME')
now = tonumber(now[1]) + tonumber(now[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return math.max(1, math.ceil(tonumber(first[2]) - now))
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[2])))
return 0
""")


def _slot_key(user_id: str) -> str:
    return redis_key("stream-slots", user_id)


def _slot_lifetime_s() -> float:
    return 3 * settings.SSE_HEARTBEAT_S + 2


async def _take_slot(user_id: str, slot: str) -> int:
    """0 when the user may hold this stream (now or still), else the seconds until one of theirs
    frees at the latest. Without Redis the cap is not enforced (the process ceiling still is)."""
    try:
        args = [slot, _slot_lifetime_s(), settings.SSE_MAX_STREAMS_PER_USER]
        return int(await _TAKE_SLOT.run_async(get_async_redis(), [_slot_key(user_id)], args))
    except (redis.RedisError, OSError):
        logger.warning("stream slots unavailable; the per-user cap is not enforced meanwhile")
        return 0


# Renews many streams' slots at once. KEYS: the users' sets; ARGV: the lifetime (s), then each
# key's slot. Only slots still there are renewed (one given back meanwhile stays given back); the
# answer lists the 1-based positions of those that were gone (expired while the process stalled).
_RENEW_SLOTS = LuaScript("""
local now = redis.call('TIME')
local expiry = tonumber(now[1]) + tonumber(now[2]) / 1000000 + tonumber(ARGV[1])
local gone = {}
for i, key in ipairs(KEYS) do
  if redis.call('ZADD', key, 'XX', 'CH', expiry, ARGV[i + 1]) == 0 and not redis.call('ZSCORE', key, ARGV[i + 1]) then
    gone[#gone + 1] = i
  else
    redis.call('EXPIRE', key, math.ceil(tonumber(ARGV[1])))
  end
end
return gone
""")
_RENEW_CHUNK = 1000


async def _renew_slots(streams: list[LiveStream]) -> None:
    """Every open stream of the process keeps its slot: one script call per thousand streams per
    heartbeat, not a Redis round trip per stream (667 a second at 10,000 streams). A slot that
    expired meanwhile is taken again, within the cap, as at opening."""
    held = [stream for stream in streams if stream.slot is not None and not stream.finished]
    try:
        client = get_async_redis()
        for start in range(0, len(held), _RENEW_CHUNK):
            chunk = held[start : start + _RENEW_CHUNK]
            gone = await _RENEW_SLOTS.run_async(
                client,
                [_slot_key(stream.user_id) for stream in chunk],
                [_slot_lifetime_s(), *(stream.slot for stream in chunk)],
            )
            for position in gone:
                stream = chunk[int(position) - 1]
                await _take_slot(stream.user_id, stream.slot)
    except (redis.RedisError, OSError):
        logger.warning("stream slots not renewed; the per-user cap is not enforced meanwhile")


async def _give_back_slot(user_id: str, slot: str) -> None:
    with contextlib.suppress(redis.RedisError, OSError):
        await get_async_redis().zrem(_slot_key(user_id), slot)


_giving_back: set[asyncio.Task] = set()  # the loop keeps only weak references to its tasks


def _give_back_soon(user_id: str, slot: str) -> None:
    """From a stream's end: in a task of its own (a cancelled stream, whose client went away, may not
    await any more), or at once when the stream is finalised outside its loop."""
    try:
        task = asyncio.get_running_loop().create_task(_give_back_slot(user_id, slot))
        _giving_back.add(task)
        task.add_done_callback(_giving_back.discard)
    except RuntimeError:
        with contextlib.suppress(redis.RedisError):
            get_redis().zrem(_slot_key(user_id), slot)


def stream_ceiling() -> int:
    """Streams this process holds at most: SSE_MAX_STREAMS_PER_PROCESS, or fewer when its open-file
    limit would be reached first (each stream holds its connection's descriptor)."""
    return min(settings.SSE_MAX_STREAMS_PER_PROCESS, open_files.streams_within(descriptors_each=1))


def shed_retry_after_s() -> int:
    """Seconds a shed client should wait: spread at random, so the retries do not come back as one."""
    return random.randint(1, max(1, settings.SSE_SHED_RETRY_MAX_S))  # noqa: S311 (jitter, not a secret)


def _busy(message: str):
    from common.errors import overloaded_response

    return overloaded_response(message, retry_after_s=shed_retry_after_s())


async def serve(
    request,
    spec: StreamSpec,
    *,
    user_types: Iterable[str],
    authorize: Callable[[Any], Awaitable[tuple[str, list[Entry] | None]]],
):
    """A live stream for this request, or the contract's refusal, cheapest checks first:

    - this process is full (`stream_ceiling`: SSE_MAX_STREAMS_PER_PROCESS, or its open-file limit)
      or already opening as many streams as it can at once (SSE_MAX_OPENING_PER_PROCESS): a fast
      503 with a jittered Retry-After, before any work, so a reconnect storm is spread out instead
      of timing out;
    - no token or a bad one: 401; the wrong kind of user: 403;
    - `authorize(user)` (async) answers (subject, the subject's entries if it read them anyway), or
      raises the contract's error (404 for what is not theirs);
    - the user holds SSE_MAX_STREAMS_PER_USER streams already: 429 with Retry-After.
    """
    from django.http import StreamingHttpResponse

    from common.errors import ApiError, error_response

    if _process["open"] >= stream_ceiling():
        STREAMS_SHED.labels(spec.kind, "full").inc()
        return _busy("This server holds as many live streams as it can; try again shortly.")
    if _process["opening"] >= settings.SSE_MAX_OPENING_PER_PROCESS:
        STREAMS_SHED.labels(spec.kind, "opening").inc()
        return _busy("This server is opening as many live streams as it can; try again shortly.")
    _process["opening"] += 1
    try:
        user, refusal = stream_caller(request, user_types)
        if refusal is not None:
            return refusal
        try:
            subject, truth = await authorize(user)
        except ApiError as exc:
            return error_response(exc.status_code, exc.code, exc.message, exc.details or None, headers=exc.headers)
        slot = f"{settings.SERVICE_NAME}:{id(request)}:{time.monotonic_ns()}"
        if (wait_s := await _take_slot(user.id, slot)) > 0:
            STREAMS_SHED.labels(spec.kind, "user_cap").inc()
            return error_response(
                429,
                "too_many_streams",
                f"At most {settings.SSE_MAX_STREAMS_PER_USER} live streams per user; close one first.",
                {"limit": settings.SSE_MAX_STREAMS_PER_USER},
                headers={"Retry-After": str(wait_s)},
            )
    finally:
        _process["opening"] -= 1
    stream = LiveStream(spec, subject, initial_truth=truth, user_id=user.id, slot=slot)
    response = StreamingHttpResponse(stream.events(last_event_id_of(request)), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


def last_event_id_of(request) -> str | None:
    """`Last-Event-ID` as EventSource sends it on reconnecting, or `?last_event_id=` for clients
    that cannot set headers."""
    return request.headers.get("Last-Event-ID") or request.GET.get("last_event_id")


def stream_caller(request, user_types: Iterable[str]):
    """(principal, None) for a caller of one of `user_types`, else (None, the contract's 401/403).
    Stream views are plain async views (DRF's are sync), so they authenticate here."""
    from rest_framework import exceptions

    from common.authentication import JWTAuthentication
    from common.errors import error_response

    challenge = {"WWW-Authenticate": 'Bearer realm="api"'}
    try:
        auth = JWTAuthentication().authenticate(request)
    except exceptions.AuthenticationFailed as exc:
        return None, error_response(401, "authentication_failed", str(exc.detail), headers=challenge)
    if auth is None:
        return None, error_response(
            401, "not_authenticated", "Authentication credentials were not provided.", headers=challenge
        )
    if auth[0].user_type not in user_types:
        return None, error_response(403, "permission_denied", "This route is not for your kind of account.")
    return auth[0], None
