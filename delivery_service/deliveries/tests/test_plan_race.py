"""Planners racing (ARCHITECTURE 4.7): several replicas plan the same city at once, against the real
servers. What they commit goes through the one assignment function (a slot of the courier, then the
projection), so however the plans differ: one courier per order, at most
DISPATCH_MAX_ORDERS_PER_COURIER deliveries per courier, and the order service agrees on every pair.

Seen failing with the slots taken away (`repository.slot_id` answering a fresh id per claim: the
courier's capacity no longer bounded): one courier ended with six deliveries, another run with three."""

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from common.testing.live import ADDRESS
from deliveries import planner, repository


@pytest.fixture(autouse=True)
def _routes(settings):
    settings.DISPATCH_POLICY = "routes"
    settings.DISPATCH_MAX_ORDERS_PER_COURIER = 2
    settings.DISPATCH_COMMIT_AHEAD_S = 3600  # everything planned is due: the race is the subject


def _located_couriers(mongo_db, count):
    now = datetime.now(UTC)
    for n in range(count):
        repository.courier_insert(
            mongo_db,
            document={
                "_id": f"courier-{n:02d}",
                "name": f"C{n}",
                "vehicle": "bicycle",
                "available": True,
                "available_since": now - timedelta(minutes=n),
                "location": {"lat": ADDRESS["lat"] + 0.002 * (n + 1), "lng": ADDRESS["lng"], "at": now},
                "created_at": now,
                "updated_at": now,
            },
        )


@pytest.mark.parametrize(("orders", "couriers", "planners"), [(6, 2, 4), (3, 3, 3)])
def test_planners_racing_never_double_assign_nor_overfill_a_courier(
    mongo_db, place_order, actors, kitchen, orders, couriers, planners
):
    placed = [place_order() for _ in range(orders)]
    _located_couriers(mongo_db, couriers)

    with ThreadPoolExecutor(max_workers=planners) as pool:
        list(pool.map(lambda _: planner.plan_pass(), range(planners)))

    deliveries = list(mongo_db["deliveries"].find({"status": "assigned"}))
    per_order = Counter(d["order_id"] for d in deliveries)
    per_courier = Counter(d["courier_id"] for d in deliveries)
    assert all(n == 1 for n in per_order.values()), per_order
    assert all(n <= 2 for n in per_courier.values()), per_courier
    assert mongo_db["active_assignments"].count_documents({}) == len(deliveries)
    assert deliveries  # the plan committed (what it leaves for a later trip keeps waiting)
    assert set(per_order) <= {o["id"] for o in placed}
    for delivery in deliveries:  # the order service agrees on every pair
        order = actors.ok("GET", f"/orders/{delivery['order_id']}", headers=kitchen["customer_headers"])
        assert order["courier_id"] == delivery["courier_id"]
