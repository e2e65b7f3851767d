"""Reads that callers arriving together share: one blocking store query on a thread for many
coroutines, instead of one query and one thread hop each.

A reconnect storm opens thousands of streams a second, and each open reads its subject (an order)
to check the caller's right to it. Alone, a caller is read at once; while a read is running, the
keys asked for meanwhile wait and go together in the next one, so batches form only under load and
a lone request waits for nothing but its own query (the same merging as dispatch's kicks).
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from asgiref.sync import sync_to_async

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class _LoopState:
    def __init__(self):
        self.waiting: dict = {}  # key -> futures of the callers asking for it
        self.reader: asyncio.Task | None = None


class SharedReads(Generic[K, V]):
    """`await reads.get(key)`: the value `read_many` finds for `key`, or None. `read_many(keys)` is
    blocking (it runs on a worker thread) and answers {key: value} for the keys it found."""

    def __init__(self, read_many: Callable[[list[K]], dict[K, V]], *, max_batch: int = 200):
        self.read_many = read_many
        self.max_batch = max_batch
        # Futures belong to the loop that made them (uvicorn runs one per process, tests one per test).
        self._states: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    async def get(self, key: K) -> V | None:
        loop = asyncio.get_running_loop()
        state = self._states.get(loop)
        if state is None:
            state = self._states[loop] = _LoopState()
        future = loop.create_future()
        state.waiting.setdefault(key, []).append(future)
        if state.reader is None:
            state.reader = loop.create_task(self._read_while_asked(state))
        return await future

    async def _read_while_asked(self, state: _LoopState) -> None:
        asked: dict = {}
        try:
            while state.waiting:
                keys = list(state.waiting)[: self.max_batch]
                asked = {key: state.waiting.pop(key) for key in keys}
                try:
                    found = await sync_to_async(self.read_many, thread_sensitive=False)(keys)
                except Exception as exc:  # every caller of this batch gets the failure, never a hang
                    _settle(asked, lambda future, _key, exc=exc: future.set_exception(exc))
                else:
                    _settle(asked, lambda future, key, found=found: future.set_result(found.get(key)))
                asked = {}
        finally:
            state.reader = None
            # Only when this task itself was cancelled (its loop is closing): nobody may wait forever.
            _settle({**asked, **state.waiting}, lambda future, _key: future.cancel())
            state.waiting.clear()


def _settle(asked: dict, settle: Callable) -> None:
    for key, futures in asked.items():
        for future in futures:
            if not future.done():  # a caller that went away (its client hung up) was cancelled meanwhile
                settle(future, key)
