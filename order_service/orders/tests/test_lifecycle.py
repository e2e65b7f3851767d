"""The state machine table (pure logic)."""

import pytest

from orders import lifecycle as lc

ALLOWED = [
    (lc.PLACED, lc.ACCEPTED, lc.RESTAURANT),
    (lc.PLACED, lc.REJECTED, lc.RESTAURANT),
    (lc.PLACED, lc.CANCELLED, lc.CUSTOMER),
    (lc.ACCEPTED, lc.PREPARING, lc.RESTAURANT),
    (lc.PREPARING, lc.READY, lc.RESTAURANT),
    (lc.READY, lc.PICKED_UP, lc.COURIER),
    (lc.PICKED_UP, lc.DELIVERED, lc.COURIER),
    # an operator cancels any order not yet picked up, with a reason
    (lc.PLACED, lc.CANCELLED, lc.OPERATOR),
    (lc.ACCEPTED, lc.CANCELLED, lc.OPERATOR),
    (lc.PREPARING, lc.CANCELLED, lc.OPERATOR),
    (lc.READY, lc.CANCELLED, lc.OPERATOR),
]
ACTORS = (lc.RESTAURANT, lc.CUSTOMER, lc.COURIER, lc.OPERATOR)


@pytest.mark.parametrize(("current", "target", "actor"), ALLOWED)
def test_allowed_moves(current, target, actor):
    assert lc.allowed(current=current, target=target, actor_type=actor)


def _refused():
    for current in lc.STATES:
        for target in lc.STATES:
            for actor in ACTORS:
                if (current, target, actor) not in ALLOWED:
                    yield current, target, actor


@pytest.mark.parametrize(("current", "target", "actor"), list(_refused()))
def test_every_other_move_is_refused(current, target, actor):
    assert not lc.allowed(current=current, target=target, actor_type=actor)


def test_final_states_have_no_way_out():
    for state in lc.FINAL_STATES:
        for actor in ACTORS:
            assert lc.next_states(current=state, actor_type=actor) == []


def test_parties_are_recognised_by_their_own_field_only():
    order = {"customer_id": "c", "restaurant_owner_id": "r", "courier_id": None}

    assert lc.is_party(order, actor_type=lc.CUSTOMER, actor_id="c")
    assert lc.is_party(order, actor_type=lc.RESTAURANT, actor_id="r")
    assert not lc.is_party(order, actor_type=lc.RESTAURANT, actor_id="c")
    assert not lc.is_party(order, actor_type=lc.COURIER, actor_id=None)
    assert not lc.is_party(order, actor_type=lc.OPERATOR, actor_id="c")


def test_picked_up_orders_are_never_cancelled():
    assert lc.next_states(current=lc.PICKED_UP, actor_type=lc.OPERATOR) == []


@pytest.mark.parametrize(
    ("current", "expected"),
    [
        (lc.PLACED, {lc.CUSTOMER: [lc.CANCELLED], lc.RESTAURANT: [lc.ACCEPTED, lc.REJECTED], lc.COURIER: []}),
        (lc.ACCEPTED, {lc.CUSTOMER: [], lc.RESTAURANT: [lc.PREPARING, lc.DELAY], lc.COURIER: []}),
        (lc.PREPARING, {lc.CUSTOMER: [], lc.RESTAURANT: [lc.READY, lc.DELAY], lc.COURIER: []}),
        (lc.READY, {lc.CUSTOMER: [], lc.RESTAURANT: [], lc.COURIER: [lc.PICKED_UP]}),
        (lc.PICKED_UP, {lc.CUSTOMER: [], lc.RESTAURANT: [], lc.COURIER: [lc.DELIVERED]}),
        *((final, {lc.CUSTOMER: [], lc.RESTAURANT: [], lc.COURIER: []}) for final in sorted(lc.FINAL_STATES)),
    ],
)
def test_next_actions_are_the_table_s_moves_per_party_and_the_kitchen_s_delay(current, expected):
    assert lc.next_actions(current=current) == expected
