"""Planners racing (ARCHITECTURE 4.7): several replicas plan the same city at once, against the real
servers. What they commit goes through the one assignment function (a slot of the courier, then the
projection), so however the plans differ: one courier per order, at most
DISPATCH_MAX_ORDERS_PER_COURIER deliveries per courier, and the order service agrees on every pair.

Seen failing with the slots taken away (`repository.slot_id` answering a fresh id per claim: the
courier's capacity no longer bounded): one courier ended with six deliveries, another run with three."""

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from bson import ObjectId

from common import faults
from common.testing.live import ADDRESS
from deliveries import planner, repository
from deliveries.tests.helpers import assert_the_order_service_agrees, assigned_deliveries, couriers_on_duty


@pytest.fixture(autouse=True)
def _routes(settings):
    settings.DISPATCH_POLICY = "routes"
    settings.DISPATCH_MAX_ORDERS_PER_COURIER = 2
    settings.DISPATCH_COMMIT_AHEAD_S = 3600  # everything planned is due: the race is the subject


@pytest.fixture
def _loops_running():
    """No background loop here: the passes run in the test, where a frozen one is seen."""


@pytest.mark.parametrize(("orders", "couriers", "planners"), [(6, 2, 4), (3, 3, 3)])
def test_planners_racing_never_double_assign_nor_overfill_a_courier(
    mongo_db, place_order, actors, kitchen, orders, couriers, planners
):
    placed = [place_order() for _ in range(orders)]
    couriers_on_duty(mongo_db, couriers, near=ADDRESS)

    with ThreadPoolExecutor(max_workers=planners) as pool:
        list(pool.map(lambda _: planner.plan_pass(), range(planners)))

    _assert_invariants(mongo_db, actors, kitchen, placed)


def _assert_invariants(mongo_db, actors, kitchen, placed):
    deliveries = assigned_deliveries(mongo_db, most_per_courier=2)
    assert deliveries  # the plan committed (what it leaves for a later trip keeps waiting)
    assert {d["order_id"] for d in deliveries} <= {o["id"] for o in placed}
    assert_the_order_service_agrees(actors, kitchen, deliveries)


def test_a_planner_frozen_mid_commit_while_another_plans_converges(mongo_db, place_order, actors, kitchen):
    """One planner stops right before it tells the order service (its projection call held, as a
    paused order service or a lost reply would hold it) while a second planner plans the same city;
    then the first goes on, and the reconciler passes. One courier per order, two at most per courier."""
    placed = [place_order() for _ in range(4)]
    couriers_on_duty(mongo_db, 2, near=ADDRESS)

    with ThreadPoolExecutor(max_workers=1) as pool, faults.paused("dispatch.project") as pause:
        frozen = pool.submit(planner.plan_pass)
        assert pause.reached.wait(30)  # the fault fired: a commit is held mid-way
        planner.plan_pass()  # the other replica meanwhile
    frozen.result(timeout=60)  # leaving the block resumed it
    planner.reconcile()

    _assert_invariants(mongo_db, actors, kitchen, placed)
    assert mongo_db["deliveries"].count_documents({"status": "assigned"}) >= 2


def test_a_plan_never_claims_a_courier_whose_slots_are_taken(mongo_db, place_order, actors, kitchen, monkeypatch):
    """The solver's capacity is what a courier carries at once, so it plans a third order after two
    drop-offs: that order waits, and no claim is tried for it (each was an insert refused per slot and
    a read, on every pass for as long as it waited: 29 refused inserts per placement in
    bench/store_cost.py). Seen failing without the check: four claims in two passes."""
    placed = [place_order() for _ in range(3)]
    couriers_on_duty(mongo_db, 1, near=ADDRESS)
    claims = []
    claim = repository.assignment_claim
    monkeypatch.setattr(repository, "assignment_claim", lambda db, **kw: claims.append(kw) or claim(db, **kw))

    planner.plan_pass()
    planner.plan_pass()

    _assert_invariants(mongo_db, actors, kitchen, placed)
    assert mongo_db["deliveries"].count_documents({"status": "assigned"}) == 2
    assert len(claims) == 2


def test_the_nearest_rule_passes_over_couriers_near_whose_slot_is_taken(mongo_db, place_order, monkeypatch):
    """Candidates near a pickup are checked for room in one read, not by a refused claim each."""
    from deliveries import dispatch, nearby

    order = place_order()
    couriers_on_duty(mongo_db, 3, near=ADDRESS)
    repository.assignment_claim(
        mongo_db, courier_id="courier-00", order_id="f" * 24, delivery_id=ObjectId(), now=datetime.now(UTC)
    )
    near = [("courier-00", 0.2), ("courier-01", 0.4), ("courier-02", 0.6)]
    monkeypatch.setattr(nearby, "couriers_near", lambda **kw: near)

    assert list(dispatch.candidates(mongo_db, order))[:2] == ["courier-01", "courier-02"]
