"""The delivery state machine table: what it allows, and that it refuses everything else."""

import itertools

import pytest

from deliveries import lifecycle

ALLOWED = {
    ("assigned", "picked_up", "courier"),
    ("assigned", "picked_up", "system"),
    ("picked_up", "delivered", "courier"),
    ("picked_up", "delivered", "system"),
    ("assigned", "cancelled", "system"),
    ("assigned", "cancelled", "operator"),  # taken from this courier by hand, before pickup
}


@pytest.mark.parametrize(("current", "target", "actor"), sorted(ALLOWED))
def test_the_table_allows_its_moves(current, target, actor):
    assert lifecycle.allowed(current=current, target=target, actor_type=actor)


@pytest.mark.parametrize(
    ("current", "target", "actor"),
    [
        (c, t, a)
        for c, t, a in itertools.product(
            lifecycle.STATES, lifecycle.STATES, ("courier", "system", "operator", "customer")
        )
        if (c, t, a) not in ALLOWED
    ],
)
def test_every_other_move_is_refused(current, target, actor):
    assert not lifecycle.allowed(current=current, target=target, actor_type=actor)


def test_a_courier_cannot_cancel_and_nothing_leaves_a_final_state():
    assert lifecycle.next_state(current="assigned", actor_type="courier") == "picked_up"
    assert lifecycle.next_state(current="delivered", actor_type="system") is None
    assert lifecycle.next_state(current="cancelled", actor_type="courier") is None


@pytest.mark.parametrize(
    ("current", "target", "path"),
    [
        ("assigned", "delivered", ["picked_up", "delivered"]),
        ("assigned", "cancelled", ["cancelled"]),
        ("picked_up", "delivered", ["delivered"]),
        ("delivered", "delivered", []),
        ("picked_up", "cancelled", None),
        ("cancelled", "delivered", None),
    ],
)
def test_the_system_follows_the_order_along_allowed_moves_only(current, target, path):
    assert lifecycle.path_to(current=current, target=target) == path


@pytest.mark.parametrize(
    ("status", "order_courier_actions", "expected"),
    [
        ("assigned", [], []),  # the food is not ready: the order's table says no
        ("assigned", ["picked_up"], ["picked_up"]),
        ("picked_up", ["delivered"], ["delivered"]),
        ("assigned", None, ["picked_up"]),  # mirrored before the order said: this table's word alone
        ("delivered", ["delivered"], []),
        ("cancelled", ["picked_up"], []),
    ],
)
def test_the_courier_may_do_next_what_both_tables_allow(status, order_courier_actions, expected):
    delivery = {"status": status, "order_courier_actions": order_courier_actions}

    assert lifecycle.next_actions(delivery) == expected


def test_the_order_s_word_is_read_from_a_move_or_from_the_order_itself():
    assert lifecycle.order_courier_actions({"courier_actions": ["picked_up"]}) == ["picked_up"]
    assert lifecycle.order_courier_actions({"next_actions": {"courier": ["delivered"], "customer": []}}) == [
        "delivered"
    ]
    assert lifecycle.order_courier_actions({"status": "ready"}) is None
