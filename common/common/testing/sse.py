"""Reading a Server-Sent Events stream in tests as a client does: parsed events, with timeouts.

Waiting never cancels the stream: the next chunk is awaited in a task of its own, so a read that
times out leaves the server's stream running, as a client that simply has not heard anything yet.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Iterable, Iterator


def parse_block(block: str) -> dict | None:
    """One event (`{id, event, data}`) from the lines between two blank lines; None for a comment."""
    fields: dict[str, str] = {}
    for line in block.splitlines():
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        fields[name] = value[1:] if value.startswith(" ") else value
    if "data" not in fields:
        return None
    return {"id": fields.get("id"), "event": fields.get("event", "message"), "data": json.loads(fields["data"])}


def events_of_lines(lines: Iterable[str]) -> Iterator[dict]:
    """The events of a stream read line by line (requests' `iter_lines(decode_unicode=True)`), each
    as soon as its closing blank line comes."""
    block: list[str] = []
    for line in lines:
        if line:
            block.append(line)
            continue
        event = parse_block("\n".join(block))
        block = []
        if event is not None:
            yield event


class SseReader:
    """Pulls a stream's chunks (an async iterator of bytes) and hands out whole events."""

    def __init__(self, chunks: AsyncIterator[bytes], *, source=None):
        self.iterator = chunks.__aiter__()
        self.source = source  # the stream's own generator, closed like a client's disconnect
        self.buffer = ""
        self.events: list[dict] = []
        self.comments = 0
        self.ended = False
        self._pending: asyncio.Future | None = None

    @classmethod
    def of_response(cls, response) -> SseReader:
        """Reads a Django streaming response; `close()` then ends the view's generator itself, as
        a client going away does (Django's test client's wrapper alone would leave it open)."""
        return cls(response.streaming_content, source=getattr(response, "_iterator", None))

    async def _pull(self, wait_s: float) -> bool:
        """Takes in the next chunk if one comes within `wait_s`; False if none came (yet)."""
        if self.ended:
            return False
        if self._pending is None:
            self._pending = asyncio.ensure_future(self.iterator.__anext__())
        done, _ = await asyncio.wait({self._pending}, timeout=max(0.0, wait_s))
        if not done:
            return False
        pending, self._pending = self._pending, None
        try:
            chunk = pending.result()
        except StopAsyncIteration:
            self.ended = True
            return False
        self.buffer += chunk.decode() if isinstance(chunk, bytes) else chunk
        while "\n\n" in self.buffer:
            block, self.buffer = self.buffer.split("\n\n", 1)
            event = parse_block(block)
            if event is None:
                self.comments += block.startswith(":")
            else:
                self.events.append(event)
        return True

    async def _fill(self, count: int, wait_s: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_s
        while len(self.events) < count and not self.ended:
            await self._pull(deadline - loop.time())
            if loop.time() >= deadline and len(self.events) < count:
                raise TimeoutError(f"{len(self.events)} of {count} events within {wait_s}s")

    async def next_events(self, count: int, wait_s: float = 5.0) -> list[dict]:
        """The next `count` events; TimeoutError if they do not all come within `wait_s`."""
        await self._fill(count, wait_s)
        if len(self.events) < count:
            raise TimeoutError(f"the stream ended after {len(self.events)} of {count} events")
        taken, self.events = self.events[:count], self.events[count:]
        return taken

    async def until_end(self, wait_s: float = 5.0) -> list[dict]:
        """Every event until the server ends the stream (or `wait_s` passes)."""
        return await self.drain(wait_s)

    async def drain(self, seconds: float) -> list[dict]:
        """Keeps reading for `seconds`, as a connected client does; the events that came."""
        with contextlib.suppress(TimeoutError):
            await self._fill(10**9, seconds)
        taken, self.events = self.events, []
        return taken

    async def nothing_for(self, seconds: float) -> bool:
        """True when no event comes for `seconds` (the stream keeps being read meanwhile)."""
        if self.events:
            return False
        with contextlib.suppress(TimeoutError):
            await self._fill(1, seconds)
        return not self.events

    async def close(self) -> None:
        if self._pending is not None:
            self._pending.cancel()
            with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration, Exception):
                await self._pending
        for iterator in (self.iterator, self.source):
            if iterator is not None and hasattr(iterator, "aclose"):
                with contextlib.suppress(RuntimeError):
                    await iterator.aclose()


async def open_stream(path: str, headers: dict, last_event_id: str | None = None) -> SseReader:
    """Opens an in-process service's stream (its async view, through Django's test client) as a
    client that resumes with `last_event_id` would; asserts it opened as a stream."""
    from django.test import AsyncClient

    if last_event_id is not None:
        headers = {**headers, "Last-Event-ID": last_event_id}
    response = await AsyncClient().get(path, headers=headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/event-stream"
    return SseReader.of_response(response)


def run(coroutine, timeout_s: float = 30):
    """Runs a stream test's scenario on a loop of its own, bounded."""
    return asyncio.run(asyncio.wait_for(coroutine, timeout_s))


def in_thread(fn, *args, **kwargs):
    """A sync call (the test client's writes) off the scenario's loop, awaited."""
    return asyncio.get_running_loop().run_in_executor(None, lambda: fn(*args, **kwargs))
