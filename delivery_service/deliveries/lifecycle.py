"""The delivery state machine as data, beside the order's (order_service/orders/lifecycle.py).

    assigned -> picked_up -> delivered     (the assigned courier)
        '-> cancelled                       (the system, when the order was cancelled or rejected;
                                             an operator, taking the order from this courier)

The delivery follows its order: the courier's moves go to the order service first, and the
reconciler brings a delivery whose order moved on without it (a crash in between) to the order's
state through the same table, acting as the system. What the courier may do next is what both
tables allow: this one's move, if the order's own table lets the courier make it now (the food is
ready before it is picked up). The order service sends its answer with the order (its
`next_actions`), and the delivery keeps it with the order's status (`order_courier_actions`).
"""

from __future__ import annotations

ASSIGNED, PICKED_UP, DELIVERED, CANCELLED = "assigned", "picked_up", "delivered", "cancelled"
STATES = (ASSIGNED, PICKED_UP, DELIVERED, CANCELLED)
ACTIVE_STATES = frozenset({ASSIGNED, PICKED_UP})

COURIER, OPERATOR, SYSTEM = "courier", "operator", "system"

# (from, to) -> the kinds of party allowed to make the move
TRANSITIONS: dict[tuple[str, str], frozenset[str]] = {
    (ASSIGNED, PICKED_UP): frozenset({COURIER, SYSTEM}),
    (PICKED_UP, DELIVERED): frozenset({COURIER, SYSTEM}),
    (ASSIGNED, CANCELLED): frozenset({SYSTEM, OPERATOR}),
}

# The delivery state that mirrors each order state the delivery can follow.
FOR_ORDER_STATUS = {
    "picked_up": PICKED_UP,
    "delivered": DELIVERED,
    "cancelled": CANCELLED,
    "rejected": CANCELLED,
}


def allowed(*, current: str, target: str, actor_type: str) -> bool:
    return actor_type in TRANSITIONS.get((current, target), frozenset())


def next_state(*, current: str, actor_type: str) -> str | None:
    """The one state this party may move a delivery to next, if any."""
    return next((to for (frm, to), who in TRANSITIONS.items() if frm == current and actor_type in who), None)


def path_to(*, current: str, target: str) -> list[str] | None:
    """The states the system passes through to bring a delivery from `current` to `target`
    (`assigned` to `delivered` is picked_up, then delivered), or None when it cannot get there."""
    path, state = [], current
    while state != target:
        step = next(
            (to for (frm, to), who in TRANSITIONS.items() if frm == state and SYSTEM in who and _leads(to, target)),
            None,
        )
        if step is None:
            return None
        path.append(step)
        state = step
    return path


def _leads(state: str, target: str) -> bool:
    if state == target:
        return True
    return any(_leads(to, target) for (frm, to) in TRANSITIONS if frm == state)


def order_courier_actions(order: dict) -> list[str] | None:
    """What the order's table lets the courier do next, from an order as the order service sends it
    (its rendering's `next_actions`, or a move's `courier_actions`); None when it does not say."""
    if "courier_actions" in order:
        return order["courier_actions"]
    return (order.get("next_actions") or {}).get(COURIER)


def next_actions(delivery: dict) -> list[str]:
    """The states the assigned courier may move the delivery to now (the order's word included;
    a delivery mirrored before the order said it has the table's word alone)."""
    allowed_by_order = delivery.get("order_courier_actions")
    return [
        to
        for (frm, to), who in TRANSITIONS.items()
        if frm == delivery["status"] and COURIER in who and (allowed_by_order is None or to in allowed_by_order)
    ]
