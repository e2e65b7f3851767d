"""The refresher: once per heartbeat, MongoDB re-read for every open stream of a kind in one query.

A stream that is behind the truth (a publish was lost) merges what it missed through the history
script, so a lost publish costs a client at most one heartbeat. While any stream of the kind polls
(Redis away), the re-read comes once per poll interval instead and is what those streams send. The
same beat renews the per-user slots of the process's open streams (`admission.renew_user_slots`).
One refresher per stream kind and event loop; it ends when its last stream does.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Protocol

from asgiref.sync import sync_to_async
from django.conf import settings

from common.streams import admission
from common.streams.fanout import TRUTH
from common.streams.spec import Entry, StreamSpec

logger = logging.getLogger(__name__)

_HAND_OUT_CHUNK = 250


class Refreshed(Protocol):
    subject: str
    live_keys: set[str]
    polling: bool
    finished: bool
    ticket: admission.Ticket | None

    def offer(self, message: tuple) -> None: ...


class Refresher:
    """Re-reads MongoDB for every open stream of one kind in this process, once per heartbeat (once
    per poll interval while a stream polls): one query for all of them, not one per stream."""

    def __init__(self, spec: StreamSpec):
        self.spec = spec
        self.streams: set[Refreshed] = set()
        self.task: asyncio.Task | None = None

    def add(self, stream: Refreshed) -> None:
        self.streams.add(stream)
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._run())

    def remove(self, stream: Refreshed) -> None:
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
            await admission.renew_user_slots(s.ticket for s in streams if s.ticket is not None and not s.finished)
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
            await hand_out(
                streams, truth, over_s=0.5 * (settings.SSE_POLL_INTERVAL_S if polling else settings.SSE_HEARTBEAT_S)
            )


async def hand_out(streams: list, truth: dict[str, list[Entry]], *, over_s: float) -> None:
    """Gives each stream the re-read, a chunk at a time spread over `over_s` (at most 5 s): handed to
    10,000 streams at once, every one would wake, compare and send its heartbeat in one burst, and
    every live event would wait behind it."""
    chunks = range(0, len(streams), _HAND_OUT_CHUNK)
    pause_s = min(over_s, 5.0) / len(chunks) if len(chunks) > 1 else 0.0
    for n, start in enumerate(chunks):
        if n:
            await asyncio.sleep(pause_s)
        for stream in streams[start : start + _HAND_OUT_CHUNK]:
            stream.offer((TRUTH, truth.get(stream.subject, [])))


_refreshers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def refresher(spec: StreamSpec) -> Refresher:
    """The running event loop's refresher for this kind of stream."""
    by_kind = _refreshers.setdefault(asyncio.get_running_loop(), {})
    if spec.kind not in by_kind:
        by_kind[spec.kind] = Refresher(spec)
    return by_kind[spec.kind]
