"""Many concurrent dispatch runs against the real servers: never two couriers for an order, never
two orders for a courier, and no idle courier while an order waits (ARCHITECTURE 4.3)."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from deliveries import dispatch
from deliveries.tests.helpers import assert_the_order_service_agrees, assigned_deliveries, couriers_on_duty


def _race(runs: int) -> None:
    with ThreadPoolExecutor(max_workers=runs) as pool:
        list(pool.map(lambda _: dispatch.dispatch(), range(runs)))


@pytest.mark.parametrize(("orders", "couriers"), [(8, 5), (3, 6)])
def test_concurrent_dispatch_never_double_assigns(mongo_db, place_order, orders, couriers, actors, kitchen):
    placed = [place_order() for _ in range(orders)]
    couriers_on_duty(mongo_db, couriers)

    _race(runs=8)

    deliveries = assigned_deliveries(mongo_db, most_per_courier=1)
    # No idle courier while an order waits: as many pairs as the smaller side allows.
    assert len(deliveries) == min(orders, couriers)
    assert_the_order_service_agrees(actors, kitchen, deliveries)
    # Oldest orders first.
    assert {d["order_id"] for d in deliveries} == {o["id"] for o in placed[: min(orders, couriers)]}


def test_concurrent_dispatch_is_correct_with_redis_down(mongo_db, place_order, redis_down):
    for _ in range(6):
        place_order()
    couriers_on_duty(mongo_db, 4)

    _race(runs=8)

    assert len(assigned_deliveries(mongo_db, most_per_courier=1)) == 4
