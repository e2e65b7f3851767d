"""Nearest-courier dispatch with 10,000 located couriers online: how long choosing and claiming the
nearest free courier takes for an order (Redis GEO search, freshness, availability, the claim).

    MONGO_URL=... REDIS_URL=... .venv/bin/python bench/dispatch.py [--couriers 10000] [--orders 300]

The projection onto the order (one idempotent call to the order service) is not part of it: it is
the same call with or without positions, and the placement benchmark covers service calls. Prints
one JSON line. `make bench` runs it against the servers it starts.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
import uuid
from datetime import UTC, datetime

import django


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--couriers", type=int, default=10_000)
    parser.add_argument("--orders", type=int, default=300)
    args = parser.parse_args()
    # Runs as the delivery service's own code, with its settings.
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "delivery_service"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "delivery_service.settings")
    django.setup()
    from bson import ObjectId
    from django.conf import settings

    from common.mongo import ensure_indexes, get_client, get_database
    from common.redis_client import get_redis
    from deliveries import dispatch, repository, tracking

    settings.MONGO_DB_PREFIX = f"bench_dispatch_{uuid.uuid4().hex[:6]}_"
    settings.REDIS_KEY_PREFIX = f"bench-dispatch-{uuid.uuid4().hex[:6]}:"
    db = get_database()
    ensure_indexes(db)
    rng = random.Random(7)  # noqa: S311 - a repeatable layout, not a secret
    now = datetime.now(UTC)
    centre = (52.37, 4.89)  # couriers spread over a 40 x 40 km city
    couriers = []
    for n in range(args.couriers):
        lat, lng = centre[0] + rng.uniform(-0.18, 0.18), centre[1] + rng.uniform(-0.3, 0.3)
        couriers.append(
            {
                "_id": f"courier-{n:05d}",
                "name": "B",
                "vehicle": "bicycle",
                "available": True,
                "duty": repository.ON_DUTY,  # written with `available` (deliveries/repository.py)
                "available_since": now,
                "location": {"lat": lat, "lng": lng, "at": now},
                "created_at": now,
                "updated_at": now,
            }
        )
    try:
        for start in range(0, len(couriers), 1000):
            db[repository.COURIERS].insert_many(couriers[start : start + 1000])
        pipe = get_redis().pipeline()
        for courier in couriers:
            location = courier["location"]
            pipe.geoadd(tracking.geo_key(), (location["lng"], location["lat"], courier["_id"]))
            pipe.zadd(tracking.seen_key(), {courier["_id"]: time.time()})
        pipe.execute()

        samples = []
        for _ in range(args.orders):
            pickup = {"lat": centre[0] + rng.uniform(-0.15, 0.15), "lng": centre[1] + rng.uniform(-0.25, 0.25)}
            order = {"id": str(ObjectId()), "pickup_address": pickup, "created_at": now.isoformat()}
            started = time.perf_counter()
            for courier_id in dispatch.candidates(db, order):
                claim = repository.assignment_claim(
                    db, courier_id=courier_id, order_id=order["id"], delivery_id=ObjectId(), now=now
                )
                if claim is repository.Claim.CLAIMED:
                    break
            samples.append((time.perf_counter() - started) * 1000)
        samples.sort()

        def at(p: float) -> float:
            return round(samples[min(len(samples) - 1, int(p / 100 * len(samples)))], 2)

        print(
            json.dumps(
                {
                    "couriers": args.couriers,
                    "orders": args.orders,
                    "p50_ms": at(50),
                    "p95_ms": at(95),
                    "p99_ms": at(99),
                    "busy_after": db[repository.ASSIGNMENTS].count_documents({}),
                }
            )
        )
    finally:
        get_client().drop_database(db.name)
        keys = list(get_redis().scan_iter(match=settings.REDIS_KEY_PREFIX + "*", count=1000))
        if keys:
            get_redis().delete(*keys)


if __name__ == "__main__":
    main()
