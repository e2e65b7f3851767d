"""Attention (pure logic): each rule just before and at its threshold, from the order's own times."""

from datetime import UTC, datetime, timedelta

import pytest

from orders import attention
from orders import lifecycle as lc

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
LIMITS = attention.Thresholds(
    accept=timedelta(seconds=300),
    waiting=timedelta(seconds=300),
    pickup=timedelta(seconds=600),
    silent=timedelta(seconds=120),
    late=timedelta(seconds=600),
)
S = timedelta(seconds=1)


def order(status=lc.PLACED, *, courier=False, ready_at=None, promised=T0 + timedelta(hours=2), estimate=None):
    """An order placed at T0 that goes well unless told otherwise (its promise two hours away)."""
    history = [{"status": lc.PLACED, "at": T0}]
    if ready_at is not None:
        history.append({"status": lc.READY, "at": ready_at})
    return {
        "status": status,
        "created_at": T0,
        "history": history,
        "courier_id": "k" * 24 if courier else None,
        "assigned_at": T0 if courier else None,
        "promised_delivery_at": promised,
        "estimated_delivery_at": estimate or promised,
    }


def codes(o, at, seen=None):
    return attention.reasons(o, now=at, courier_seen_at=seen, limits=LIMITS)


# (case, order, now, courier last seen, the code expected or not)
CASES = [
    ("kitchen_slow, just before", order(), T0 + 300 * S - S, None, None),
    ("kitchen_slow, at", order(), T0 + 300 * S, None, attention.KITCHEN_SLOW),
    ("kitchen_slow, accepted", order(lc.ACCEPTED, courier=True), T0 + 3000 * S, T0 + 2999 * S, None),
    ("waiting_for_courier, just before", order(lc.ACCEPTED), T0 + 300 * S - S, None, None),
    ("waiting_for_courier, at", order(lc.ACCEPTED), T0 + 300 * S, None, attention.WAITING_FOR_COURIER),
    ("waiting_for_courier, with one", order(lc.PREPARING, courier=True), T0 + 900 * S, T0 + 899 * S, None),
    ("not_picked_up, just before", order(lc.READY, courier=True, ready_at=T0), T0 + 599 * S, T0 + 599 * S, None),
    (
        "not_picked_up, at",
        order(lc.READY, courier=True, ready_at=T0),
        T0 + 600 * S,
        T0 + 600 * S,
        attention.NOT_PICKED_UP,
    ),
    ("not_picked_up, picked up", order(lc.PICKED_UP, courier=True, ready_at=T0), T0 + 900 * S, T0 + 900 * S, None),
    ("courier_silent, just before", order(lc.ACCEPTED, courier=True), T0 + 200 * S, T0 + 81 * S, None),
    ("courier_silent, at", order(lc.ACCEPTED, courier=True), T0 + 200 * S, T0 + 80 * S, attention.COURIER_SILENT),
    ("courier_silent, never heard of", order(lc.ACCEPTED, courier=True), T0 + 120 * S, None, attention.COURIER_SILENT),
    (
        "courier_silent, on the way",
        order(lc.PICKED_UP, courier=True),
        T0 + 1000 * S,
        T0 + 880 * S,
        attention.COURIER_SILENT,
    ),
    ("late, just under", order(estimate=T0 + 2 * timedelta(hours=1) + 599 * S), T0 + 10 * S, None, None),
    ("late, by the limit", order(estimate=T0 + 2 * timedelta(hours=1) + 600 * S), T0 + 10 * S, None, attention.LATE),
    (
        "late, the promise is now",
        order(lc.PICKED_UP, courier=True),
        T0 + 2 * timedelta(hours=1),
        T0 + 2 * timedelta(hours=1),
        None,
    ),
    (
        "late, the promise has passed",
        order(lc.PICKED_UP, courier=True),
        T0 + 2 * timedelta(hours=1) + S,
        T0 + 2 * timedelta(hours=1),
        attention.LATE,
    ),
    ("late, no promise kept", order(promised=None, estimate=T0 + timedelta(hours=9)), T0 + 10 * S, None, None),
]


@pytest.mark.parametrize(("case", "o", "at", "seen", "expected"), CASES, ids=[c[0] for c in CASES])
def test_each_rule_at_its_threshold(case, o, at, seen, expected):
    rule = case.split(",")[0]
    found = codes(o, at, seen)

    if expected is None:
        assert rule not in found
    else:
        assert expected in found


@pytest.mark.parametrize("status", sorted(lc.FINAL_STATES))
def test_a_finished_order_needs_no_attention(status):
    stale = order(status, courier=True, promised=T0)

    assert codes(stale, T0 + timedelta(days=1)) == []


def test_an_order_that_goes_well_needs_none():
    assert codes(order(lc.ACCEPTED, courier=True), T0 + 60 * S, T0 + 59 * S) == []


def test_codes_come_with_time_alone_in_their_listed_order():
    waiting = order()

    assert codes(waiting, T0 + 10 * S) == []
    assert codes(waiting, T0 + 2 * timedelta(hours=1) + S) == [
        attention.KITCHEN_SLOW,
        attention.WAITING_FOR_COURIER,
        attention.LATE,
    ]


def test_thresholds_come_from_settings(settings):
    settings.ATTENTION_ACCEPT_S = 10

    assert attention.reasons(order(), now=T0 + 10 * S) == [attention.KITCHEN_SLOW]
