"""What the dispatch race tests share: a fleet of couriers on duty, and the assignment invariants
(ARCHITECTURE 4.3, 4.7) checked on what the races left behind."""

from collections import Counter
from datetime import UTC, datetime, timedelta

from deliveries import repository


def couriers_on_duty(mongo_db, count: int, *, near: dict | None = None) -> None:
    """`count` couriers on duty, `courier-00` the longest waiting; with `near` (an address), each
    with a position a little further north of it than the one before."""
    now = datetime.now(UTC)
    for n in range(count):
        document = {
            "_id": f"courier-{n:02d}",
            "name": f"C{n}",
            "vehicle": "bicycle",
            "available": True,
            "available_since": now - timedelta(minutes=count - n),
            "created_at": now,
            "updated_at": now,
        }
        if near is not None:
            document["location"] = {"lat": near["lat"] + 0.002 * (n + 1), "lng": near["lng"], "at": now}
        repository.courier_insert(mongo_db, document=document)


def assigned_deliveries(mongo_db, *, most_per_courier: int) -> list[dict]:
    """The assigned deliveries, after checking one courier per order, at most `most_per_courier`
    orders per courier, and one active assignment per delivery."""
    deliveries = list(mongo_db["deliveries"].find({"status": "assigned"}))
    per_order = Counter(d["order_id"] for d in deliveries)
    per_courier = Counter(d["courier_id"] for d in deliveries)
    assert all(n == 1 for n in per_order.values()), per_order
    assert all(n <= most_per_courier for n in per_courier.values()), per_courier
    assert mongo_db["active_assignments"].count_documents({}) == len(deliveries)
    return deliveries


def assert_the_order_service_agrees(actors, kitchen, deliveries) -> None:
    """Each order, read from the order service, names the courier its delivery has."""
    for delivery in deliveries:
        order = actors.ok("GET", f"/orders/{delivery['order_id']}", headers=kitchen["customer_headers"])
        assert order["courier_id"] == delivery["courier_id"]
