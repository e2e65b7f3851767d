"""Reading Server-Sent Events with aiohttp, for the benchmark clients that follow live streams."""

from __future__ import annotations

from collections.abc import AsyncIterator

from common.testing.sse import parse_block


async def events(response) -> AsyncIterator[dict]:
    """Each event of an open aiohttp response as `{id, event, data}`; comments are skipped. Read in
    chunks, not lines: a kitchen board's snapshot is one `data:` line of hundreds of KiB, past
    aiohttp's line limit (64 KiB)."""
    pending = b""
    async for chunk in response.content.iter_any():
        *blocks, pending = (pending + chunk).replace(b"\r\n", b"\n").split(b"\n\n")
        for block in blocks:
            if (event := parse_block(block.decode())) is not None:
                yield event
