"""Operators' actions on who delivers an order (ARCHITECTURE 4.6): assigning it to a courier by
hand, taking it from its courier, and the couriers as operators see them.

Each action goes through the owners' rules: the assignment is 4.3's (`active_assignments`' unique
keys, the idempotent projection onto the order, the reconciler: deliveries/dispatch.py), the
decisions that make a person's choice win are deliveries/manual.py's, and the audit log is the
order service's (orders/operators.py). An action is applied and audited, or refused with a clear
error, never half done:

1. it is recorded as under way on the order (`manual_decisions.action`, one at a time per order: a
   second is refused, audited `refused`), while its assignment, its decisions and the courier are
   read (`_begin`: the record and the reads at once);
2. it is audited as `pending`, and the same call answers the order as its owner has it (one round
   trip: the entry is written before the order is read);
3. it is checked against what steps 1 and 2 read; a refusal is its outcome (step 4);
4. it is carried out, every step conditional or idempotent. An assign pins the order to the
   courier, takes it from a courier who had it (who is then excluded from it), claims the courier
   and projects the claim, as dispatch does. An unassign excludes the courier and takes the order
   off them; it waits for dispatch again;
5. its outcome is audited and the record ends. An assign's projection carries its outcome
   (`dispatch.Settling`: the order service projects, then settles the entry `applied`, in one call);
   any other outcome, or one that call could not settle, is audited on its own. An assignment the
   order service has not confirmed yet is applied (the assignment is the fact; the reconciler
   projects it).

So an assign that goes through makes two calls to the order service in a row (steps 2 and 5),
and its store writes are the record, the pin, the claim, the delivery and the record's end.

The couriers' feeds and the console hear of the deliveries it changed from a sender thread, not on
the way to the answer (events.after_answer): the answer waits only for the steps above.

A process that dies or pauses anywhere leaves the record: `resume` carries out every record older
than OPERATOR_ACTION_RESUME_S from wherever it stands (also one that died before step 2: the
`pending` entry is written again, idempotently, before anything else, and the carrying out checks
what it finds), with the same steps, and audits the outcome. If the order service cannot even take
the `pending` entry, nothing was applied: the record is dropped and the action answered 503 (a
timeout there is "unknown": the record stays for `resume`).
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from bson import ObjectId
from django.conf import settings

from common import faults
from common.errors import ApiError, Conflict, GatewayTimeout
from common.mongo import get_database, parse_object_id
from common.pagination import PageRequest
from deliveries import clients, console, courier_list, dispatch, events, lifecycle, locks, manual, repository, routes
from deliveries.errors import (
    ActionUnderWay,
    CourierNotFound,
    CourierUnavailable,
    IllegalDeliveryTransition,
    OrderNotFound,
)
from deliveries.repository import Claim

logger = logging.getLogger(__name__)

ASSIGN, UNASSIGN = "assign", "unassign"
PENDING, APPLIED, REFUSED = "pending", "applied", "refused"
MOVABLE = frozenset({"placed", "accepted", "preparing", "ready"})  # before pickup


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Done:
    """Where an action ended: `applied` with its answer, `refused` with its error, or `pending` (not
    known yet; its record stays for `resume`) with its answer so far."""

    outcome: str
    answer: dict | None = None
    error: ApiError | None = None
    settled: bool = False  # audited already (by the projection's call)


# --- the actions ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    """What an action is checked against and carried out from, read together before any step: the
    order as its owner has it, its assignment, its operators' decisions, and for an assign the
    courier and how many orders they carry."""

    order: dict | None
    assignment: dict | None
    decision: dict | None
    courier: dict | None = None
    carrying: int = 0


def operator_order_assign(*, order_id: str, courier_id: str, operator_id: str, reason: str) -> dict:
    """Gives the order to this courier by hand (taking it from another who had it); answers the
    delivery. Dispatch will not move it; a picked-up order is never moved."""
    action = _action(ASSIGN, order_id=order_id, courier_id=courier_id, operator_id=operator_id, reason=reason)

    def check(seen: Seen) -> None:
        _check_order(seen.order)
        if not _holds(seen.assignment, courier_id):
            _check_courier(seen, courier_id)

    return _run(action, check)


def operator_order_unassign(*, order_id: str, operator_id: str, reason: str) -> dict:
    """Takes the order from its courier by hand: it waits again, never for that courier, and their
    delivery is cancelled; answers the order as its owner has it now."""
    action = _action(UNASSIGN, order_id=order_id, courier_id=None, operator_id=operator_id, reason=reason)

    def check(seen: Seen) -> None:
        _check_order(seen.order)
        if seen.assignment is None:  # (else `_begin` named its courier on the action)
            raise IllegalDeliveryTransition(
                "The order has no courier to take it from.",
                details={"current": seen.order["status"], "courier_id": None},
            )

    return _run(action, check)


def _action(kind: str, **fields) -> dict:
    return {"id": str(ObjectId()), "action": kind, "at": _now(), **fields}


def _look(db, action: dict, order: dict | None) -> Seen:
    """What a record under way is carried out from: `order` (its owner's answer) and the store's
    reads, made at once."""
    order_id = action["order_id"]
    return Seen(order, *_together(_reads(db, action, lambda: repository.decision_get(db, order_id=order_id))))


def _begin(db, action: dict) -> Seen | None:
    """Step 1: the action recorded as under way (None: another one is) and the store's reads, at
    once for an assign. An unassign reads its assignment first: the record names the courier it
    takes the order from (`resume` needs it)."""
    order_id = action["order_id"]

    def begin() -> dict | None:
        return repository.decision_begin_action(db, order_id=order_id, action=action, now=_now())

    if action["action"] == UNASSIGN:
        assignment = repository.assignment_of_order(db, order_id=order_id)
        action["courier_id"] = assignment["courier_id"] if assignment else None
        decision = begin()
        return None if decision is None else Seen(None, assignment, decision)
    seen = Seen(None, *_together(_reads(db, action, begin)))
    return None if seen.decision is None else seen


def _reads(db, action: dict, decision: Callable[[], dict | None]) -> list[Callable[[], object]]:
    """The assignment, the decisions (`decision`: read, or written by `_begin`) and, for an assign,
    the courier and how many orders they carry: Seen's fields after the order."""
    order_id, courier_id = action["order_id"], action["courier_id"]
    reads: list[Callable[[], object]] = [lambda: repository.assignment_of_order(db, order_id=order_id), decision]
    if action["action"] == ASSIGN:
        reads += [
            lambda: repository.courier_get(db, courier_id=courier_id),
            lambda: len(repository.assignments_of_courier(db, courier_id=courier_id)),
        ]
    return reads


_readers = ThreadPoolExecutor(max_workers=8, thread_name_prefix="operator-reads")


def _together(reads: list[Callable[[], object]]) -> list:
    """The reads' results, in order: the first on this thread, the others meanwhile on the pool's."""
    others = [_readers.submit(contextvars.copy_context().run, read) for read in reads[1:]]
    first = reads[0]()
    return [first, *(future.result() for future in others)]


def _run(action: dict, check: Callable[[Seen], None]) -> dict:
    """Steps 1 to 5 of the module's doc for a new action."""
    order_id = action["order_id"]
    if parse_object_id(order_id) is None:
        raise OrderNotFound()  # not an order id at all: no action on any order
    db = get_database()
    with locks.order_lock(order_id), events.after_answer():
        seen = _begin(db, action)
        if seen is None:
            refusal = ActionUnderWay()
            clients.audit_record(action=action, outcome=REFUSED, error_code=refusal.code, error_message=refusal.message)
            raise refusal
        try:
            order = faults.call("operator.audit_begin", lambda: clients.audit_record(action=action, outcome=PENDING))
        except GatewayTimeout:
            raise  # whether the entry was written is unknown: the record stays, `resume` finishes
        except ApiError:
            repository.decision_end_action(db, order_id=order_id, action_id=action["id"], now=_now())
            raise  # nothing applied, nothing audited: the log's owner cannot be reached
        seen = replace(seen, order=order)
        try:
            check(seen)
        except ApiError as refusal:
            done = _audited(db, action, Done(REFUSED, error=refusal))
        else:
            done = _carry_out(db, action, seen)
    if done.error is not None:
        raise done.error
    return done.answer


def _carry_out(db, action: dict, seen: Seen) -> Done:
    """Steps 4 and 5, from wherever the action stands (a new one, or a record `resume` found), as
    `seen` (read under the order's lock) has it."""
    return _audited(db, action, (_assign if action["action"] == ASSIGN else _unassign)(db, action, seen))


def _audited(db, action: dict, done: Done) -> Done:
    """Step 5: the outcome audited (unless the projection did) and the record ended; a `pending`
    one is left for `resume`."""
    if done.outcome == PENDING:
        return done
    if not done.settled:
        error = done.error
        try:
            clients.audit_settle(
                action_id=action["id"],
                outcome=done.outcome,
                error_code=error.code if error else None,
                error_message=error.message if error else None,
            )
        except Conflict:
            pass  # settled already (an earlier run of this record got that far): an outcome is written once
        except ApiError as exc:
            logger.warning(
                "operator action's outcome not audited yet", extra={"action_id": action["id"], "error": exc.code}
            )
            return done  # applied (or refused) and audited as pending; `resume` writes the outcome
    repository.decision_end_action(db, order_id=action["order_id"], action_id=action["id"], now=_now())
    return done


def _assign(db, action: dict, seen: Seen) -> Done:
    order_id, courier_id = action["order_id"], action["courier_id"]
    now = _now()
    order, current, claimed = seen.order, seen.assignment, False
    if not _holds(current, courier_id):
        try:
            _check_order(order)
            _check_courier(seen, courier_id)
        except ApiError as refusal:
            return Done(REFUSED, error=refusal)
        excluded = [c for c in (seen.decision or {}).get("excluded", ()) if c != courier_id]
        if current is not None:  # a reassignment: the courier who had it never gets it back by dispatch
            excluded = sorted({*excluded, current["courier_id"]})
        repository.decision_pin_instead(db, order_id=order_id, courier_id=courier_id, excluded=excluded, now=now)
        if current is not None:
            order = manual.take_off(db, current, actor_type=lifecycle.OPERATOR, actor_id=action["operator_id"])
            if order is None:
                repository.decision_unpin(db, order_id=order_id, courier_id=courier_id, now=now)
                repository.decision_unexclude(db, order_id=order_id, courier_id=current["courier_id"], now=now)
                return Done(REFUSED, error=_picked_up())
        delivery_id = ObjectId(action["id"])
        claim = repository.assignment_claim(
            db, courier_id=courier_id, order_id=order_id, delivery_id=delivery_id, now=now, capacity=dispatch.capacity()
        )
        claimed = claim is Claim.CLAIMED
        if claimed:
            current = {"courier_id": courier_id, "order_id": order_id, "delivery_id": delivery_id, "at": now}
        else:
            current = repository.assignment_of_order(db, order_id=order_id)
            if not _holds(current, courier_id):
                # Another order took the courier a moment ago (their room was checked above).
                repository.decision_unpin(db, order_id=order_id, courier_id=courier_id, now=now)
                return Done(REFUSED, error=CourierUnavailable(details={"courier_id": courier_id}))
    else:
        repository.decision_pin(db, order_id=order_id, courier_id=courier_id, now=now)
    faults.point("operator.assign.after_claim")
    settling = dispatch.Settling(action["id"])
    outcome = dispatch.converge(current, order, claimed=claimed, settling=settling)
    delivery = repository.delivery_by_id(db, delivery_id=current["delivery_id"])
    if outcome in (dispatch.Outcome.ASSIGNED, dispatch.Outcome.PENDING):
        return Done(APPLIED, answer=delivery, settled=settling.settled)
    if outcome is dispatch.Outcome.ORDER_GONE:
        repository.decision_unpin(db, order_id=order_id, courier_id=courier_id, now=_now())
        return Done(REFUSED, error=IllegalDeliveryTransition("The order finished meanwhile."))
    return Done(PENDING, answer=delivery)  # a projection race: the next run sees it settled


def _unassign(db, action: dict, seen: Seen) -> Done:
    order_id, courier_id, order = action["order_id"], action["courier_id"], seen.order
    now = _now()
    if not _holds(seen.assignment, courier_id):
        if courier_id in (seen.decision or {}).get("excluded", ()):
            return Done(APPLIED, answer=order)  # taken off already (an earlier run, or the reconciler)
        return Done(REFUSED, error=IllegalDeliveryTransition("The order has no courier to take it from."))
    try:
        _check_order(order)
    except ApiError as refusal:
        return Done(REFUSED, error=refusal)
    repository.decision_exclude(db, order_id=order_id, courier_id=courier_id, now=now)
    faults.point("operator.unassign.after_exclude")
    assignment = repository.assignment_of_order(db, order_id=order_id)
    if assignment is None or assignment["courier_id"] != courier_id:
        return Done(APPLIED, answer=order)  # the reconciler took it off meanwhile (the exclusion is there)
    taken = manual.take_off(db, assignment, actor_type=lifecycle.OPERATOR, actor_id=action["operator_id"])
    if taken is None:
        repository.decision_unexclude(db, order_id=order_id, courier_id=courier_id, now=now)
        return Done(REFUSED, error=_picked_up())
    dispatch.kick()  # the order waits again: somebody else may take it now
    return Done(APPLIED, answer=taken)


def _holds(assignment: dict | None, courier_id: str | None) -> bool:
    return assignment is not None and assignment["courier_id"] == courier_id


def _check_order(order: dict | None) -> None:
    if order is None:
        raise OrderNotFound()
    if order["status"] not in MOVABLE:
        raise IllegalDeliveryTransition(
            f"An order that is {order['status']} does not change courier.",
            details={"current": order["status"]},
        )


def _picked_up() -> ApiError:
    return IllegalDeliveryTransition(
        "The courier picked the order up a moment ago: it stays with them.", details={"current": "picked_up"}
    )


def _check_courier(seen: Seen, courier_id: str) -> None:
    if seen.courier is None:
        raise CourierNotFound(details={"courier_id": courier_id})
    if not seen.courier.get("available"):
        raise CourierUnavailable("The courier is off duty.", details={"courier_id": courier_id, "available": False})
    if seen.carrying >= dispatch.capacity():
        raise CourierUnavailable(
            "The courier carries as many orders as they can.", details={"courier_id": courier_id, "available": True}
        )


# --- actions a dead or paused process left under way ---------------------------------------------------------


def resume(*, older_than_s: float, limit: int = 100) -> int:
    """Carries out every operator action recorded as under way for longer than `older_than_s` (its
    process died or paused), then drops the pins of orders that can no longer move. Safe in every
    replica at once: each step is conditional or idempotent. Returns how many it carried out."""
    db = get_database()
    before = _now() - timedelta(seconds=older_than_s)
    carried = 0
    for decision in repository.decisions_under_way(db, limit=limit):
        action = decision["action"]
        if action["at"] > before:
            continue
        try:
            with locks.order_lock(action["order_id"]), events.after_answer():
                # Written before anything else (a retry, or the first time if the process died before
                # step 2); it answers the order, read after it.
                order = clients.audit_record(action=action, outcome=PENDING)
                _carry_out(db, action, _look(db, action, order))
        except ApiError as exc:
            logger.warning("operator action not resumed", extra={"action_id": action["id"], "error": exc.code})
            continue
        carried += 1
    try:
        manual.forget_settled()
    except ApiError as exc:
        logger.warning("pins not checked", extra={"error": exc.code})
    return carried


def resume_interrupted() -> int:
    """The background loop's pass (deliveries/background.py): actions under way for longer than a period."""
    return resume(older_than_s=settings.OPERATOR_ACTION_RESUME_S)


# --- the couriers as operators see them -----------------------------------------------------------------------


def operator_couriers(*, available: bool | None, page: PageRequest) -> tuple[int, list[dict]]:
    """A page of couriers (in id order): each with their latest position, their active deliveries
    (ids) and the stops still to make, in order."""
    db = get_database()
    count, couriers = courier_list.page(available=available, skip=page.skip, limit=page.size)
    rows = []
    for courier, location, deliveries in console.with_deliveries(db, couriers):
        rows.append(
            {
                **courier,
                "location": location,
                "deliveries": [str(d["_id"]) for d in deliveries],
                "route": routes.route_of(
                    deliveries=deliveries,
                    location=location,
                    vehicle=courier.get("vehicle"),
                    now=_now(),
                ),
            }
        )
    return count, rows
