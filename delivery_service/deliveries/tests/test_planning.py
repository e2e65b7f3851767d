"""The dispatch plan as a pure function (deliveries/planning.py): the problem built for VROOM (windows,
capacities, fixed stops of couriers on deliveries, operators' pins and exclusions), the plan read
back (timed dispatch), and a courier's route. No I/O: a snapshot in, a plan out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from deliveries import planning
from deliveries.planning import CourierToPlan, Leg, OrderToPlan, Snapshot

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
KITCHEN = (52.5200, 13.4050)
NEIGHBOURHOOD = [(52.5290 + 0.0008 * n, 13.4150 + 0.0005 * n) for n in range(4)]


def _order(n: int, *, ready_in_min: float = 0, **kwargs) -> OrderToPlan:
    return OrderToPlan(
        order_id=f"o{n}",
        pickup=KITCHEN,
        dropoff=NEIGHBOURHOOD[n % 4],
        ready_at=NOW + timedelta(minutes=ready_in_min),
        promise_at=NOW + timedelta(minutes=45),
        **kwargs,
    )


def _couriers(*names: str) -> list[CourierToPlan]:
    return [CourierToPlan(name, (KITCHEN[0] + 0.002 * (n + 1), KITCHEN[1]), 15.0) for n, name in enumerate(names)]


def _snapshot(orders, couriers, **kwargs) -> Snapshot:
    return Snapshot(now=NOW, orders=orders, couriers=couriers, **kwargs)


def _shipment(problem, order_id):
    return next(s for s in problem.shipments if s["order_id"] == order_id)


def test_pickup_waits_for_the_food_and_drop_off_is_due_by_the_promise():
    problem = planning.build_problem(_snapshot([_order(0, ready_in_min=10)], _couriers("a")))

    shipment = _shipment(problem, "o0")
    assert shipment["pickup"]["window"][0] == 600
    assert shipment["dropoff"]["window"] == (0, 45 * 60)


def test_a_promise_that_cannot_be_kept_still_lets_the_order_be_planned():
    late = OrderToPlan("late", KITCHEN, NEIGHBOURHOOD[0], ready_at=NOW + timedelta(minutes=30), promise_at=NOW)

    shipment = _shipment(planning.build_problem(_snapshot([late], _couriers("a"))), "late")

    _start, end = shipment["dropoff"]["window"]
    assert end > shipment["pickup"]["window"][0]  # after the food, with an allowance


@pytest.mark.parametrize("capacity", [1, 2, 3])
def test_every_courier_carries_at_most_the_capacity(capacity):
    problem = planning.build_problem(_snapshot([_order(0)], _couriers("a", "b"), capacity=capacity))

    assert {v["capacity"] for v in problem.vehicles} == {capacity}


def test_orders_on_deliveries_stay_with_their_courier():
    on_board = _order(0, courier_id="b", picked_up=True)
    committed = _order(1, courier_id="b")
    problem = planning.build_problem(_snapshot([on_board, committed, _order(2)], _couriers("a", "b")))
    skills = {v["courier_id"]: v["skills"] for v in problem.vehicles}

    [job] = problem.jobs  # on board: only the drop-off is left
    assert job["order_id"] == "o0"
    assert job["skills"] <= skills["b"]
    assert not job["skills"] <= skills["a"]
    assert _shipment(problem, "o1")["skills"] <= skills["b"]
    assert not _shipment(problem, "o1")["skills"] <= skills["a"]
    assert _shipment(problem, "o2")["skills"] <= skills["a"]
    assert _shipment(problem, "o2")["skills"] <= skills["b"]


def test_operators_pins_and_exclusions_limit_who_may_take_an_order():
    pinned = _order(0, allowed=frozenset({"b"}))
    excluded = _order(1, allowed=frozenset({"a", "c"}))
    problem = planning.build_problem(_snapshot([pinned, excluded], _couriers("a", "b", "c")))
    skills = {v["courier_id"]: v["skills"] for v in problem.vehicles}

    def who(order_id):
        return {c for c, s in skills.items() if _shipment(problem, order_id)["skills"] <= s}

    assert who("o0") == {"b"}
    assert who("o1") == {"a", "c"}


def test_couriers_off_duty_take_no_new_order_but_finish_theirs():
    off = CourierToPlan("off", KITCHEN, 15.0, on_duty=False)
    plan = planning.solve(_snapshot([_order(0), _order(1, courier_id="off")], [off]), timeout_ms=500)

    assert plan.unplanned == ["o0"]
    assert plan.commit == []  # their own order stays theirs: their route (deliveries/routes.py) has it


def test_four_orders_from_one_kitchen_go_as_two_routes_of_two_pickups_first():
    plan = planning.solve(_snapshot([_order(n) for n in range(4)], _couriers("a", "b")), timeout_ms=1000)

    assert sorted(c for _, c in plan.commit) == ["a", "a", "b", "b"]
    for stops in plan.routes.values():
        assert [s.stop for s in stops] == ["pickup", "pickup", "dropoff", "dropoff"]
        assert stops[2].eta < stops[3].eta  # the second door is reached later


def test_timed_dispatch_commits_nothing_while_the_kitchen_needs_long():
    plan = planning.solve(_snapshot([_order(n, ready_in_min=15) for n in range(2)], _couriers("a")), timeout_ms=500)

    assert plan.commit == []
    assert sorted(plan.later) == ["o0", "o1"]


def test_timed_dispatch_commits_when_the_courier_must_set_off():
    # The courier is ~1.5 minutes from the kitchen; the food is ready in one minute.
    plan = planning.solve(_snapshot([_order(0, ready_in_min=1)], _couriers("a")), timeout_ms=500)

    assert plan.commit == [("o0", "a")]


def test_without_couriers_nothing_is_planned():
    plan = planning.solve(_snapshot([_order(0)], []), timeout_ms=500)

    assert plan.unplanned == ["o0"]
    assert plan.commit == []


def test_travel_times_grow_with_distance_and_the_detour_factor():
    points = planning.np.array([KITCHEN, NEIGHBOURHOOD[0], NEIGHBOURHOOD[3]])

    straight = planning.durations_s(points, detour=1.0, speed_kmh=15)
    detoured = planning.durations_s(points, detour=1.3, speed_kmh=15)

    assert straight[0, 0] == 0
    assert straight[0, 1] < straight[0, 2]
    assert detoured[0, 2] == pytest.approx(straight[0, 2] * 1.3, rel=0.01)


def test_a_route_picks_up_before_dropping_off_and_waits_for_the_food():
    legs = [
        Leg("o1", "dropoff", NEIGHBOURHOOD[1]),
        Leg("o0", "pickup", KITCHEN, NOW + timedelta(minutes=5)),
        Leg("o1", "pickup", KITCHEN, NOW + timedelta(minutes=5)),
        Leg("o0", "dropoff", NEIGHBOURHOOD[0]),
    ]

    route = planning.sequence(start=KITCHEN, legs=legs, now=NOW, speed_kmh=15, detour=1.3)

    assert [leg.stop for leg, _ in route] == ["pickup", "pickup", "dropoff", "dropoff"]
    assert route[0][1] == NOW + timedelta(minutes=5)
    assert route[2][1] < route[3][1]


def test_a_picked_up_order_needs_only_its_drop_off():
    route = planning.sequence(
        start=None, legs=[Leg("o0", "dropoff", NEIGHBOURHOOD[0])], now=NOW, speed_kmh=15, detour=1.3
    )

    assert [(leg.order_id, leg.stop) for leg, _ in route] == [("o0", "dropoff")]


def test_a_courier_with_orders_but_no_known_position_starts_at_their_next_stop():
    lost = CourierToPlan("lost", None, 15.0)
    plan = planning.solve(_snapshot([_order(0, courier_id="lost"), _order(1)], [lost]), timeout_ms=500)

    stops = plan.routes["lost"]
    assert "o0" in {s.order_id for s in stops}
    assert (stops[0].stop, (stops[0].lat, stops[0].lng)) == ("pickup", KITCHEN)


def test_an_order_nobody_in_the_plan_may_take_is_left_to_the_nearest_rule():
    plan = planning.solve(_snapshot([_order(0, allowed=frozenset())], _couriers("a")), timeout_ms=500)

    assert plan.unplanned == ["o0"]


def _far(name: str, km: float) -> CourierToPlan:
    return CourierToPlan(name, (KITCHEN[0] + km / 111.2, KITCHEN[1]), 15.0)


def test_only_the_couriers_in_reach_of_a_new_order_are_planned():
    couriers = [_far(f"near{n}", 0.2 + 0.1 * n) for n in range(3)] + [_far(f"far{n}", 5 + n) for n in range(3)]
    problem = planning.build_problem(_snapshot([_order(0)], couriers, reach=3))

    assert {v["courier_id"] for v in problem.vehicles} == {"near0", "near1", "near2"}


def test_a_full_courier_finishing_next_to_the_kitchen_stays_in_reach():
    # "busy" carries two orders to doors next to the kitchen; "free" waits 3 km away.
    busy = CourierToPlan("busy", (KITCHEN[0] + 0.05, KITCHEN[1]), 15.0)
    door = (KITCHEN[0] + 0.0005, KITCHEN[1])
    carried = [
        OrderToPlan(f"c{n}", (KITCHEN[0] + 0.05, KITCHEN[1]), door, NOW, courier_id="busy", picked_up=True)
        for n in range(2)
    ]
    problem = planning.build_problem(_snapshot([*carried, _order(0)], [busy, _far("free", 3)], reach=1))

    assert {v["courier_id"] for v in problem.vehicles} == {"busy"}


def test_an_operators_pin_reaches_its_courier_however_far():
    couriers = [_far(f"near{n}", 0.2 + 0.1 * n) for n in range(3)] + [_far("pinned", 6)]
    problem = planning.build_problem(_snapshot([_order(0, allowed=frozenset({"pinned"}))], couriers, reach=1))

    assert {v["courier_id"] for v in problem.vehicles} == {"pinned"}


def test_the_search_effort_falls_as_the_problem_grows():
    levels = [planning.exploration_for(tasks) for tasks in (4, 40, 41, 80, 120, 121, 1000)]

    assert levels == sorted(levels, reverse=True)
    assert levels[0] == 5
    assert levels[-1] == planning.EXPLORATION_BIG


def test_a_courier_is_told_to_set_off_so_as_to_be_at_the_counter_as_the_food_is_ready():
    legs = [Leg("o0", "pickup", KITCHEN, NOW + timedelta(minutes=15)), Leg("o0", "dropoff", NEIGHBOURHOOD[0])]
    start = (KITCHEN[0] + 0.01, KITCHEN[1])  # ~1.1 km: about 6 minutes away
    route = planning.sequence(start=start, legs=legs, now=NOW, speed_kmh=15, detour=1.3)

    leaving, retimed = planning.set_off(route, start=start, now=NOW, speed_kmh=15, detour=1.3)

    ride = timedelta(seconds=planning.travel_s(start, KITCHEN, detour=1.3, speed_kmh=15))
    assert leaving == NOW + timedelta(minutes=15) - ride
    assert abs((retimed[0][1] - route[0][1]).total_seconds()) < 1  # at the counter as the food is ready
    assert retimed[1][1] == route[1][1]  # the door's time is kept


def test_with_the_food_ready_the_courier_goes_at_once():
    legs = [Leg("o0", "pickup", KITCHEN, NOW), Leg("o0", "dropoff", NEIGHBOURHOOD[0])]
    route = planning.sequence(start=KITCHEN, legs=legs, now=NOW, speed_kmh=15, detour=1.3)

    assert planning.set_off(route, start=KITCHEN, now=NOW, speed_kmh=15, detour=1.3) == (None, route)
