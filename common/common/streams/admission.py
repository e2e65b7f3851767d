"""Admission of live streams: how many a process holds, and how many one user holds everywhere.

Streams are the scarcest resource a process has: each holds its connection's descriptor (the
gateway's relay two, the client's and the upstream's) for minutes or hours, and each opening costs
a MongoDB read and a Redis script. The same rules for the services and the gateway:

- **Per process** (`ProcessStreams`): at most SSE_MAX_STREAMS_PER_PROCESS streams, or fewer when the
  open-file limit would be reached first (`common/open_files.py`), and at most
  SSE_MAX_OPENING_PER_PROCESS of them still opening. Past either, a new stream gets the fast 503
  `overloaded` with a jittered Retry-After (`common.errors.overloaded_response`) before any work,
  so a reconnect storm is spread out instead of timing out. Counted in the process (never shared
  state): one `Ticket` per stream, counted as opening until `opened()`, given back exactly once by
  `release()`: at the stream's end, or when Django closes its response (`AdmittedStreamingResponse`;
  a client gone before the stream began never runs its generator).
- **Per user** (the services): at most SSE_MAX_STREAMS_PER_USER streams across every replica, a
  sorted set of slot -> expiry in Redis. A stream's slot is renewed at each heartbeat (all of a
  process's at once, `renew_user_slots`) and given back when it ends; a crashed process's slots
  expire on their own. Without Redis the cap is not enforced (the process ceiling still is).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Iterable

import redis
from django.conf import settings
from django.http import StreamingHttpResponse

from common import open_files
from common.redis_client import LuaScript, get_async_redis, get_redis, redis_key

logger = logging.getLogger(__name__)

FULL, OPENING = "full", "opening"  # why a process refuses one more stream


class Ticket:
    """One stream's admission: its place in the process, counted as opening until `opened`, and
    (once taken) its slot in the user's cap. `release` gives both back, exactly once, from any
    thread."""

    __slots__ = ("_held", "_process", "_waiting", "slot", "user_id")

    def __init__(self, process: ProcessStreams):
        self._process = process
        self._held = self._waiting = True
        self.user_id: str | None = None
        self.slot: str | None = None

    @property
    def held(self) -> bool:
        return self._held

    async def take_user_slot(self, user_id: str) -> int:
        """0 once this stream holds one of the user's slots, else the seconds until one of theirs
        frees at the latest (the caller answers 429)."""
        slot = f"{settings.SERVICE_NAME}:{id(self)}:{time.monotonic_ns()}"
        wait_s = await take_user_slot(user_id, slot)
        if wait_s == 0:
            self.user_id, self.slot = user_id, slot
        return wait_s

    def opened(self) -> None:
        """The stream has opened (or been refused): it no longer counts as opening."""
        with self._process.lock:
            if self._waiting:
                self._waiting = False
                self._process.opening -= 1

    def release(self) -> None:
        self.opened()
        with self._process.lock:
            if not self._held:
                return
            self._held = False
            self._process.open -= 1
        if self.slot is not None:
            _give_back_soon(self.user_id, self.slot)


class ProcessStreams:
    """The streams one process holds (`open`) and, of those, is still opening (`opening`)."""

    def __init__(self, *, descriptors_each: int):
        self.descriptors_each = descriptors_each
        self.open = 0
        self.opening = 0
        self.lock = threading.Lock()  # released from Django's close(), on a thread

    def ceiling(self) -> int:
        """Streams this process holds at most: SSE_MAX_STREAMS_PER_PROCESS, or fewer when its
        open-file limit would be reached first."""
        return min(
            settings.SSE_MAX_STREAMS_PER_PROCESS, open_files.streams_within(descriptors_each=self.descriptors_each)
        )

    def take(self) -> Ticket | str:
        """A ticket for one more stream, or why there is none (FULL, OPENING): the caller sheds it."""
        with self.lock:
            if self.open >= self.ceiling():
                return FULL
            if self.opening >= settings.SSE_MAX_OPENING_PER_PROCESS:
                return OPENING
            self.open += 1
            self.opening += 1
        return Ticket(self)


class AdmittedStreamingResponse(StreamingHttpResponse):
    """A stream's response that gives its admission back when Django closes it: at its end, or when
    its client left before it began (then its generator never runs, nor its own `finally`)."""

    def __init__(self, *args, ticket: Ticket, **kwargs):
        super().__init__(*args, **kwargs)
        self.ticket = ticket

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.ticket.release()


# --- per user, across replicas ------------------------------------------------------------------------

# KEYS: the user's set. ARGV: slot, its lifetime (s), the cap. 0 when taken (or held already), else
# the seconds until the user's oldest slot expires.
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


def _slot_key(user_id: str) -> str:
    return redis_key("stream-slots", user_id)


def slot_lifetime_s() -> float:
    """How long a slot outlives its last renewal: a few heartbeats."""
    return 3 * settings.SSE_HEARTBEAT_S + 2


async def take_user_slot(user_id: str, slot: str) -> int:
    """0 when the user may hold this stream (now or still), else the seconds until one of theirs
    frees at the latest. Without Redis the cap is not enforced (the process ceiling still is)."""
    try:
        args = [slot, slot_lifetime_s(), settings.SSE_MAX_STREAMS_PER_USER]
        return int(await _TAKE_SLOT.run_async(get_async_redis(), [_slot_key(user_id)], args))
    except (redis.RedisError, OSError):
        logger.warning("stream slots unavailable; the per-user cap is not enforced meanwhile")
        return 0


async def renew_user_slots(tickets: Iterable[Ticket]) -> None:
    """Every open stream of the process keeps its slot: one script call per thousand streams per
    heartbeat, not a Redis round trip per stream. A slot that expired meanwhile is taken again,
    within the cap, as at opening."""
    held = [ticket for ticket in tickets if ticket.slot is not None and ticket.held]
    try:
        client = get_async_redis()
        for start in range(0, len(held), _RENEW_CHUNK):
            chunk = held[start : start + _RENEW_CHUNK]
            gone = await _RENEW_SLOTS.run_async(
                client,
                [_slot_key(ticket.user_id) for ticket in chunk],
                [slot_lifetime_s(), *(ticket.slot for ticket in chunk)],
            )
            for position in gone:
                ticket = chunk[int(position) - 1]
                await take_user_slot(ticket.user_id, ticket.slot)
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
