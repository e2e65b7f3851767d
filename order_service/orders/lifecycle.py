"""The order state machine as data (ARCHITECTURE 4.2): which party may move an order from which
state to which.

    placed -> accepted -> preparing -> ready -> picked_up -> delivered
       |-> rejected (restaurant)
       '-> cancelled (customer, while placed; an operator, any time before picked_up)

A move is one conditional update whose filter names the state it leaves and the acting party
(repository.order_apply_transition), so of several racing requests exactly one wins.
"""

from __future__ import annotations

PLACED, ACCEPTED, PREPARING, READY = "placed", "accepted", "preparing", "ready"
PICKED_UP, DELIVERED, REJECTED, CANCELLED = "picked_up", "delivered", "rejected", "cancelled"

STATES = (PLACED, ACCEPTED, PREPARING, READY, PICKED_UP, DELIVERED, REJECTED, CANCELLED)
FINAL_STATES = frozenset({DELIVERED, REJECTED, CANCELLED})
# Orders in these states still need (or have) a courier.
ACTIVE_STATES = (PLACED, ACCEPTED, PREPARING, READY, PICKED_UP)
# The kitchen may say it runs late (POST .../delay) while the food is on its way to ready.
DELAYABLE_STATES = (ACCEPTED, PREPARING)
DELAY = "delay"  # that action's name among an order's `next_actions`
# A courier can still be given to an order in these states (not once it is picked up).
AWAITING_COURIER_STATES = (PLACED, ACCEPTED, PREPARING, READY)

# Where the order stands for dispatch, kept in its `dispatch` field by the same conditional updates
# that change its status or courier: one indexed equality answers "which orders wait for a courier"
# and "which live orders name one", without scanning finished orders.
DISPATCH_WAITING, DISPATCH_ASSIGNED, DISPATCH_CLOSED = "waiting", "assigned", "closed"

RESTAURANT, CUSTOMER, COURIER, OPERATOR, SYSTEM = "restaurant", "customer", "courier", "operator", "system"

# (from, to) -> the kinds of party allowed to make the move. An operator is no party of the order
# (no field names them): they act on any order, always with a reason (orders/operators.py).
TRANSITIONS: dict[tuple[str, str], frozenset[str]] = {
    (PLACED, ACCEPTED): frozenset({RESTAURANT}),
    (PLACED, REJECTED): frozenset({RESTAURANT}),
    (PLACED, CANCELLED): frozenset({CUSTOMER, OPERATOR}),
    (ACCEPTED, PREPARING): frozenset({RESTAURANT}),
    (ACCEPTED, CANCELLED): frozenset({OPERATOR}),
    (PREPARING, READY): frozenset({RESTAURANT}),
    (PREPARING, CANCELLED): frozenset({OPERATOR}),
    (READY, PICKED_UP): frozenset({COURIER}),
    (READY, CANCELLED): frozenset({OPERATOR}),
    (PICKED_UP, DELIVERED): frozenset({COURIER}),
}

# Which field of the order names the party of each kind.
PARTY_FIELD = {CUSTOMER: "customer_id", RESTAURANT: "restaurant_owner_id", COURIER: "courier_id"}


def allowed(*, current: str, target: str, actor_type: str) -> bool:
    return actor_type in TRANSITIONS.get((current, target), frozenset())


def is_party(order: dict, *, actor_type: str, actor_id: str) -> bool:
    field = PARTY_FIELD.get(actor_type)
    return field is not None and actor_id is not None and order.get(field) == actor_id


def next_states(*, current: str, actor_type: str) -> list[str]:
    return [to for (frm, to), who in TRANSITIONS.items() if frm == current and actor_type in who]


def next_actions(*, current: str) -> dict[str, list[str]]:
    """What each kind of party may do next with an order in `current` (every order carries it, so
    pages show the table's answer instead of keeping a copy): the states it may move the order to,
    and for the kitchen `delay` while the food is on its way to ready."""
    actions = {party: next_states(current=current, actor_type=party) for party in PARTY_FIELD}
    if current in DELAYABLE_STATES:
        actions[RESTAURANT].append(DELAY)
    return actions
