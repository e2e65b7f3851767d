"""What the platform relies on from MongoDB (ARCHITECTURE 3.1): single-document writes are atomic,
unique indexes admit one, equality queries match as on MongoDB.

Checked first in `make test` against whichever server is in use: MongoDB 7 in CI, the project's
patched FerretDB locally. FerretDB 1.24.2 as released fails every atomicity test here (measured:
several winners in 27 of 30 rounds, 896 of 1,200 increments lost): `make conformance-as-released`.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from pymongo import ReturnDocument, UpdateOne
from pymongo.errors import DuplicateKeyError

ROUNDS = 30
RACERS = 16


def _race(n: int, action) -> list:
    """Runs `action(i)` in `n` threads released at the same instant; returns their results."""
    start = threading.Barrier(n)

    def run(i: int):
        start.wait()
        return action(i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


def test_a_conditional_update_has_exactly_one_winner(db):
    rounds_with_other_than_one_winner = 0
    for round_no in range(ROUNDS):
        db.couriers.insert_one({"_id": f"c{round_no}", "state": "free", "holder": None})

        def claim(i: int, courier_id: str = f"c{round_no}"):
            return db.couriers.find_one_and_update(
                {"_id": courier_id, "state": "free"},
                {"$set": {"state": "busy", "holder": i}},
                return_document=ReturnDocument.AFTER,
            )

        winners = [r for r in _race(RACERS, claim) if r is not None]
        stored = db.couriers.find_one({"_id": f"c{round_no}"})
        if len(winners) != 1 or stored["holder"] != winners[0]["holder"]:
            rounds_with_other_than_one_winner += 1

    assert rounds_with_other_than_one_winner == 0, f"{rounds_with_other_than_one_winner} of {ROUNDS} rounds"


def test_concurrent_increments_on_one_document_are_all_kept(db):
    db.counters.insert_one({"_id": "orders", "n": 0})
    per_thread = 150

    def bump(_: int) -> None:
        for _ in range(per_thread):
            db.counters.update_one({"_id": "orders"}, {"$inc": {"n": 1}})

    _race(8, bump)

    assert db.counters.find_one({"_id": "orders"})["n"] == 8 * per_thread


def test_an_update_many_and_a_conditional_update_do_not_interleave(db):
    """A multi-document update moves each document once: no document is both cancelled and taken."""
    db.orders.insert_many([{"_id": i, "status": "placed"} for i in range(200)])

    def act(i: int):
        if i == 0:
            return db.orders.update_many({"status": "placed"}, {"$set": {"status": "cancelled"}}).modified_count
        taken = 0
        for order_id in range(i - 1, 200, 7):
            taken += db.orders.update_one(
                {"_id": order_id, "status": "placed"}, {"$set": {"status": "taken"}}
            ).modified_count
        return taken

    results = _race(8, act)

    assert sum(results) == 200
    assert db.orders.count_documents({"status": "placed"}) == 0


def test_a_long_write_to_one_collection_holds_no_write_to_another_back(db):
    """Atomicity is per document: a write to another collection does not wait for a long bulk write
    to end. On the local server one lock for every collection held every service's writes behind the
    couriers' positions written in bulk (issue #40: the operators' assign, p95 over a second)."""
    n = 3000
    db.positions.insert_many([{"_id": i, "at": 0} for i in range(n)])
    db.decisions.insert_one({"_id": "existing"})  # both collections exist: no write below creates one
    ended: list[float] = []

    def bulk() -> None:
        db.positions.bulk_write([UpdateOne({"_id": i}, {"$set": {"at": 1}}) for i in range(n)], ordered=False)
        ended.append(time.monotonic())

    writer = threading.Thread(target=bulk)
    writer.start()
    while writer.is_alive() and db.positions.count_documents({"at": 1}, limit=1) == 0:
        time.sleep(0.002)  # until the bulk write is under way (reads are not held back)
    started = time.monotonic()
    db.decisions.insert_one({"_id": "during"})
    waited = time.monotonic() - started
    writer.join()

    still_running = ended[0] - started  # how long the bulk write went on after the insert was sent
    # A fast server (MongoDB) may end the bulk write first: only a bulk write that went on for a
    # while after the insert was sent can show the insert waiting for it.
    assert still_running < 0.2 or waited < still_running / 2, f"waited {waited:.3f} s of {still_running:.3f} s"


def test_a_unique_index_admits_one_of_racing_inserts(db):
    db.orders.create_index([("customer_id", 1), ("idempotency_key", 1)], unique=True)

    def insert(i: int) -> bool:
        try:
            db.orders.insert_one({"customer_id": "c1", "idempotency_key": "k1", "attempt": i})
        except DuplicateKeyError:
            return False
        return True

    results = _race(RACERS, insert)

    assert results.count(True) == 1
    assert db.orders.count_documents({"customer_id": "c1"}) == 1


def test_a_push_with_a_condition_appends_once(db):
    """The order history idiom: `$push` in the same conditional update as the status change."""
    db.orders.insert_one({"_id": "o1", "status": "placed", "history": []})

    def accept(i: int):
        return db.orders.update_one(
            {"_id": "o1", "status": "placed"}, {"$set": {"status": "accepted"}, "$push": {"history": i}}
        ).modified_count

    results = _race(RACERS, accept)

    assert sum(results) == 1
    assert len(db.orders.find_one({"_id": "o1"})["history"]) == 1


def test_an_indexed_equality_matches_as_on_mongodb(db):
    """Equality on an indexed field matches the value itself and arrays that contain it, nothing
    else (the local server answers these from the index: tools/ferretdb/indexed-equality.patch)."""
    db.things.create_index("tag")
    db.things.insert_many(
        [
            {"_id": 1, "tag": "a"},
            {"_id": 2, "tag": ["b", "a"]},
            {"_id": 3, "tag": ["b"]},
            {"_id": 4, "tag": []},
            {"_id": 5, "tag": {"x": "a"}},
            {"_id": 6, "tag": True},
            {"_id": 7, "tag": "ab"},
            {"_id": 8},
        ]
    )

    assert sorted(d["_id"] for d in db.things.find({"tag": "a"})) == [1, 2]
    assert sorted(d["_id"] for d in db.things.find({"tag": {"$eq": "b"}})) == [2, 3]
    assert db.things.count_documents({"tag": "a", "_id": 2}) == 1
    assert db.things.find_one({"_id": 7})["tag"] == "ab"


def test_an_indexed_in_matches_as_on_mongodb(db):
    """`$in` matches any of the values, and arrays containing one of them, nothing else, whatever
    the values' types (tools/ferretdb/indexed-in.patch answers string, ObjectId and date lists
    from the index and leaves the others to the handler)."""
    from datetime import UTC, datetime

    from bson import ObjectId

    oid, when = ObjectId(), datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    db.things.create_index("tag")
    db.things.insert_many(
        [
            {"_id": 1, "tag": "a"},
            {"_id": 2, "tag": ["z", "b"]},
            {"_id": 3, "tag": "c"},
            {"_id": 4, "tag": oid},
            {"_id": 5, "tag": when},
            {"_id": 6, "tag": {"x": "a"}},
            {"_id": 7, "tag": 1},
            {"_id": 8},
        ]
    )

    def ids(values: list) -> list:
        return sorted(d["_id"] for d in db.things.find({"tag": {"$in": values}}))

    assert ids(["a", "b"]) == [1, 2]
    assert ids([oid, when, "nothing"]) == [4, 5]
    assert ids(["a", 1]) == [1, 7]  # mixed types: not pushed down, still exact
    assert ids([]) == []
    assert sorted(d["_id"] for d in db.things.find({"_id": {"$in": [3, 5, 99]}})) == [3, 5]
