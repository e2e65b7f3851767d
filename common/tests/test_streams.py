"""The live streams' machinery (common/streams/) against the real MongoDB-compatible server and Redis.

A small board of items stands in for a service's stream: the truth is a MongoDB collection, each
write bumps the item's version, and the "publisher" appends the new state as a real service does.
"""

from __future__ import annotations

import asyncio
import threading

import pytest

from common import streams
from common.redis_client import get_redis
from common.streams import Entry, fanout, history, refresher
from common.testing.sse import SseReader
from common.testing.waiting import eventually

ITEMS = "stream_items"


class ItemsSpec(streams.StreamSpec):
    """Open items of a subject, each a key; a closed item is shown once, then leaves the view."""

    kind = "items"

    def __init__(self, db):
        self.db = db
        self.reads = 0

    def truth(self, watched):
        self.reads += 1
        subjects = list(watched)
        named = [key for keys in watched.values() for key in keys]
        found = self.db[ITEMS].find({"$or": [{"subject": {"$in": subjects}, "open": True}, {"_id": {"$in": named}}]})
        truth: dict[str, list[Entry]] = {}
        for item in found:
            truth.setdefault(item["subject"], []).append(entry_of(item))
        return truth

    def snapshot_data(self, view):
        return {"items": sorted((e.data for e in view), key=lambda d: d["id"])}


def entry_of(item: dict) -> Entry:
    data = {"id": item["_id"], "state": item["state"]}
    return Entry(key=item["_id"], version=item["version"], event="item", data=data, live=item["open"])


def write(db, key, state, *, subject="s1", open_=True, publish=True):
    """Changes an item in MongoDB (the truth), then publishes it, as a service's write does."""
    item = db[ITEMS].find_one_and_update(
        {"_id": key},
        {"$set": {"subject": subject, "state": state, "open": open_}, "$inc": {"version": 1}},
        upsert=True,
        return_document=True,
    )
    if publish:
        streams.publish([(streams.topic_of("items", subject), [entry_of(item)])])
    return item


@pytest.fixture
def spec(mongo_db, redis_client, settings):
    settings.SSE_HEARTBEAT_S = 0.3
    settings.SSE_POLL_INTERVAL_S = 0.1
    return ItemsSpec(mongo_db)


class Reader(SseReader):
    """One stream of the spec, read as a client would."""

    def __init__(self, spec, subject="s1", last_event_id=None):
        self.stream = streams.LiveStream(spec, subject)
        super().__init__(self.stream.events(last_event_id))


async def opened_for(spec, count: int = 1, **reader_args) -> list[dict]:
    """The first `count` events of a stream opened for them and closed after."""
    reader = Reader(spec, **reader_args)
    events = await reader.next_events(count)
    await reader.close()
    return events


def run(coroutine):
    return asyncio.run(asyncio.wait_for(coroutine, 30))


def in_thread(fn, *args, **kwargs):
    return asyncio.get_running_loop().run_in_executor(None, lambda: fn(*args, **kwargs))


def test_a_stream_opens_with_a_snapshot_then_sends_each_change(spec, mongo_db):
    write(mongo_db, "a", "new")

    async def scenario():
        reader = Reader(spec)
        [snapshot] = await reader.next_events(1)
        await in_thread(write, mongo_db, "b", "new")
        await in_thread(write, mongo_db, "a", "cooking")
        await in_thread(write, mongo_db, "a", "done", open_=False)
        changes = await reader.next_events(3)
        await reader.close()
        return snapshot, changes

    snapshot, changes = run(scenario())

    assert snapshot["event"] == "snapshot"
    assert snapshot["data"] == {"items": [{"id": "a", "state": "new"}]}
    assert [(e["event"], e["data"]) for e in changes] == [
        ("item", {"id": "b", "state": "new"}),
        ("item", {"id": "a", "state": "cooking"}),
        ("item", {"id": "a", "state": "done"}),
    ]
    ids = [snapshot["id"], *(e["id"] for e in changes)]
    assert all(ids)
    assert len(set(ids)) == 4


def test_a_client_that_resumes_gets_exactly_what_it_missed_in_order(spec, mongo_db):
    write(mongo_db, "a", "new")

    async def scenario():
        first = Reader(spec)
        await first.next_events(1)
        await in_thread(write, mongo_db, "a", "cooking")
        [seen] = await first.next_events(1)
        await first.close()  # the phone loses its network
        for key, state in [("a", "ready"), ("b", "new"), ("a", "gone")]:
            await in_thread(write, mongo_db, key, state, open_=state != "gone")
        again = Reader(spec, last_event_id=seen["id"])
        missed = await again.next_events(3)
        quiet = await again.nothing_for(0.8)  # a heartbeat re-read finds nothing more to send
        await again.close()
        return missed, quiet

    missed, quiet = run(scenario())

    assert [e["data"] for e in missed] == [
        {"id": "a", "state": "ready"},
        {"id": "b", "state": "new"},
        {"id": "a", "state": "gone"},
    ]
    assert quiet


def test_resuming_from_the_snapshot_id_misses_nothing_published_meanwhile(spec, mongo_db):
    write(mongo_db, "a", "new")

    async def scenario():
        [snapshot] = await opened_for(spec)
        await in_thread(write, mongo_db, "a", "cooking")
        [missed] = await opened_for(spec, last_event_id=snapshot["id"])
        return missed

    assert run(scenario())["data"] == {"id": "a", "state": "cooking"}


@pytest.mark.parametrize("last_event_id", ["1-0", "not-an-id", "p1700000000000-3", "0-0", "9" * 30 + "-0"])
def test_an_id_the_history_does_not_have_gets_a_fresh_snapshot(spec, mongo_db, last_event_id):
    write(mongo_db, "a", "new")
    write(mongo_db, "a", "cooking")

    [event] = run(opened_for(spec, last_event_id=last_event_id))

    assert event["event"] == "snapshot"
    assert event["data"] == {"items": [{"id": "a", "state": "cooking"}]}


def test_a_trimmed_history_answers_a_snapshot_not_a_gap(spec, mongo_db, settings):
    settings.SSE_HISTORY_MAX_LEN = 1  # "~" trimming keeps whole blocks; MINID by age is exact
    settings.SSE_HISTORY_MAX_AGE_S = 0.5
    write(mongo_db, "a", "new")

    async def scenario():
        [snapshot] = await opened_for(spec)
        await asyncio.sleep(0.7)  # older than the history keeps
        await in_thread(write, mongo_db, "a", "cooking")  # trims what is older than 0.5 s
        return await opened_for(spec, last_event_id=snapshot["id"])

    [event] = run(scenario())

    assert event["event"] == "snapshot"
    assert event["data"] == {"items": [{"id": "a", "state": "cooking"}]}


def test_the_same_change_published_again_or_late_is_sent_once(spec, mongo_db):
    item = write(mongo_db, "a", "new")

    async def scenario():
        reader = Reader(spec)
        await reader.next_events(1)
        cooking = await in_thread(write, mongo_db, "a", "cooking")
        topic = streams.topic_of("items", "s1")
        streams.publish([(topic, [entry_of(cooking)])])  # a retried publish
        streams.publish([(topic, [entry_of(item)])])  # a late one, older than what was sent
        await in_thread(write, mongo_db, "a", "cooking")  # a write that changed nothing shown
        await in_thread(write, mongo_db, "a", "ready")
        events = await reader.next_events(2)
        quiet = await reader.nothing_for(0.5)
        await reader.close()
        return events, quiet

    events, quiet = run(scenario())

    assert [e["data"]["state"] for e in events] == ["cooking", "ready"]
    assert quiet


def test_a_lost_publish_reaches_the_stream_at_the_next_heartbeat(spec, mongo_db):
    write(mongo_db, "a", "new")

    async def scenario():
        reader = Reader(spec)
        await reader.next_events(1)
        # The writer died between its MongoDB write and its publish.
        await in_thread(write, mongo_db, "a", "cooking", publish=False)
        await in_thread(write, mongo_db, "b", "new", publish=False)
        events = await reader.next_events(2, wait_s=2)
        # The repair went into the history: a client resuming from before it gets it too.
        await reader.close()
        return events

    events = run(scenario())

    assert sorted(e["data"]["state"] + e["data"]["id"] for e in events) == ["cookinga", "newb"]
    assert all(e["id"] and not e["id"].startswith("p") for e in events)


def test_a_lost_final_publish_reaches_a_stream_that_still_shows_the_item(spec, mongo_db):
    write(mongo_db, "a", "new")

    async def scenario():
        reader = Reader(spec)
        await reader.next_events(1)
        await in_thread(write, mongo_db, "a", "gone", open_=False, publish=False)
        events = await reader.next_events(1, wait_s=2)
        await reader.close()
        return events

    assert run(scenario())[0]["data"] == {"id": "a", "state": "gone"}


def test_the_heartbeat_rereads_every_stream_of_a_kind_in_one_query(spec, mongo_db):
    for n in range(5):
        write(mongo_db, f"k{n}", "new", subject=f"s{n}")

    async def scenario():
        readers = [Reader(spec, subject=f"s{n}") for n in range(5)]
        for reader in readers:
            await reader.next_events(1)
        reads_before = spec.reads
        await asyncio.sleep(1.0)  # about three heartbeats of 0.3 s
        reads = spec.reads - reads_before
        for reader in readers:
            await reader.close()
        return reads

    assert 2 <= run(scenario()) <= 4  # not 5 streams x 3 beats


def test_idle_streams_wait_without_a_task_of_their_own(spec, mongo_db):
    """Ten thousand idle streams must not be ten thousand more tasks and timers' worth of memory
    and wake-ups: a stream waits on one future of its own, woken by what it is handed."""
    write(mongo_db, "a", "new")

    async def scenario():
        readers = [Reader(spec) for _ in range(5)]
        for reader in readers:
            await reader.next_events(1)
            await reader._pull(0.01)  # the client waits for more; the stream waits for news
        others = asyncio.all_tasks() - {asyncio.current_task(), fanout.hub().task, refresher.refresher(spec).task}
        extra = others - {reader._pending for reader in readers}
        for reader in readers:
            await reader.close()
        return extra

    assert asyncio.run(scenario()) == set()  # not run(): its own wait_for would be one more task


def test_a_slow_client_catches_up_from_the_history(spec, mongo_db, settings):
    settings.SSE_QUEUE_SIZE = 2
    write(mongo_db, "a", "0")

    async def scenario():
        reader = Reader(spec)
        await reader.next_events(1)
        for n in range(1, 11):  # the client reads nothing meanwhile: its queue overflows
            await in_thread(write, mongo_db, "a", str(n))
        await asyncio.sleep(0.2)
        events = await reader.next_events(10)
        await reader.close()
        return events

    assert [e["data"]["state"] for e in run(scenario())] == [str(n) for n in range(1, 11)]


def test_without_redis_streams_poll_mongodb_then_go_back_to_redis(spec, mongo_db, settings, redis_client):
    """Redis is away when the stream opens: it polls MongoDB (events still arrive, with ids no
    history knows); when Redis answers again the stream goes back to it, and its ids resume."""
    from common.settings_base import redis_caches

    real_url = settings.REDIS_URL
    write(mongo_db, "a", "new")

    def redis_to(url, timeout_s):
        settings.REDIS_URL, settings.REDIS_TIMEOUT_S = url, timeout_s
        settings.CACHES = redis_caches(url, timeout_s)

    async def scenario():
        redis_to("redis://127.0.0.1:9/0", 0.2)
        reader = Reader(spec)
        [snapshot] = await reader.next_events(1)
        await in_thread(write, mongo_db, "a", "cooking")  # its publish fails; polling finds it
        [polled] = await reader.next_events(1)
        assert reader.stream.polling
        redis_to(real_url, 1.0)
        # Within a few poll intervals the stream is back on Redis, with a snapshot a client can resume from.
        [back] = await reader.next_events(1, wait_s=2)
        assert not reader.stream.polling
        await in_thread(write, mongo_db, "a", "ready")
        [live] = await reader.next_events(1)
        again = Reader(spec, last_event_id=live["id"])
        await in_thread(write, mongo_db, "a", "gone", open_=False)
        [resumed] = await again.next_events(1)
        for r in (reader, again):
            await r.close()
        return snapshot, polled, back, live, resumed

    snapshot, polled, back, live, resumed = run(scenario())

    assert snapshot["event"] == "snapshot"
    assert snapshot["id"].startswith("p")
    assert polled["data"]["state"] == "cooking"
    assert polled["id"].startswith("p")
    assert back["event"] == "snapshot"
    assert not back["id"].startswith("p")
    assert back["data"] == {"items": [{"id": "a", "state": "cooking"}]}
    assert live["data"]["state"] == "ready"
    assert not live["id"].startswith("p")
    assert resumed["data"]["state"] == "gone"


def test_publishing_while_redis_is_down_fails_nothing(mongo_db, redis_down):
    item = write(mongo_db, "a", "new")  # logs a warning, raises nothing

    assert item["state"] == "new"


def test_the_retry_field_spreads_reconnects(settings):
    settings.SSE_RETRY_MS = 1000
    values = {int(streams.retry_field().decode().split()[1]) for _ in range(50)}

    assert all(1000 <= v <= 2000 for v in values)
    assert len(values) > 10


def test_publishers_in_many_threads_never_duplicate_or_reorder_an_item(spec, mongo_db):
    """Several processes publish and repair the same item at once: every state appears once, in
    version order."""
    write(mongo_db, "a", "0")
    topic = streams.topic_of("items", "s1")
    entries = [Entry(key="a", version=v, event="item", data={"id": "a", "state": str(v)}) for v in range(2, 40)]

    def publish_all(order):
        for entry in order:
            streams.publish([(topic, [entry])])

    threads = [threading.Thread(target=publish_all, args=(entries[i::3] * 2,)) for i in range(3)]
    threads += [threading.Thread(target=publish_all, args=(entries,))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    appended = get_redis().xrange(history.keys(topic)[0])
    versions = [int(fields["v"]) for _id, fields in appended]
    assert versions == sorted(set(versions))


def test_the_snapshot_of_an_empty_topic_can_be_resumed_from(spec, mongo_db):
    async def scenario():
        [snapshot] = await opened_for(spec, subject="empty")
        await in_thread(write, mongo_db, "x", "new", subject="empty")
        [missed] = await opened_for(spec, subject="empty", last_event_id=snapshot["id"])
        return snapshot, missed

    snapshot, missed = run(scenario())

    assert snapshot["data"] == {"items": []}
    assert (missed["event"], missed["data"]) == ("item", {"id": "x", "state": "new"})


def test_a_publish_after_redis_forgot_its_scripts_still_arrives(spec, mongo_db, redis_client):
    write(mongo_db, "a", "new")

    async def scenario():
        reader = Reader(spec)
        await reader.next_events(1)
        redis_client.script_flush()  # as after a Redis restart
        await in_thread(write, mongo_db, "a", "cooking")
        events = await reader.next_events(1, wait_s=0.25)  # before the heartbeat could repair it
        await reader.close()
        return events

    events = run(scenario())

    assert [e["data"]["state"] for e in events] == ["cooking"]


def test_the_heartbeat_reread_reaches_many_streams_in_spread_out_chunks_not_one_burst():
    """Handed to thousands of streams at once, the re-read would wake them all in one burst and every
    live event would wait behind it; other work runs between the chunks, and every stream gets it."""

    class Stream:
        subject = "s1"

        def __init__(self):
            self.offered = []

        def offer(self, message):
            self.offered.append(message)

    many = [Stream() for _ in range(1000)]
    truth = {"s1": ["entry"]}

    async def scenario():
        seen_meanwhile = []

        async def other_work():
            for _ in range(3):
                await asyncio.sleep(0)
                seen_meanwhile.append(sum(1 for s in many if s.offered))

        await asyncio.gather(refresher.hand_out(many, truth, over_s=0.2), other_work())
        return seen_meanwhile

    seen_meanwhile = asyncio.run(scenario())

    assert 0 < seen_meanwhile[0] < len(many)
    assert all(s.offered == [(fanout.TRUTH, ["entry"])] for s in many)


class _Truth(list):
    """A list a test can hold a weak reference to."""


def test_an_open_stream_lets_its_first_read_go_once_it_has_opened(spec, mongo_db):
    import gc
    import weakref

    item = write(mongo_db, "a", "new")

    async def scenario():
        truth = _Truth([entry_of(item)])
        alive = weakref.ref(truth)
        reader = SseReader(streams.LiveStream(spec, "s1", initial_truth=truth).events(None))
        del truth
        [snapshot] = await reader.next_events(1)
        gc.collect()
        kept = alive() is not None
        await reader.close()
        return snapshot, kept

    snapshot, kept = run(scenario())

    assert snapshot["data"] == {"items": [{"id": "a", "state": "new"}]}
    assert not kept  # held for the stream's whole life, never used again


def test_an_item_published_often_goes_out_once_per_interval(redis_client):
    """A courier's position: the first publish of each interval is claimed, the rest of it are not."""
    from common.streams import throttle

    def publish_once() -> bool:
        pipe = redis_client.pipeline(transaction=False)
        throttle.claim(pipe, "order:o1", "location", interval_s=0.3)
        return throttle.granted(pipe.execute()[0])

    first, again = publish_once(), publish_once()
    other_item = redis_client.pipeline(transaction=False)
    throttle.claim(other_item, "order:o2", "location", interval_s=0.3)
    later = eventually(publish_once, timeout_s=5)

    assert (first, again) == (True, False)
    assert throttle.granted(other_item.execute()[0])
    assert later
