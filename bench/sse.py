"""Reading Server-Sent Events with aiohttp, for the benchmark clients that follow live streams."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator


async def events(response) -> AsyncIterator[dict]:
    """Each event of an open aiohttp response as `{id, event, data}`; comments are skipped. Read in
    chunks, not lines: a kitchen board's snapshot is one `data:` line of hundreds of KiB, past
    aiohttp's line limit (64 KiB)."""
    fields: dict[str, str] = {}
    pending = b""
    async for chunk in response.content.iter_any():
        *lines, pending = (pending + chunk).split(b"\n")
        for raw in lines:
            line = raw.decode().rstrip("\r")
            if line:
                if not line.startswith(":"):
                    name, _, value = line.partition(":")
                    fields[name] = value.removeprefix(" ")
                continue
            if "data" in fields:
                yield {
                    "id": fields.get("id"),
                    "event": fields.get("event", "message"),
                    "data": json.loads(fields["data"]),
                }
            fields = {}
