"""The estimates of the delivery promise (orders/estimates.py): pure functions of the order document."""

from datetime import UTC, datetime, timedelta

import pytest

from orders import estimates

T0 = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
# 3 km apart: 12 minutes at 15 km/h, 6 at 30 km/h.
RESTAURANT = {"line1": "x", "city": "y", "postcode": "z", "lat": 52.3700, "lng": 4.8900}
HOME = {"line1": "a", "city": "b", "postcode": "c", "lat": 52.3970, "lng": 4.8900}


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.COURIER_DEFAULT_SPEED_KMH = 15.0
    settings.ESTIMATE_MIN_AHEAD_S = 60.0
    settings.ESTIMATE_DEFAULT_RIDE_MIN = 20.0
    settings.DEFAULT_PREP_TIME_MIN = 15


def order(status="placed", **fields):
    history = [{"status": "placed", "at": T0}]
    for step, minute in (("accepted", 1), ("preparing", 2), ("ready", 14), ("picked_up", 16), ("delivered", 30)):
        if status in ("placed",) or [e["status"] for e in history][-1] == status:
            break
        history.append({"status": step, "at": T0 + timedelta(minutes=minute)})
    return {
        "status": status,
        "created_at": T0,
        "history": history,
        "prep_time_min": 10,
        "pickup_address": RESTAURANT,
        "delivery_address": HOME,
        "courier_id": None,
        **fields,
    }


def eta(leg, minute, courier_id):
    """A courier's arrival as the delivery service publishes it: `minute` minutes after placement."""
    return {"leg": leg, "at": T0 + timedelta(minutes=minute), "courier_id": courier_id}


def minutes(at):
    return round((at - T0).total_seconds() / 60, 1)


def test_the_ride_is_the_distance_at_the_default_speed_then_at_the_couriers():
    assert round(estimates.ride(order()).total_seconds() / 60, 1) == 12.0
    assert round(estimates.ride(order(courier_speed_kmh=30.0)).total_seconds() / 60, 1) == 6.0


def test_without_coordinates_the_ride_is_the_default():
    assert estimates.ride(order(delivery_address={**HOME, "lat": None, "lng": None})) == timedelta(minutes=20)


@pytest.mark.parametrize(
    ("status", "fields", "now_min", "ready_min", "delivery_min"),
    [
        # placed: placement + the restaurant's preparation time; delivery: + the ride
        ("placed", {}, 0, 10.0, 22.0),
        # accepted with the kitchen's own minutes (stored as kitchen_ready_at at acceptance)
        ("accepted", {"kitchen_ready_at": T0 + timedelta(minutes=26)}, 1, 26.0, 38.0),
        ("preparing", {"kitchen_ready_at": T0 + timedelta(minutes=26)}, 2, 26.0, 38.0),
        # the courier reaches the restaurant after the food is ready: delivery from their arrival
        ("preparing", {"courier_id": "k", "courier_eta": eta("pickup", 13, "k")}, 2, 10.0, 25.0),
        # another courier's arrival is not this order's
        ("preparing", {"courier_id": "k", "courier_eta": eta("pickup", 13, "j")}, 2, 10.0, 22.0),
        # a courier carrying two orders (ARCHITECTURE 4.7): their route reaches this door after the
        # stop before it, later than the direct ride would
        ("preparing", {"courier_id": "k", "route_eta": eta("route", 31, "k")}, 2, 10.0, 31.0),
        # another courier's route is not this order's
        ("preparing", {"courier_id": "k", "route_eta": eta("route", 31, "j")}, 2, 10.0, 22.0),
        ("picked_up", {"courier_id": "k", "route_eta": eta("route", 33, "k")}, 16, None, 33.0),
        # ready: the food waits for the courier; ready stays as it stood
        ("ready", {"estimated_ready_at": T0 + timedelta(minutes=10)}, 14, 10.0, 26.0),
        # picked up: pickup + the ride, or the courier's arrival at the door from their position
        ("picked_up", {"estimated_ready_at": T0 + timedelta(minutes=10)}, 16, 10.0, 28.0),
        ("picked_up", {"courier_id": "k", "courier_eta": eta("dropoff", 21, "k")}, 17, None, 21.0),
    ],
)
def test_each_stage_estimates_as_the_table_says(status, fields, now_min, ready_min, delivery_min):
    shown = estimates.estimate(order(status, **fields), T0 + timedelta(minutes=now_min))

    assert (minutes(shown["estimated_ready_at"]) if shown["estimated_ready_at"] else None) == ready_min
    assert minutes(shown["estimated_delivery_at"]) == delivery_min


@pytest.mark.parametrize("status", ["placed", "accepted", "preparing", "ready", "picked_up"])
def test_an_estimate_is_never_in_the_past_while_the_order_is_not_delivered(status):
    late = T0 + timedelta(hours=2)  # everything took far longer than anyone said
    shown = estimates.estimate(order(status, estimated_ready_at=T0 + timedelta(minutes=10)), late)

    assert shown["estimated_delivery_at"] >= late + timedelta(seconds=60)
    if status in ("placed", "accepted", "preparing"):
        assert shown["estimated_ready_at"] >= late + timedelta(seconds=60)


def test_a_delivered_order_keeps_what_it_had():
    delivered = order("delivered", estimated_ready_at=T0, estimated_delivery_at=T0 + timedelta(minutes=25))

    assert estimates.estimate(delivered, T0 + timedelta(hours=5)) == {
        "estimated_ready_at": T0,
        "estimated_delivery_at": T0 + timedelta(minutes=25),
    }


def test_only_moves_of_a_minute_or_more_are_stored():
    stored = {"estimated_ready_at": T0 + timedelta(minutes=10), "estimated_delivery_at": T0 + timedelta(minutes=22)}

    assert estimates.changes(order(**stored), T0 + timedelta(seconds=30)) == {}
    kitchen_slower = order("accepted", kitchen_ready_at=T0 + timedelta(minutes=10, seconds=50), **stored)
    assert estimates.changes(kitchen_slower, T0 + timedelta(minutes=1)) == {}
    kitchen_late = order("accepted", kitchen_ready_at=T0 + timedelta(minutes=15), **stored)
    assert {k: minutes(v) for k, v in estimates.changes(kitchen_late, T0 + timedelta(minutes=1)).items()} == {
        "estimated_ready_at": 15.0,
        "estimated_delivery_at": 27.0,
    }


def test_estimates_about_to_pass_are_due_for_the_refresher():
    stored = {"estimated_ready_at": T0 + timedelta(minutes=10), "estimated_delivery_at": T0 + timedelta(minutes=22)}

    assert not estimates.due(order("accepted", **stored), T0 + timedelta(minutes=5))
    assert estimates.due(order("accepted", **stored), T0 + timedelta(minutes=9, seconds=30))
    assert not estimates.due(order("ready", **stored), T0 + timedelta(minutes=12))  # ready is no longer estimated
    assert estimates.due(order("ready", **stored), T0 + timedelta(minutes=21, seconds=30))
    assert not estimates.due(order("delivered", **stored), T0 + timedelta(hours=1))


def test_the_stages_cover_every_state():
    from orders import lifecycle

    assert set(estimates.STAGES) == set(lifecycle.STATES)
