"""Ordinary calls to an upstream over pooled keep-alive HTTP/1.1 connections, read with httptools.

Not aiohttp's pooled sessions: they make a request object, a response object with a stream
reader, timeout handles, trace hooks and header multidicts per call, for what is one write and one
parsed answer. Here a
call is its request written in one piece on an idle connection of the upstream's pool (or a new one)
and its answer parsed by `edge.stream_relay`'s protocol (uvicorn's parser); once read whole, the
connection goes back to the pool unless either side said `Connection: close`.

The rules aiohttp kept are kept: a connection idle longer than `HTTP_KEEPALIVE_EXPIRY_S` is not
used again (the services keep one for 75 s, so it is always the gateway that lets go first and no
request meets a connection being closed under it); one the upstream closed while idle is dropped
as it closes; an answer cut short (a timeout, a broken connection, a client gone) closes its
connection. HEAD goes through aiohttp (an answer to it has a Content-Length but no body, which the
parser cannot be told).
"""

from __future__ import annotations

import asyncio
import time
import weakref

from django.conf import settings

from edge import stream_relay

# Idle connections kept per upstream and event loop; more are closed as they come back.
MAX_IDLE = 256

_pools: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class PooledAnswer(stream_relay.UpstreamStream):
    """One answer on a connection that may carry the next request once this answer is read whole."""

    __slots__ = ("_pool", "_reusable", "idle_since")

    def __init__(self):
        super().__init__()
        self._pool: Pool | None = None
        self._reusable = False
        self.idle_since = 0.0

    def on_message_complete(self) -> None:
        if self.status < 200:
            self.headers = []
            return
        self._ended = True
        self._reusable = self._parser.should_keep_alive()
        self._wake()

    def connection_lost(self, exc: BaseException | None) -> None:
        self._reusable = False
        super().connection_lost(exc)

    def _renew(self) -> None:
        """Ready for the next request on the same connection (the parser carries on by itself)."""
        self._expect_answer()
        self._reusable = False

    def release(self) -> None:
        """Done with the answer: its connection goes back to the pool, or is closed if the answer
        was not read to its end or the connection may not carry another request."""
        pool, self._pool = self._pool, None
        if pool is not None and self._ended and self._reusable and self.transport is not None and not self._chunks:
            pool.give_back(self)
        else:
            self.close()


class Pool:
    def __init__(self, base_url: str):
        self.host, self.port, self.tls = stream_relay.address(base_url)
        self.host_header = self.host if self.port == (443 if self.tls else 80) else f"{self.host}:{self.port}"
        self.idle: list[PooledAnswer] = []

    def _idle_connection(self) -> PooledAnswer | None:
        expired_before = time.monotonic() - settings.HTTP_KEEPALIVE_EXPIRY_S
        while self.idle:
            answer = self.idle.pop()  # the most recently used: the least likely to have expired
            if answer.transport is None or answer.transport.is_closing():
                continue
            if answer.idle_since < expired_before:
                answer.close()
                continue
            return answer
        return None

    async def _new_connection(self, connect_timeout_s: float) -> PooledAnswer:
        loop = asyncio.get_running_loop()
        tls = stream_relay.tls_context() if self.tls else None
        try:
            async with asyncio.timeout(connect_timeout_s):
                _, answer = await loop.create_connection(
                    PooledAnswer, self.host, self.port, ssl=tls, server_hostname=self.host if tls else None
                )
        except TimeoutError:
            raise stream_relay.ConnectTimeout(f"connect to {self.host}:{self.port} timed out") from None
        except OSError as exc:
            raise stream_relay.UpstreamBroke(f"connect to {self.host}:{self.port} failed: {exc}") from exc
        return answer

    async def request(
        self,
        method: str,
        target: str,
        headers: dict[str, str],
        body: bytes,
        *,
        connect_timeout_s: float,
        head_timeout_s: float,
    ) -> PooledAnswer:
        """Sends the request and waits for the answer's head (TimeoutError past `head_timeout_s`);
        the caller reads the answer and then calls its `release()`."""
        answer = self._idle_connection() or await self._new_connection(connect_timeout_s)
        answer._renew()
        answer._pool = self
        try:
            answer.transport.write(
                stream_relay.request_head(method, target, self.host_header, headers, body, keep_alive=True) + body
            )
            async with asyncio.timeout(head_timeout_s):
                await answer.head()
        except BaseException:
            answer.release()  # not ended: closed
            raise
        return answer

    def give_back(self, answer: PooledAnswer) -> None:
        if len(self.idle) >= MAX_IDLE:
            answer.close()
            return
        answer.idle_since = time.monotonic()
        self.idle.append(answer)

    def close(self) -> None:
        for answer in self.idle:
            answer.close()
        self.idle.clear()


def pool(base_url: str) -> Pool:
    """The pool of one upstream for the running event loop (tests run one loop each)."""
    pools = _pools.setdefault(asyncio.get_running_loop(), {})
    found = pools.get(base_url)
    if found is None:
        found = pools[base_url] = Pool(base_url)
    return found


def close_pools() -> None:
    for found in _pools.pop(asyncio.get_running_loop(), {}).values():
        found.close()
