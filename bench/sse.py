"""Reading Server-Sent Events with aiohttp, for the benchmark clients that follow live streams."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator


async def events(response) -> AsyncIterator[dict]:
    """Each event of an open aiohttp response as `{id, event, data}`; comments are skipped."""
    fields: dict[str, str] = {}
    async for raw in response.content:
        line = raw.decode().rstrip("\r\n")
        if line:
            if not line.startswith(":"):
                name, _, value = line.partition(":")
                fields[name] = value.removeprefix(" ")
            continue
        if "data" in fields:
            yield {"id": fields.get("id"), "event": fields.get("event", "message"), "data": json.loads(fields["data"])}
        fields = {}
