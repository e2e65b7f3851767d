"""Reading a Server-Sent Events stream in tests as a client does: parsed events, with timeouts."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator


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


class SseReader:
    """Pulls a stream's chunks (an async iterator of bytes) and hands out whole events."""

    def __init__(self, chunks: AsyncIterator[bytes]):
        self.iterator = chunks.__aiter__()
        self.buffer = ""
        self.events: list[dict] = []
        self.comments = 0
        self.ended = False

    async def _fill(self, count: int) -> None:
        while len(self.events) < count:
            try:
                chunk = await self.iterator.__anext__()
            except StopAsyncIteration:
                self.ended = True
                raise
            self.buffer += chunk.decode() if isinstance(chunk, bytes) else chunk
            while "\n\n" in self.buffer:
                block, self.buffer = self.buffer.split("\n\n", 1)
                event = parse_block(block)
                if event is None:
                    self.comments += block.startswith(":")
                else:
                    self.events.append(event)

    async def next_events(self, count: int, wait_s: float = 5.0) -> list[dict]:
        """The next `count` events; TimeoutError if they do not all come within `wait_s`."""
        await asyncio.wait_for(self._fill(count), wait_s)
        taken, self.events = self.events[:count], self.events[count:]
        return taken

    async def until_end(self, wait_s: float = 5.0) -> list[dict]:
        """Every event until the server ends the stream."""
        with contextlib.suppress(StopAsyncIteration):
            await asyncio.wait_for(self._fill(10**9), wait_s)
        taken, self.events = self.events, []
        return taken

    async def nothing_for(self, seconds: float) -> bool:
        """True when no event comes for `seconds` (the stream keeps being read meanwhile)."""
        if self.events:
            return False
        try:
            await asyncio.wait_for(self._fill(1), seconds)
        except TimeoutError:
            return True
        return False

    async def close(self) -> None:
        if hasattr(self.iterator, "aclose"):
            await self.iterator.aclose()
