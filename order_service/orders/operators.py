"""The operators' side of the order service (ARCHITECTURE 4.6): the city's orders with what needs
attention, cancelling an order with a reason, and the audit log of every operator action.

**Where the audit log lives, and why here.** One owner: this service, in `operator_actions`. Every
operator action ends on an order and cannot happen without this service: a cancel is its own
lifecycle move, and an assign or unassign (the delivery service's) must read the order and write its
courier onto it. So keeping the log here adds no new way for an action to fail, while a log in the
delivery service would make every cancel wait for it (a customer's cancel never does).

**No action applied without its entry.** The log is written ahead:

1. an entry is appended with outcome `pending` before anything changes (a refusal decided before
   that is appended once, as `refused`);
2. the action is applied by the owner of its fact, naming the entry's id: the cancel's history
   entry here, the assignment's action record in the delivery service (deliveries/operators.py);
3. the entry's outcome is written once: `applied`, or `refused` with the error code. Entries are
   never deleted, and an outcome is never rewritten.

A process can die or pause between the steps, so an entry may stay `pending` a while ("unknown",
never "failed"). The one who applies it finishes it: the delivery service's action records carry
their assigns and unassigns to the end. A cancel is a single conditional update of the order, so
its pending entry is settled from the order alone, after `OPERATOR_ACTION_SETTLE_S`: applied if the
order's history names the action; else the action is voided on the order (a move naming a voided
action is refused, so a paused process cannot apply it later) and the entry is refused.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from bson import ObjectId
from django.conf import settings

from common import faults
from common.errors import ApiError, InvalidInput
from common.mongo import get_database, parse_object_id
from common.pagination import PageRequest
from orders import attention, lifecycle, lists, locations, repository, services, tracking
from orders.errors import IllegalTransition, OrderNotFound

logger = logging.getLogger(__name__)

ASSIGN, UNASSIGN, CANCEL = "assign", "unassign", "cancel"
PENDING, APPLIED, REFUSED = "pending", "applied", "refused"
# A refusal made by the settler: the action's process died before applying it.
INTERRUPTED = "interrupted"


def _now() -> datetime:
    return datetime.now(UTC)


# --- the city's orders ----------------------------------------------------------------------------------


def operator_orders(*, status: str | None, attention_only: bool, page: PageRequest) -> tuple[int, list[dict]]:
    """A page of the orders an operator follows: the live ones (oldest first), then those finished
    within OPERATOR_FINISHED_VISIBLE_S (latest first), each with `attention` and `courier_location`.
    With `attention_only`, the live orders that need attention now (computed, so all live orders of
    the city are read; finished ones never need it)."""
    db = get_database()
    now = _now()
    if attention_only:
        live = repository.orders_live(db, status=status) if _live_status(status) else []
        seen = locations.courier_positions(live)
        flagged = [_with_attention(o, seen, now) for o in live]
        flagged = [o for o in flagged if o["attention"]]
        return len(flagged), flagged[page.skip : page.skip + page.size]
    # The live part is paged from a ranked index (orders/lists.py), with a status from that state's:
    # a page costs the same among ten live orders or a thousand. The finished part without a status
    # too; with one (a final state), MongoDB counts that state's orders of the last hour.
    live_count, live = 0, []
    if _live_status(status):
        found = lists.live_page(skip=page.skip, limit=page.size, status=status)
        live_count, live = found or repository.orders_live_page(db, status=status, skip=page.skip, limit=page.size)
    finished_count, finished = 0, []
    if status is None or status in lifecycle.FINAL_STATES:
        since = now - timedelta(seconds=settings.OPERATOR_FINISHED_VISIBLE_S)
        window = {"since": since, "hours": _hours(since, now)}
        rest = {"skip": max(0, page.skip - live_count), "limit": page.size - len(live)}
        found = lists.finished_page(**window, **rest) if status is None else None
        finished_count, finished = found or repository.orders_closed_since_page(db, **window, status=status, **rest)
    orders = live + finished
    seen = locations.courier_positions(orders)
    return live_count + finished_count, [_with_attention(o, seen, now) for o in orders]


def _live_status(status: str | None) -> bool:
    return status is None or status not in lifecycle.FINAL_STATES


def _hours(since: datetime, now: datetime) -> list[str]:
    hours, at = [], since.replace(minute=0, second=0, microsecond=0)
    while at <= now:
        hours.append(repository.closed_hour(at))
        at += timedelta(hours=1)
    return hours


def _with_attention(order: dict, seen: dict[str, dict], now: datetime) -> dict:
    location = seen.get(str(order["_id"]))
    seen_at = datetime.fromisoformat(location["at"]) if location else None
    return {
        **order,
        "attention": attention.reasons(order, now=now, courier_seen_at=seen_at),
        "courier_location": location,
    }


# --- the audit log --------------------------------------------------------------------------------------


def action_record(
    *,
    action_id: str,
    at: datetime,
    operator_id: str,
    action: str,
    order_id: str,
    courier_id: str | None,
    reason: str,
    outcome: str,
    error_code: str | None = None,
    error_message: str | None = None,
) -> dict:
    """Appends an entry (step 1): `pending`, or `refused` for a refusal decided before anything
    changed. Idempotent: the same id again answers the entry as it is (a retried call)."""
    oid = parse_object_id(action_id)
    if oid is None:
        raise InvalidInput("Not an action id.", details={"action_id": action_id})
    entry = {
        "_id": oid,
        "at": at,
        "operator_id": operator_id,
        "action": action,
        "order_id": order_id,
        "courier_id": courier_id,
        "reason": reason,
        "outcome": outcome,
        "error": _error(error_code, error_message) if outcome == REFUSED else None,
        "settled_at": at if outcome == REFUSED else None,
    }
    try:
        return repository.action_insert(get_database(), entry=entry)
    except repository.ActionExists:
        return repository.action_get(get_database(), action_id=entry["_id"])


def action_begin(**entry) -> tuple[dict, dict | None]:
    """`action_record` for an assign or unassign the delivery service is about to apply, and the
    order as it is now (None: no such order), read after the entry: its checks start from this, so
    the action's first step is one round trip between the services."""
    recorded = action_record(**entry)
    oid = parse_object_id(entry["order_id"])
    return recorded, oid and repository.order_get(get_database(), order_id=oid)


def order_project_courier_settling(*, order_id: str, action_id: str | None, **projection) -> tuple[dict, bool]:
    """`services.order_project_courier`, then, for an operator's assign, its entry settled
    `applied` in the same call (step 3). The assignment is the fact: an entry that cannot be
    settled (settled otherwise, missing) never refuses the projection; the answer says whether it
    was, and the delivery service settles it itself when not."""
    order = services.order_project_courier(order_id=order_id, **projection)
    if action_id is None:
        return order, False
    faults.point("operator.project.before_settle")
    try:
        action_settle(action_id=action_id, outcome=APPLIED)
    except ApiError as exc:
        logger.warning("projection's action not settled", extra={"action_id": action_id, "error": exc.code})
        return order, False
    return order, True


def action_settle(
    *, action_id: str, outcome: str, error_code: str | None = None, error_message: str | None = None
) -> dict:
    """Writes a pending entry's outcome (step 3), once. The same outcome again is a retry and
    answers the entry; another one is a conflict (an outcome is never rewritten)."""
    db = get_database()
    oid = parse_object_id(action_id)
    settled = oid and repository.action_settle(
        db, action_id=oid, outcome=outcome, error=_error(error_code, error_message), now=_now()
    )
    if settled:
        return settled
    entry = oid and repository.action_get(db, action_id=oid)
    if not entry:
        raise OrderNotFound("No such operator action.", code="action_not_found")
    if entry["outcome"] != outcome:
        raise IllegalTransition("This action's outcome was written already.", details={"outcome": entry["outcome"]})
    return entry


def _error(code: str | None, message: str | None) -> dict | None:
    return {"code": code, "message": message or ""} if code else None


def operator_actions(*, order_id: str | None, operator_id: str | None, page: PageRequest) -> tuple[int, list[dict]]:
    """The audit log, newest first, of one order, one operator, or everyone."""
    query = {key: value for key, value in (("order_id", order_id), ("operator_id", operator_id)) if value is not None}
    return repository.actions_page(get_database(), query=query, skip=page.skip, limit=page.size)


# --- cancelling ------------------------------------------------------------------------------------------


def operator_order_cancel(*, order_id: str, operator_id: str, reason: str) -> dict:
    """Cancels any order not yet picked up, through the lifecycle (the courier is released as for
    any cancel), audited ahead; a refusal is audited with its code and raised."""
    oid = parse_object_id(order_id)
    if oid is None:
        raise OrderNotFound()
    now = _now()
    action = {
        "action_id": str(ObjectId()),
        "at": now,
        "operator_id": operator_id,
        "action": CANCEL,
        "order_id": order_id,
        "reason": reason,
    }
    order = repository.order_get(get_database(), order_id=oid)
    try:
        if order is None:
            raise OrderNotFound()
        if not lifecycle.allowed(current=order["status"], target=lifecycle.CANCELLED, actor_type=lifecycle.OPERATOR):
            raise IllegalTransition(
                f"An order that is {order['status']} cannot be cancelled.",
                details={"current": order["status"], "requested": lifecycle.CANCELLED},
            )
    except ApiError as refusal:
        action_record(
            **action,
            courier_id=None,
            outcome=REFUSED,
            error_code=refusal.code,
            error_message=refusal.message,
        )
        raise
    action_record(**action, courier_id=order.get("courier_id"), outcome=PENDING)
    faults.point("operator.cancel.after_record")
    try:
        cancelled = services.order_move(
            order=order,
            target=lifecycle.CANCELLED,
            actor_type=lifecycle.OPERATOR,
            actor_id=operator_id,
            party={},
            note={"reason": reason, "action_id": action["action_id"]},
            unless_voided=action["action_id"],
        )
    except IllegalTransition as refusal:  # it moved on (or was picked up) since it was read
        action_settle(
            action_id=action["action_id"], outcome=REFUSED, error_code=refusal.code, error_message=refusal.message
        )
        raise
    action_settle(action_id=action["action_id"], outcome=APPLIED)
    return cancelled


# --- taking an order from its courier by hand -----------------------------------------------------------


def order_revoke_courier(*, order_id: str, delivery_id: str) -> dict:
    """The order's side of an operator taking it from its courier (the delivery service's unassign
    or reassign): the delivery is revoked for good, so no late or racing projection can give it
    back, then forgotten if the order still names it and awaits pickup (it waits for a courier
    again). This conditional update is what decides against a pickup racing it: an order that
    still names the delivery afterwards was picked up (or finished) first and never moves.
    Idempotent; answers the order as it is."""
    db = get_database()
    oid = parse_object_id(order_id)
    if oid is None:
        raise OrderNotFound()
    # Usually the order names the delivery and awaits pickup: revoked and forgotten in one write.
    cleared = _clear_and_revoke(db, oid, delivery_id)
    if cleared is None:
        # Else (picked up first, another delivery, not projected yet, a retry): revoked all the same.
        order = repository.order_revoke_delivery(db, order_id=oid, delivery_id=delivery_id)
        if not order:
            raise OrderNotFound()
        if order.get("delivery_id") != delivery_id or order["status"] not in lifecycle.AWAITING_COURIER_STATES:
            return order
        # Projected between the two writes (never again now): forgotten as well, unless picked up first.
        cleared = _clear_and_revoke(db, oid, delivery_id)
        if cleared is None:
            return repository.order_get(db, order_id=oid)
    tracking.publish(cleared)
    return cleared


def _clear_and_revoke(db, oid, delivery_id: str) -> dict | None:
    cleared = repository.order_clear_courier(
        db, order_id=oid, delivery_id=delivery_id, states=lifecycle.AWAITING_COURIER_STATES, now=_now(), revoke=True
    )
    if cleared is not None:
        lists.queued(cleared)  # waiting again: back in the dispatch queue
    return cleared


def operator_actions_settle(*, older_than_s: float, limit: int = 200) -> int:
    """Settles cancels left pending (their process died or paused before step 3), from the order
    itself: applied if its history names the action, else voided and refused. Safe in every
    replica at once: voiding and applying are conditional updates of the one order, and an
    outcome is written once. Returns how many were settled."""
    db = get_database()
    settled = 0
    before = _now() - timedelta(seconds=older_than_s)
    for entry in repository.actions_pending_before(db, action=CANCEL, before=before, limit=limit):
        action_id = str(entry["_id"])
        order = repository.order_get(db, order_id=ObjectId(entry["order_id"]))
        if order is not None and not _names(order, action_id):
            order = repository.order_void_action(db, order_id=order["_id"], action_id=action_id)
        if order is not None and _names(order, action_id):
            repository.action_settle(db, action_id=entry["_id"], outcome=APPLIED, error=None, now=_now())
        else:
            error = _error(INTERRUPTED, "The action was interrupted before it was applied.")
            repository.action_settle(db, action_id=entry["_id"], outcome=REFUSED, error=error, now=_now())
        settled += 1
    return settled


def _names(order: dict, action_id: str) -> bool:
    return any(entry.get("action_id") == action_id for entry in order.get("history", []))


def operator_actions_settle_interrupted() -> int:
    """The background loop's pass (orders/background.py): cancels pending for longer than a period."""
    return operator_actions_settle(older_than_s=settings.OPERATOR_ACTION_SETTLE_S)
