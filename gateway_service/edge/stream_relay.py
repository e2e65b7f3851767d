"""Relaying a live stream from its upstream: one HTTP/1.1 connection per stream, read with httptools
(uvicorn's parser), holding nothing of the answer but the bytes still to be relayed.

Every other request goes through aiohttp's pooled sessions (`edge.proxy`). A stream is different:
it lives for minutes or hours, and aiohttp keeps each response's parsed head (its headers twice:
raw and as a multidict), request info, payload reader and their buffers for that whole life, the
largest item of the gateway's memory per stream. Here
an open stream costs its transport, one `UpstreamStream` and its parser; the head is handed over
once and let go.

A stream's connection is not pooled: it ends when the stream does, and the answers that are not
streams (a refusal, a shed 503) are small and end with their connection closed.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
from urllib.parse import urlsplit

import httptools

# Past this many bytes waiting for a slow client, the upstream is not read (TCP pushes back on it);
# below half of it, reading resumes. An event is a few hundred bytes.
HIGH_WATER_BYTES = 256 * 1024


class UpstreamBroke(ConnectionError):
    """The upstream refused the connection, reset it, closed it early or sent what is not HTTP."""


class ConnectTimeout(TimeoutError):
    """The connect did not complete in time: nothing was sent, so trying again is safe."""


class UpstreamStream(asyncio.Protocol):
    """One upstream answer: its status and headers once its head has arrived, then its body as an
    async iterator of chunks (decoded from chunked transfer coding, as they come)."""

    __slots__ = (
        "_buffered",
        "_chunks",
        "_ended",
        "_error",
        "_head",
        "_parser",
        "_wakeup",
        "headers",
        "status",
        "transport",
    )

    def __init__(self):
        self.transport: asyncio.Transport | None = None
        self._parser = httptools.HttpResponseParser(self)
        self._wakeup: asyncio.Future | None = None
        self._expect_answer()

    def _expect_answer(self) -> None:
        """The state of one answer, before its head has come (a pooled connection's next answer
        starts here again: edge.upstream_pool)."""
        self.status = 0
        self.headers: list[tuple[str, str]] | None = []
        self._head: asyncio.Future | None = asyncio.get_running_loop().create_future()
        self._chunks: list[bytes] = []  # a deque's first block alone is 0.7 KiB; one or two wait here
        self._buffered = 0
        self._ended = False
        self._error: BaseException | None = None

    # asyncio.Protocol

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except (httptools.HttpParserError, httptools.HttpParserUpgrade) as exc:
            # An upgrade was never asked for: no relay of anything but HTTP/1.1 answers.
            self._fail(UpstreamBroke(f"not an HTTP answer to relay: {exc!r}"))
            self.close()

    def connection_lost(self, exc: BaseException | None) -> None:
        if not self._ended:
            self._fail(UpstreamBroke("the upstream closed the connection before its answer ended"))
        self._parser = None  # the parser refers back to this protocol
        self.transport = None

    # httptools callbacks

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name.decode("latin-1"), value.decode("latin-1")))

    def on_headers_complete(self) -> None:
        self.status = self._parser.get_status_code()
        if self.status < 200:
            return  # an interim answer (103 Early Hints): the final one follows (a 101 fails below)
        if self._head is not None and not self._head.done():
            self._head.set_result(None)

    def on_body(self, body: bytes) -> None:
        self._chunks.append(body)
        self._buffered += len(body)
        if self._buffered > HIGH_WATER_BYTES and self.transport is not None:
            self.transport.pause_reading()
        self._wake()

    def on_message_complete(self) -> None:
        if self.status < 200:
            self.headers = []
            return
        self._ended = True
        self._wake()
        self.close()  # never reused: see the module's docstring

    # The answer

    async def head(self) -> None:
        """Waits for the status and headers (raises UpstreamBroke if the connection ends first)."""
        try:
            await self._head
        finally:
            self._head = None

    def forget_head(self) -> None:
        self.headers = None

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((value for key, value in reversed(self.headers) if key.lower() == lowered), None)

    def __aiter__(self):
        return self

    async def __anext__(self) -> bytes:
        while not self._chunks:
            if self._ended:
                raise StopAsyncIteration
            if self._error is not None:
                raise self._error
            self._wakeup = asyncio.get_running_loop().create_future()
            try:
                await self._wakeup
            finally:
                self._wakeup = None
        chunk = self._chunks.pop(0)
        self._buffered -= len(chunk)
        if self._buffered < HIGH_WATER_BYTES // 2 and self.transport is not None and not self.transport.is_reading():
            self.transport.resume_reading()
        return chunk

    async def read(self) -> bytes:
        if self._ended:  # all of it is here (an ordinary answer usually comes in one piece with its head)
            whole, self._chunks, self._buffered = b"".join(self._chunks), [], 0
            if self.transport is not None and not self.transport.is_reading():
                self.transport.resume_reading()
            return whole
        return b"".join([chunk async for chunk in self])

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def _fail(self, error: BaseException) -> None:
        self._error = error
        if self._head is not None and not self._head.done():
            self._head.set_exception(error)
            self._head.exception()  # retrieved here if nobody waits for it any more
        self._wake()

    def _wake(self) -> None:
        if self._wakeup is not None and not self._wakeup.done():
            self._wakeup.set_result(None)


async def open_stream(
    base_url: str, method: str, target: str, headers: dict[str, str], body: bytes, *, connect_timeout_s: float
) -> UpstreamStream:
    """Connects to `base_url`, sends the request and waits for the answer's head. The caller bounds
    the wait for the head (its deadline cancels this) and owns the answer: iterate it, then close()."""
    host, port, tls = address(base_url)
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(connect_timeout_s):
            _, answer = await loop.create_connection(
                UpstreamStream, host, port, ssl=tls_context() if tls else None, server_hostname=host if tls else None
            )
    except TimeoutError:
        raise ConnectTimeout(f"connect to {host}:{port} timed out") from None
    except OSError as exc:
        raise UpstreamBroke(f"connect to {host}:{port} failed: {exc}") from exc
    try:
        host_header = host if port == (443 if tls else 80) else f"{host}:{port}"
        answer.transport.write(request_head(method, target, host_header, headers, body) + body)
        await answer.head()
    except BaseException:
        answer.close()
        raise
    return answer


def request_head(
    method: str, target: str, host_header: str, headers: dict[str, str], body: bytes, *, keep_alive: bool = False
) -> bytes:
    """A request's head; a stream's connection ends with it, a pooled one (edge.upstream_pool) may not."""
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host_header}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    if not keep_alive:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


@functools.lru_cache(maxsize=32)
def address(base_url: str) -> tuple[str, int, bool]:
    parts = urlsplit(base_url)
    tls = parts.scheme == "https"
    return parts.hostname, parts.port or (443 if tls else 80), tls


@functools.cache
def tls_context() -> ssl.SSLContext:
    return ssl.create_default_context()
