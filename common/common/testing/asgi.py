"""Driving an ASGI application in a test as a server would: one request's scope, its body in the
pieces a client sent it, the messages the application sent back."""

from __future__ import annotations

import asyncio


def http_scope(method: str, path: str, headers=(), *, body: bytes | None = None) -> dict:
    """An HTTP request's scope; with `body`, its Content-Length too."""
    length = [] if body is None else [(b"content-length", str(len(body)).encode())]
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver"), *headers, *length],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }


async def exchanged(app, scope: dict, *pieces: bytes) -> list[dict]:
    """Runs one request to its end: its body in these pieces (none: empty), the client staying
    connected; returns the messages the application sent."""
    pending = list(pieces) or [b""]
    sent: list[dict] = []

    async def receive():
        if pending:
            return {"type": "http.request", "body": pending.pop(0), "more_body": bool(pending)}
        await asyncio.Event().wait()  # connected until the request is over
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    await app(scope, receive, send)
    return sent


def exchange(app, scope: dict, *pieces: bytes) -> list[dict]:
    """`exchanged` on an event loop of its own."""
    return asyncio.run(exchanged(app, scope, *pieces))


def answer_of(sent: list[dict]) -> tuple[int, dict[bytes, bytes], bytes]:
    """Status, headers (lower-case names) and whole body of what `exchange` returned."""
    headers = {name.lower(): value for name, value in sent[0]["headers"]}
    return sent[0]["status"], headers, b"".join(m.get("body", b"") for m in sent[1:])
