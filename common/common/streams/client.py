"""One client's live stream: the snapshot or what it missed, then every change, and heartbeats.

A stream opens by merging MongoDB's truth into its topic's history and answering either a snapshot
or, for a client that resumes with a `Last-Event-ID` the history still has, exactly the entries
after it (`common.streams.history`). It then waits on its inbox, fed by the process's fan-out hub
(announced entries) and its kind's refresher (the heartbeat's re-read), and sends what is news to
its client: an entry older than or as old as what it sent is never sent again, and its spec decides
what is visible and when the stream ends. A slow client whose inbox overflows catches up from the
history; while Redis is away the stream polls MongoDB and goes back to Redis when it answers.
A stream costs a coroutine and a small inbox, never a thread or a task of its own.
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
import random
from collections.abc import AsyncIterator, Iterable

import redis
from asgiref.sync import sync_to_async
from django.conf import settings
from prometheus_client import Counter, Gauge

from common.streams import admission, fanout, history, ids, refresher
from common.streams.spec import Entry, StreamSpec, topic_of

logger = logging.getLogger(__name__)

OPEN_STREAMS = Gauge("event_streams_open", "Open live event streams", ["kind"])
STREAM_OPENINGS = Counter("event_stream_openings_total", "Live streams opened, by how they started", ["kind", "start"])
STREAM_REPAIRS = Counter(
    "event_stream_repairs_total", "Entries a stream found missing and merged from MongoDB", ["kind"]
)


def sse(event_id: str, event: str, data: dict | str) -> bytes:
    """One Server-Sent Event."""
    text = data if isinstance(data, str) else json.dumps(data, default=str)
    return f"id: {event_id}\nevent: {event}\ndata: {text}\n\n".encode()


def retry_field() -> bytes:
    """`retry:` with jitter: after a restart, clients come back spread over a few seconds, not at once."""
    base = settings.SSE_RETRY_MS
    return f"retry: {base + random.randint(0, base)}\n\n".encode()  # noqa: S311 (jitter, not a secret)


def _settle_wake(wake: asyncio.Future) -> None:
    if not wake.done():
        wake.set_result(None)


class LiveStream:
    """One client's stream: the snapshot or what it missed, then every change, heartbeats, and the
    fall back to polling MongoDB while Redis is away."""

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
        "spec",
        "subject",
        "ticket",
        "topic",
        "wake",
    )

    def __init__(
        self,
        spec: StreamSpec,
        subject: str,
        *,
        initial_truth: list[Entry] | None = None,
        ticket: admission.Ticket | None = None,
    ):
        self.ticket = ticket  # its admission (common.streams.views), given back when it ends
        self.spec = spec
        self.subject = subject
        self.topic = topic_of(spec.kind, subject)
        self.initial_truth = initial_truth
        # What the hub and the refresher hand this stream, and the future its loop waits on: lighter
        # than an asyncio.Queue with wait_for (a task and a timer per wait, kilobytes per stream).
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
        return sse(event_id, entry.event, entry.data)

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
            if self.last_id is not None and ids.position(event_id) <= ids.position(self.last_id):
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
        return sse(event_id, self.spec.snapshot_event, self.spec.snapshot_data(live))

    def _polled(self, truth: list[Entry], *, first: bool = False) -> bytes:
        if first:
            return self._snapshot(ids.poll_id(), truth, first=True)
        return self._sends((ids.poll_id(), entry) for entry in truth)

    # -- how

    async def _attach(self, truth: list[Entry], last_event_id: str | None, *, first: bool) -> bytes:
        """Subscribes, merges the truth, and sends the snapshot or what the client missed; polls
        MongoDB instead when Redis cannot do its part."""
        hub = fanout.hub()
        if await hub.ensure():
            hub.add(self)  # before the script runs: nothing it appends after can be missed
            try:
                opened = await history.open_topic(self.topic, truth, last_event_id)
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
        hub = fanout.hub()
        if message[0] == fanout.NOTIFY:
            return self._from_history([(message[1], message[2])])
        if message[0] == fanout.LOST:
            hub.remove(self)
            return await self._attach(await self._read_truth(), self.last_id, first=False)
        truth = message[1]  # TRUTH: the heartbeat's re-read
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
        loop = asyncio.get_running_loop()
        hub, beat = fanout.hub(), refresher.refresher(self.spec)
        beat.add(self)
        try:
            yield retry_field()
            truth, self.initial_truth = self.initial_truth, None
            if truth is None:
                truth = await self._read_truth()
            out = await self._attach(truth, ids.valid_last_event_id(last_event_id), first=True)
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
            hub.remove(self)  # the hub of the loop it ran in: this may run outside any loop
            beat.remove(self)
            if self.ticket is not None:
                self.ticket.release()
