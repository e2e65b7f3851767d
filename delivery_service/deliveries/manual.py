"""Operators' decisions about who delivers an order (ARCHITECTURE 4.6): a person's decision wins
over automatic dispatch. They are facts of this service, kept per order in `manual_decisions`
(repository.DECISIONS), and whatever assigns orders reads them here:

- **a pin** (`pinned`, `pinned_to`): the order was assigned by hand. Dispatch gives it to that
  courier and nobody else, and never moves it; the pinned courier is kept for it while it has no
  assignment yet (no other order is given to them meanwhile). A pin ends when the order is picked
  up or finished (`forget_settled`), or when an operator takes the order from that courier.
- **exclusions** (`excluded`): the order was taken from these couriers by hand. It is never given
  back to them by dispatch, and an assignment of it to one of them that the order no longer names
  is taken off wherever it is found (the reconciler included), not projected again (one the order
  still names is the operator action's own to finish). Assigning it to them by hand lifts it.
- **a picked-up order is never moved**, pin or not.

Taking an order from a courier (`take_off`) starts at the order, its owner deciding against a
pickup racing it: the order service revokes the delivery for good (no late projection can give it
back) and forgets the courier if the order still awaits pickup. Only then is the delivery cancelled
(acting as the operator) and the courier released. An order the courier picked up first keeps them.
Every step is conditional or idempotent, so a take-off interrupted anywhere is finished by the next
caller: the operator action's own record (deliveries/operators.py) or the reconciler, which finds
the assignment of an excluded courier.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

from common import faults
from common.mongo import get_database
from deliveries import clients, events, lifecycle, repository

FINAL_OR_PICKED_UP = frozenset({"picked_up", "delivered", "cancelled", "rejected"})


def _now() -> datetime:
    return datetime.now(UTC)


def candidates_for(db, order_id: str, candidates: Iterable[str]) -> Iterator[str]:
    """The couriers dispatch may give this order to, best first, as the operators decided: its
    pinned courier alone (if on duty), else `candidates` without those it was taken from by hand
    and those kept for another order assigned by hand."""
    decision = repository.decision_get(db, order_id=order_id) or {}
    if decision.get("pinned"):
        courier = repository.courier_get(db, courier_id=decision["pinned_to"])
        if courier is not None and courier.get("available"):
            yield courier["_id"]
        return
    excluded = set(decision.get("excluded", ()))
    kept = kept_for_others(db, order_id=order_id)
    for courier_id in candidates:
        if courier_id not in excluded and courier_id not in kept:
            yield courier_id


def allowed_couriers(db, *, order_ids: list[str], couriers: set[str]) -> dict[str, frozenset[str] | None]:
    """`candidates_for` for many orders at once, as sets (the plan's): each order's couriers among
    `couriers` when operators decided anything that limits them, else None (anyone)."""
    decisions = {d["_id"]: d for d in repository.decisions_of_orders(db, order_ids=order_ids)} if order_ids else {}
    pins = {d["_id"]: d["pinned_to"] for d in repository.decisions_pinned(db)}
    assigned = {a["order_id"] for a in repository.assignments_of_orders(db, order_ids=list(pins))} if pins else set()
    kept = {order: courier for order, courier in pins.items() if order not in assigned}
    allowed: dict[str, frozenset[str] | None] = {}
    for order_id in order_ids:
        decision = decisions.get(order_id) or {}
        if decision.get("pinned"):
            allowed[order_id] = frozenset({decision["pinned_to"]}) & frozenset(couriers)
            continue
        barred = set(decision.get("excluded", ())) | {c for o, c in kept.items() if o != order_id}
        allowed[order_id] = frozenset(couriers - barred) if barred & couriers else None
    return allowed


def kept_for_others(db, *, order_id: str) -> set[str]:
    """Couriers pinned to other orders that have no assignment yet."""
    pins = {d["_id"]: d["pinned_to"] for d in repository.decisions_pinned(db) if d["_id"] != order_id}
    if not pins:
        return set()
    assigned = {a["order_id"] for a in repository.assignments_of_orders(db, order_ids=list(pins))}
    return {courier_id for order, courier_id in pins.items() if order not in assigned}


def is_excluded(db, *, order_id: str, courier_id: str) -> bool:
    decision = repository.decision_get(db, order_id=order_id) or {}
    return courier_id in decision.get("excluded", ())


def take_off(db, assignment: dict, *, actor_type: str, actor_id: str) -> dict | None:
    """Takes the assignment's order from its courier (see the module's doc). Returns the order as
    its owner answered, or None when the courier picked it up first (nothing changed)."""
    order_id, delivery_id = assignment["order_id"], str(assignment["delivery_id"])
    order = clients.order_revoke_courier(order_id=order_id, delivery_id=delivery_id)
    if order.get("delivery_id") == delivery_id:
        return None  # picked up (or finished) first: it never moves
    faults.point("take_off.after_revoke")
    now = _now()
    entry = {"status": lifecycle.CANCELLED, "at": now, "actor_type": actor_type, "actor_id": actor_id}
    events.announce(  # (None, nothing to announce, if the delivery is not `assigned` any more)
        repository.delivery_set_status(
            db,
            delivery_id=assignment["delivery_id"],
            current=lifecycle.ASSIGNED,
            target=lifecycle.CANCELLED,
            entry=entry,
            now=now,
        )
    )
    repository.assignment_release(db, courier_id=assignment["courier_id"], order_id=order_id)
    return order


def forget_settled() -> int:
    """Drops the pins of orders picked up or finished (they can no longer move): the couriers they
    kept are free for others. Level-triggered, safe to repeat. Returns how many were dropped."""
    db = get_database()
    pinned = repository.decisions_pinned(db)
    if not pinned:
        return 0
    orders = clients.orders_by_ids(order_ids=[d["_id"] for d in pinned])
    dropped = 0
    for decision in pinned:
        order = orders.get(decision["_id"])
        if order is None or order["status"] in FINAL_OR_PICKED_UP:
            repository.decision_unpin(db, order_id=decision["_id"], courier_id=decision["pinned_to"], now=_now())
            dropped += 1
    return dropped
