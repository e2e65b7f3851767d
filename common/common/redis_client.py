"""The process's Redis clients, and the key prefix that keeps platforms (and tests) apart.

The sync client comes from django-redis (`CACHES["redis"]` in settings, one pool per process);
the asyncio client, which django-redis does not offer, is built from the same settings.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import weakref

import redis
import redis.asyncio as aioredis
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django_redis import get_redis_connection
from django_redis.pool import ConnectionFactory


class PoolPerOptionsConnectionFactory(ConnectionFactory):
    """django-redis keys its process-wide pools by URL alone, so two aliases on one Redis would
    share the first one's pool and its reply decoding; here each set of pool options has its own."""

    def get_or_create_connection_pool(self, params):
        key = (params["url"], tuple(sorted(self.pool_cls_kwargs.items())))
        if key not in self._pools:
            self._pools[key] = self.get_connection_pool(params)
        return self._pools[key]


@functools.cache
def get_redis() -> redis.Redis:
    """The process's sync client. Kept here because Django's cache handlers live per request
    context: django-redis would build a new client object (on the shared pool) for every request."""
    return get_redis_connection("redis")


@receiver(setting_changed)
def _forget_client(*, setting: str, **_) -> None:
    if setting in ("CACHES", "REDIS_URL"):
        get_redis.cache_clear()


def redis_key(*parts: object) -> str:
    return settings.REDIS_KEY_PREFIX + ":".join(str(part) for part in parts)


# Per event loop (a loop's connections cannot be used from another): (REDIS_URL, client).
_async_clients: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def get_async_redis() -> aioredis.Redis:
    """A `redis.asyncio` client for the running event loop."""
    loop = asyncio.get_running_loop()
    cached = _async_clients.get(loop)
    if cached is None or cached[0] != settings.REDIS_URL:
        client = aioredis.Redis.from_url(
            settings.REDIS_URL,
            socket_timeout=settings.REDIS_TIMEOUT_S,
            socket_connect_timeout=settings.REDIS_TIMEOUT_S,
            health_check_interval=30,
            decode_responses=True,
        )
        cached = _async_clients[loop] = (settings.REDIS_URL, client)
    return cached[1]


class LuaScript:
    """A Lua script run by its SHA1 (EVALSHA), and loaded once more when the server no longer knows it
    (restarted, failed over, flushed). redis-py's `register_script` does the same, but used per call
    it hashes the source every time and checks the client's type through `typing`'s slow protocol
    `isinstance` on every run, on hot paths (a reconnect storm, the couriers' positions). Keep one
    per script, at module level."""

    def __init__(self, source: str):
        self.source = source
        self.sha = hashlib.sha1(source.encode(), usedforsecurity=False).hexdigest()

    def run(self, client: redis.Redis, keys: list[str], args: list) -> object:
        try:
            return client.evalsha(self.sha, len(keys), *keys, *args)
        except redis.exceptions.NoScriptError:
            client.script_load(self.source)
            return client.evalsha(self.sha, len(keys), *keys, *args)

    async def run_async(self, client: aioredis.Redis, keys: list[str], args: list) -> object:
        try:
            return await client.evalsha(self.sha, len(keys), *keys, *args)
        except redis.exceptions.NoScriptError:
            await client.script_load(self.source)
            return await client.evalsha(self.sha, len(keys), *keys, *args)

    def queue(self, pipe, keys: list[str], args: list) -> None:
        """Queues a run on `pipe` (executed with `raise_on_error=False`), beside the caller's other
        commands in the same round trip; its reply goes through `settled_async`."""
        pipe.evalsha(self.sha, len(keys), *keys, *args)

    async def settled_async(self, client: aioredis.Redis, reply: object, keys: list[str], args: list) -> object:
        """The reply of a queued run: the script's, or, when the server did not know the script, the
        reply of a run on its own (loaded first); a failure of the script is raised."""
        if isinstance(reply, redis.exceptions.NoScriptError):
            return await self.run_async(client, keys, args)
        if isinstance(reply, Exception):
            raise reply
        return reply
