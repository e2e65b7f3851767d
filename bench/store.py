"""The MongoDB-compatible server on its own: indexed equality finds among 10,000 documents, and
mixed single-document writes per second.

    python bench/store.py --mongo-url mongodb://127.0.0.1:27017/

Used by `make bench` against the server the tooling starts; runnable against any server.
"""

from __future__ import annotations

import argparse
import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from pymongo import MongoClient, ReturnDocument
from pymongo.errors import OperationFailure

DOCUMENTS = 10_000


def _percentiles(samples_ms: list[float]) -> dict:
    samples_ms.sort()

    def at(p: float) -> float:
        return round(samples_ms[min(len(samples_ms) - 1, int(p / 100 * len(samples_ms)))], 2)

    return {"p50_ms": at(50), "p95_ms": at(95), "p99_ms": at(99)}


def measure(mongo_url: str, *, documents: int = DOCUMENTS, finds: int = 500) -> dict:
    client = MongoClient(mongo_url, maxPoolSize=32)
    name = f"bench_store_{uuid.uuid4().hex[:8]}"
    db = client[name]
    try:
        db.orders.create_index([("customer_id", 1), ("idempotency_key", 1)], unique=True)
        for start in range(0, documents, 1000):
            db.orders.insert_many(
                [
                    {"customer_id": f"c{n}", "idempotency_key": f"k{n}", "status": "placed", "pad": "x" * 300}
                    for n in range(start, min(documents, start + 1000))
                ]
            )
        samples = []
        for n in range(finds):
            key = (n * 7919) % documents
            started = time.perf_counter()
            found = db.orders.find_one({"customer_id": f"c{key}", "idempotency_key": f"k{key}"})
            samples.append((time.perf_counter() - started) * 1000)
            assert found is not None
        find = _percentiles(samples)

        ids = [d["_id"] for d in db.orders.find({}, {"_id": 1}).limit(finds)]
        samples = []
        for oid in ids:
            started = time.perf_counter()
            db.orders.find_one({"_id": oid})
            samples.append((time.perf_counter() - started) * 1000)
        by_id = _percentiles(samples)

        samples = []  # the reconciler's lookup: 20 orders by id in one query
        for first in range(0, len(ids) - 20, 20):
            started = time.perf_counter()
            found = list(db.orders.find({"_id": {"$in": ids[first : first + 20]}}))
            samples.append((time.perf_counter() - started) * 1000)
            assert len(found) == 20
        in_20_ids = _percentiles(samples)

        def write(n: int) -> bool:
            oid = ids[n % len(ids)]
            try:
                if n % 2:
                    db.orders.update_one({"_id": oid}, {"$inc": {"n": 1}})
                else:
                    db.orders.find_one_and_update(
                        {"_id": oid}, {"$set": {"status": "accepted"}}, return_document=ReturnDocument.AFTER
                    )
            except OperationFailure:  # FerretDB on SQLite answers "database is locked" under load
                return False
            return True

        writes = 2000
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=16) as pool:
            failed = list(pool.map(write, range(writes))).count(False)
        writes_per_s = round((writes - failed) / (time.perf_counter() - started))
    finally:
        client.drop_database(name)
        client.close()
    return {
        "documents": documents,
        "indexed_find": find,
        "find_by_id": by_id,
        "find_20_ids_in": in_20_ids,
        "mixed_writes_per_s": writes_per_s,
        "failed_writes": failed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mongo-url", default="mongodb://127.0.0.1:27017/")
    args = parser.parse_args()
    result = measure(args.mongo_url)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
