"""Shared reads: callers arriving together are read by one query, a lone caller at once."""

import asyncio
import threading

import pytest

from common.batching import SharedReads


class Store:
    """A blocking store that records each query's keys; `gate` holds a query until released."""

    def __init__(self, data: dict):
        self.data = data
        self.queries: list[list] = []
        self.gate = threading.Event()
        self.gate.set()
        self.reading = threading.Event()
        self.fail_with: Exception | None = None

    def read_many(self, keys: list) -> dict:
        self.queries.append(list(keys))
        self.reading.set()
        self.gate.wait(5)
        if self.fail_with is not None:
            raise self.fail_with
        return {key: self.data[key] for key in keys if key in self.data}


async def _first_read_running(store: Store) -> None:
    assert await asyncio.to_thread(store.reading.wait, 5)


def test_a_lone_caller_is_read_at_once():
    store = Store({"a": 1})
    reads = SharedReads(store.read_many)

    assert asyncio.run(reads.get("a")) == 1
    assert store.queries == [["a"]]


def test_callers_arriving_during_a_read_share_the_next_one():
    store = Store({key: key.upper() for key in "abcdef"})
    reads = SharedReads(store.read_many)

    async def storm():
        store.gate.clear()
        first = asyncio.ensure_future(reads.get("a"))
        await _first_read_running(store)
        others = [asyncio.ensure_future(reads.get(key)) for key in "bcdefb"]
        await asyncio.sleep(0.01)
        store.gate.set()
        return await first, await asyncio.gather(*others)

    first, others = asyncio.run(storm())

    assert first == "A"
    assert others == ["B", "C", "D", "E", "F", "B"]
    assert store.queries == [["a"], ["b", "c", "d", "e", "f"]]  # the same key asked twice is read once


def test_batches_are_capped():
    store = Store({n: n for n in range(10)})
    reads = SharedReads(store.read_many, max_batch=4)

    async def storm():
        store.gate.clear()
        first = asyncio.ensure_future(reads.get(0))
        await _first_read_running(store)
        others = [asyncio.ensure_future(reads.get(n)) for n in range(1, 10)]
        await asyncio.sleep(0.01)
        store.gate.set()
        await first
        return await asyncio.gather(*others)

    assert asyncio.run(storm()) == list(range(1, 10))
    assert [len(q) for q in store.queries] == [1, 4, 4, 1]


def test_what_the_store_does_not_have_is_none():
    assert asyncio.run(SharedReads(Store({}).read_many).get("missing")) is None


def test_a_failed_read_fails_every_caller_of_its_batch_and_the_next_batch_is_read_again():
    store = Store({"a": 1, "b": 2})
    reads = SharedReads(store.read_many)

    async def run():
        store.fail_with = ConnectionError("store down")
        with pytest.raises(ConnectionError):
            await reads.get("a")
        store.fail_with = None
        return await reads.get("b")

    assert asyncio.run(run()) == 2


def test_a_caller_that_goes_away_does_not_disturb_the_others():
    store = Store({"a": 1, "b": 2})
    reads = SharedReads(store.read_many)

    async def run():
        store.gate.clear()
        first = asyncio.ensure_future(reads.get("a"))
        await _first_read_running(store)
        gone, staying = asyncio.ensure_future(reads.get("b")), asyncio.ensure_future(reads.get("b"))
        await asyncio.sleep(0.01)
        gone.cancel()  # its client hung up while it waited
        store.gate.set()
        return await first, await staying

    assert asyncio.run(run()) == (1, 2)
