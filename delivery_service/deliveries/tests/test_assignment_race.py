"""Many concurrent dispatch runs against the real servers: never two couriers for an order, never
two orders for a courier, and no idle courier while an order waits (ARCHITECTURE 4.3)."""

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from deliveries import dispatch, repository


def _couriers(mongo_db, count):
    start = datetime.now(UTC) - timedelta(minutes=count)
    for n in range(count):
        repository.courier_insert(
            mongo_db,
            document={
                "_id": f"courier-{n:02d}",
                "name": f"C{n}",
                "vehicle": "bicycle",
                "available": True,
                "available_since": start + timedelta(minutes=n),
                "created_at": start,
                "updated_at": start,
            },
        )


def _race(runs: int) -> None:
    with ThreadPoolExecutor(max_workers=runs) as pool:
        list(pool.map(lambda _: dispatch.dispatch(), range(runs)))


def _assert_invariants(mongo_db, *, orders, couriers):
    deliveries = list(mongo_db["deliveries"].find({"status": "assigned"}))
    per_order = Counter(d["order_id"] for d in deliveries)
    per_courier = Counter(d["courier_id"] for d in deliveries)
    assert all(n == 1 for n in per_order.values()), per_order
    assert all(n == 1 for n in per_courier.values()), per_courier
    assert mongo_db["active_assignments"].count_documents({}) == len(deliveries)
    # No idle courier while an order waits: as many pairs as the smaller side allows.
    assert len(deliveries) == min(orders, couriers)
    return deliveries


@pytest.mark.parametrize(("orders", "couriers"), [(8, 5), (3, 6)])
def test_concurrent_dispatch_never_double_assigns(mongo_db, place_order, orders, couriers, actors, kitchen):
    placed = [place_order() for _ in range(orders)]
    _couriers(mongo_db, couriers)

    _race(runs=8)

    deliveries = _assert_invariants(mongo_db, orders=orders, couriers=couriers)
    for delivery in deliveries:  # the order service agrees on every pair
        order = actors.ok("GET", f"/orders/{delivery['order_id']}", headers=kitchen["customer_headers"])
        assert order["courier_id"] == delivery["courier_id"]
    # Oldest orders first.
    assert {d["order_id"] for d in deliveries} == {o["id"] for o in placed[: min(orders, couriers)]}


def test_concurrent_dispatch_is_correct_with_redis_down(mongo_db, place_order, redis_down):
    for _ in range(6):
        place_order()
    _couriers(mongo_db, 4)

    _race(runs=8)

    _assert_invariants(mongo_db, orders=6, couriers=4)
