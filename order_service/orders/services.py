"""Writes and rules of the order service: placing orders, moving them through their lifecycle,
recording the courier."""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from datetime import UTC, datetime, timedelta

from django.conf import settings
from prometheus_client import Counter

from common import faults, geo
from common.errors import ApiError
from common.mongo import found_by_id, get_database, parse_object_id
from orders import clients, estimates, lifecycle, lists, repository, tracking
from orders.errors import (
    CourierAlreadyAssigned,
    DeliveryRevoked,
    IdempotencyKeyReused,
    IllegalTransition,
    ItemsUnavailable,
    OrderNotFound,
    OutsideDeliveryArea,
    RestaurantNotAccepting,
    UnknownItems,
)

logger = logging.getLogger(__name__)

ORDERS_PLACED = Counter("orders_placed_total", "Orders acknowledged to customers")
TRANSITIONS = Counter("order_transitions_total", "Order state transitions", ["to"])


def _now() -> datetime:
    return datetime.now(UTC)


def _request_hash(*, restaurant_id: str, items: list[dict], delivery_address: dict) -> str:
    canonical = json.dumps(
        {
            "restaurant_id": restaurant_id,
            "items": sorted((i["menu_item_id"], i["quantity"]) for i in items),
            "delivery_address": delivery_address,
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _replay(*, customer_id: str, key: str, request_hash: str) -> dict | None:
    existing = repository.order_by_idempotency_key(get_database(), customer_id=customer_id, key=key)
    if existing is None:
        return None
    if existing["request_hash"] != request_hash:
        raise IdempotencyKeyReused()
    return existing


def order_place(
    *, customer_id: str, restaurant_id: str, items: list[dict], delivery_address: dict, idempotency_key: str | None
) -> tuple[dict, bool]:
    """Stores a new order as `placed` with server-side prices; returns (order, created).

    The same Idempotency-Key from the same customer returns the first order (created=False),
    even for concurrent retries: the unique index on (customer_id, idempotency_key) admits one.
    The first order is looked up only when this one cannot be stored (the insert hit the key, or
    pricing failed: a retry must get its order even if the restaurant has closed since), so a
    first attempt, the usual case, costs no read.
    """
    key = idempotency_key or f"auto-{uuid.uuid4().hex}"
    request_hash = _request_hash(restaurant_id=restaurant_id, items=items, delivery_address=delivery_address)
    try:
        document = _priced_order(
            customer_id=customer_id, restaurant_id=restaurant_id, items=items, delivery_address=delivery_address
        )
    except ApiError:
        if idempotency_key and (existing := _replay(customer_id=customer_id, key=key, request_hash=request_hash)):
            return existing, False
        raise
    document.update(idempotency_key=key, request_hash=request_hash)
    try:
        order = repository.order_insert(get_database(), document=document)
    except repository.DuplicateOrder:
        # A first attempt or a concurrent retry with the same key stored it.
        existing = _replay(customer_id=customer_id, key=key, request_hash=request_hash)
        if existing is None:
            raise
        return existing, False
    ORDERS_PLACED.inc()
    lists.listed(order)
    tracking.publish(order)
    clients.count_order_later(restaurant_id=restaurant_id)
    clients.dispatch_later()
    return order, True


def customer_order_place(
    *, customer_id: str, restaurant_id: str, items: list[dict], address_id: str, idempotency_key: str | None
) -> tuple[dict, bool]:
    """Placement as the customer asks for it (`POST /customers/me/orders`, which the gateway routes
    here): to one of their addresses, read from what the customer service published
    (common/contracts/customer_addresses.py), priced from the terms the restaurant service published
    (common/contracts/restaurant_terms.py, in `clients.restaurant_quote`): one service hop per order."""
    return order_place(
        customer_id=customer_id,
        restaurant_id=restaurant_id,
        items=items,
        delivery_address=clients.customer_delivery_address(customer_id=customer_id, address_id=address_id),
        idempotency_key=idempotency_key,
    )


def customer_order_quote(*, customer_id: str, restaurant_id: str, items: list[dict], address_id: str) -> dict:
    """`order_quote` for one of the customer's addresses, found as placement finds it."""
    return order_quote(
        customer_id=customer_id,
        restaurant_id=restaurant_id,
        items=items,
        delivery_address=clients.customer_delivery_address(customer_id=customer_id, address_id=address_id),
    )


def _priced_order(*, customer_id: str, restaurant_id: str, items: list[dict], delivery_address: dict) -> dict:
    """The new order's document, priced from the restaurant's current menu; raises the contract's
    error when the restaurant, an item or the address does not allow it."""
    now = _now()
    quote = clients.restaurant_quote(
        restaurant_id=restaurant_id, menu_item_ids=sorted({i["menu_item_id"] for i in items}), now=now
    )
    if quote["unknown_item_ids"]:
        raise UnknownItems(details={"menu_item_ids": quote["unknown_item_ids"]})
    priced = {line["menu_item_id"]: line for line in quote["items"]}
    unavailable = sorted(i for i, line in priced.items() if not line["available"])
    if unavailable:
        raise ItemsUnavailable(details={"menu_item_ids": unavailable})
    # A pause ends by itself: the quote says whether it lasts now (common/contracts/restaurant_terms.py).
    paused_until = quote.get("paused_until")
    if not quote["accepting_orders"] or not quote["is_open_now"] or paused_until:
        raise RestaurantNotAccepting(
            details={
                "accepting_orders": quote["accepting_orders"] and not paused_until,
                "is_open_now": quote["is_open_now"],
                "paused_until": paused_until,
            }
        )
    _check_delivery_area(
        pickup=quote.get("address"), dropoff=delivery_address, radius_km=quote.get("delivery_radius_km")
    )
    lines = [
        {
            "menu_item_id": i["menu_item_id"],
            "name": priced[i["menu_item_id"]]["name"],
            "unit_price_cents": priced[i["menu_item_id"]]["unit_price_cents"],
            "quantity": i["quantity"],
        }
        for i in items
    ]
    subtotal = sum(line["unit_price_cents"] * line["quantity"] for line in lines)
    fee = quote.get("delivery_fee_cents", 0)
    document = {
        "customer_id": customer_id,
        "restaurant_id": restaurant_id,
        "restaurant_owner_id": quote["owner_id"],
        "restaurant_name": quote.get("name", ""),
        "pickup_address": quote.get("address"),
        "items": lines,
        "subtotal_cents": subtotal,
        "delivery_fee_cents": fee,
        "total_cents": subtotal + fee,
        "delivery_address": delivery_address,
        "prep_time_min": quote.get("prep_time_min", settings.DEFAULT_PREP_TIME_MIN),
        "status": lifecycle.PLACED,
        "courier_id": None,
        "delivery_id": None,
        "dispatch": lifecycle.DISPATCH_WAITING,
        "history": [{"status": lifecycle.PLACED, "at": now, "actor_type": lifecycle.CUSTOMER, "actor_id": customer_id}],
        "created_at": now,
        "updated_at": now,
    }
    document.update(estimates.estimate(document, now))
    # The first promise, kept: an order later than it needs an operator's attention (orders/attention.py).
    document["promised_delivery_at"] = document["estimated_delivery_at"]
    return document


def order_quote(*, customer_id: str, restaurant_id: str, items: list[dict], delivery_address: dict) -> dict:
    """What placing this order would cost and when it would arrive, priced and checked exactly as
    placement prices and checks it (the same function); nothing is stored."""
    document = _priced_order(
        customer_id=customer_id, restaurant_id=restaurant_id, items=items, delivery_address=delivery_address
    )
    pickup = document["pickup_address"]
    distance = (
        round(geo.distance_km(pickup["lat"], pickup["lng"], delivery_address["lat"], delivery_address["lng"]), 2)
        if geo.has_coordinates(pickup) and geo.has_coordinates(delivery_address)
        else None
    )
    return {
        **{key: document[key] for key in ("restaurant_id", "items", "subtotal_cents", "delivery_fee_cents")},
        "total_cents": document["total_cents"],
        "distance_km": distance,
        "estimated_ready_at": document["estimated_ready_at"],
        "estimated_delivery_at": document["estimated_delivery_at"],
    }


def _check_delivery_area(*, pickup: dict | None, dropoff: dict, radius_km: float | None) -> None:
    """Both places with coordinates: the address must be within the restaurant's radius. Without
    coordinates on either side there is no distance rule (ARCHITECTURE 5)."""
    if radius_km is None or not geo.has_coordinates(pickup) or not geo.has_coordinates(dropoff):
        return
    distance = geo.distance_km(pickup["lat"], pickup["lng"], dropoff["lat"], dropoff["lng"])
    if distance > radius_km:
        raise OutsideDeliveryArea(details={"distance_km": round(distance, 2), "radius_km": radius_km})


def _order(order_id: str) -> dict:
    return found_by_id(order_id, lambda oid: repository.order_get(get_database(), order_id=oid), OrderNotFound)


def order_transition(
    *,
    order_id: str,
    target: str,
    actor_type: str,
    actor_id: str,
    restaurant_id: str | None = None,
    ready_in_min: int | None = None,
) -> dict:
    """Moves the order to `target` if the table allows it for this party; one winner under races.
    The estimates move with it (the kitchen's `ready_in_min` with `accepted`) in the same write."""
    order = _order(order_id)
    if not lifecycle.is_party(order, actor_type=actor_type, actor_id=actor_id) or (
        restaurant_id is not None and order["restaurant_id"] != restaurant_id
    ):
        raise OrderNotFound()  # not yours: indistinguishable from not existing
    return order_move(
        order=order,
        target=target,
        actor_type=actor_type,
        actor_id=actor_id,
        party={lifecycle.PARTY_FIELD[actor_type]: actor_id},
        ready_in_min=ready_in_min,
    )


def order_move(
    *,
    order: dict,
    target: str,
    actor_type: str,
    actor_id: str,
    party: dict,
    ready_in_min: int | None = None,
    note: dict | None = None,
    unless_voided: str | None = None,
) -> dict:
    """Moves `order` (as read, its caller's right to act on it checked) to `target` if the table
    allows it for this kind of actor, in one conditional update naming the state it leaves and
    `party`; `note` goes into the history entry (an operator's reason), and an operator action's
    move is refused once that action was voided (orders/operators.py)."""
    current = order["status"]
    if not lifecycle.allowed(current=current, target=target, actor_type=actor_type):
        raise IllegalTransition(
            f"An order that is {current} cannot become {target}.",
            details={
                "current": current,
                "requested": target,
                "allowed": lifecycle.next_states(current=current, actor_type=actor_type),
            },
        )
    now = _now()
    entry = {"status": target, "at": now, "actor_type": actor_type, "actor_id": actor_id, **(note or {})}
    facts = _facts_of_transition(order, target=target, now=now, ready_in_min=ready_in_min)
    after = {**order, **facts, "status": target, "history": [*order.get("history", []), entry]}
    updated = repository.order_apply_transition(
        get_database(),
        order_id=order["_id"],
        current=current,
        target=target,
        party=party,
        entry=entry,
        now=now,
        closes=target in lifecycle.FINAL_STATES,
        changes={**facts, **estimates.changes(after, now)},
        unless_voided=unless_voided,
    )
    if updated is None:  # a racing request moved it first (or the action was voided)
        raise IllegalTransition(
            f"The order just moved on from {current}.",
            details={"current": _order(str(order["_id"]))["status"], "requested": target},
        )
    TRANSITIONS.labels(target).inc()
    faults.point("order.transition.after_update")
    lists.moved(updated, was=current)
    if target in lifecycle.FINAL_STATES:
        lists.finished(updated)
    tracking.publish(updated)
    if updated.get("delivery_id"):
        clients.delivery_order_moved_later(order=updated)
    if target in (lifecycle.REJECTED, lifecycle.CANCELLED):
        # A kick, not the mechanism: the delivery service's reconciler frees the courier of a
        # finished order whether or not this arrives (it may be down or paused right now).
        clients.delivery_release_soon(order_id=str(order["_id"]))
    return updated


def _facts_of_transition(order: dict, *, target: str, now: datetime, ready_in_min: int | None) -> dict:
    """What a move itself establishes: the kitchen's word on its time, the moment of delivery."""
    if target == lifecycle.ACCEPTED:
        minutes = ready_in_min or order.get("prep_time_min") or settings.DEFAULT_PREP_TIME_MIN
        return {"kitchen_ready_at": now + timedelta(minutes=minutes)}
    if target == lifecycle.DELIVERED:
        return {"delivered_at": now}
    return {}


def order_delay(*, order_id: str, restaurant_id: str, owner_id: str, minutes: int) -> dict:
    """The kitchen runs late: the food will be ready `minutes` later than it said (or than now, if
    that has passed), and the arrival moves with it. While accepted or preparing; owner only."""
    for _attempt in range(5):
        order = _order(order_id)
        if order.get("restaurant_owner_id") != owner_id or order["restaurant_id"] != restaurant_id:
            raise OrderNotFound()
        if order["status"] not in lifecycle.DELAYABLE_STATES:
            raise IllegalTransition(
                f"An order that is {order['status']} cannot be delayed.",
                details={"current": order["status"], "allowed_while": list(lifecycle.DELAYABLE_STATES)},
            )
        now = _now()
        ready = max(estimates.kitchen_ready_at(order), now) + timedelta(minutes=minutes)
        delays = [*order.get("delays", []), {"minutes": minutes, "at": now}]
        updated = _store_estimates(order, now, facts={"kitchen_ready_at": ready, "delays": delays}, always=True)
        if updated is not None:
            return updated
    raise IllegalTransition("The order kept changing; try again.", details={"current": order["status"]})


def _store_estimates(order: dict, now: datetime, *, facts: dict, always: bool = False) -> dict | None:
    """Stores `facts` and the estimates they move (only moves of a minute or more), if the order is
    still the version read; publishes the change. The order unchanged when nothing is to be stored,
    None when another write came first (the caller reads again)."""
    changes = estimates.changes({**order, **facts}, now)
    if not changes and not always:
        return order
    updated = repository.order_update_if_version(
        get_database(), order_id=order["_id"], version=order.get("version", 0), changes={**facts, **changes}, now=now
    )
    if updated is not None:
        tracking.publish(updated)
    return updated


def order_courier_etas(*, etas: list[dict]) -> int:
    """The delivery service's word on where couriers are: `{order_id, courier_id, leg (pickup,
    dropoff, or route: the door counting the stops before it), at, speed_kmh}` each. The time is kept
    even when it moves nothing yet (a later moment may need it: the food gets ready, the courier is
    projected), and the orders whose arrival moves by a minute or more are re-estimated. A report for
    a courier the order names is kept, and one for an order that names no courier yet (the
    projection and this message travel apart: the estimates count it once the courier is
    projected); one for another courier is ignored. Returns how many orders moved."""
    moved = 0
    now = _now()
    for eta in etas:
        for _attempt in range(3):
            oid = parse_object_id(eta["order_id"])
            order = oid and repository.order_get(get_database(), order_id=oid)
            if not order or order.get("courier_id") not in (None, eta["courier_id"]):
                break
            if order["status"] in lifecycle.FINAL_STATES:
                break
            # The route's time at the door is kept apart: position reports never overwrite it.
            fact = "route_eta" if eta["leg"] == "route" else "courier_eta"
            said = {"leg": eta["leg"], "at": eta["at"], "courier_id": eta["courier_id"]}
            facts = {fact: said}
            if order.get("courier_id") is not None:
                facts["courier_speed_kmh"] = eta["speed_kmh"]
            # The sender sends a time only when it moved by a minute or more: each is worth a write.
            updated = _store_estimates(order, now, facts=facts, always=order.get(fact) != said)
            if updated is not None:
                moved += updated is not order
                break
    return moved


def order_refresh_due_estimates(*, limit: int = 500) -> int:
    """Moves on the estimates of unfinished orders that are about to pass (a kitchen or courier
    running late that nobody reported): never an estimate in the past. Safe in every replica at
    once (each write is conditional on the order's version). Returns how many moved."""
    now = _now()
    moved = 0
    for order in repository.orders_due_for_estimates(
        get_database(), before=now + timedelta(seconds=settings.ESTIMATE_MIN_AHEAD_S), limit=limit
    ):
        if estimates.due(order, now) and (updated := _store_estimates(order, now, facts={})) is not None:
            moved += updated is not order
    return moved


def order_project_courier(
    *,
    order_id: str,
    courier_id: str,
    delivery_id: str,
    courier_speed_kmh: float | None = None,
    courier_eta_at: datetime | None = None,
) -> dict:
    """Records the courier the delivery service assigned (it owns the assignment; this is its
    projection), with what the estimates need of them (their vehicle's speed, when they should reach
    the restaurant). Idempotent: the same assignment again answers the order as it is. An order that
    names another delivery, or no longer waits for pickup, is a conflict the caller resolves."""
    order = _order(order_id)
    if order.get("courier_id") == courier_id and order.get("delivery_id") == delivery_id:
        return order  # a retried or repeated message
    if order["status"] not in lifecycle.AWAITING_COURIER_STATES:
        raise IllegalTransition("The order no longer needs a courier.", details={"current": order["status"]})
    now = _now()
    facts = {"courier_speed_kmh": courier_speed_kmh}
    if courier_eta_at is not None:
        facts["courier_eta"] = {"leg": "pickup", "at": courier_eta_at, "courier_id": courier_id}
    after = {**order, **facts, "courier_id": courier_id, "delivery_id": delivery_id}
    updated = repository.order_set_courier(
        get_database(),
        order_id=order["_id"],
        courier_id=courier_id,
        delivery_id=delivery_id,
        states=lifecycle.AWAITING_COURIER_STATES,
        now=now,
        changes={**facts, **estimates.changes(after, now)},
    )
    if updated is None:
        latest = _order(order_id)
        if latest.get("courier_id") == courier_id and latest.get("delivery_id") == delivery_id:
            return latest  # a concurrent identical message won
        if latest["status"] not in lifecycle.AWAITING_COURIER_STATES:
            raise IllegalTransition("The order no longer needs a courier.", details={"current": latest["status"]})
        if delivery_id in latest.get("revoked_deliveries", ()):
            raise DeliveryRevoked(details={"delivery_id": delivery_id})
        raise CourierAlreadyAssigned(
            details={"courier_id": latest.get("courier_id"), "delivery_id": latest.get("delivery_id")}
        )
    lists.queued(updated)
    tracking.publish(updated)
    return updated


def order_unproject_courier(*, order_id: str, delivery_id: str) -> dict:
    """Forgets a courier whose delivery the delivery service no longer has (the reconciler's repair
    of a stale projection). Idempotent, and a no-op once the order names another delivery or has
    been picked up."""
    order = _order(order_id)
    updated = repository.order_clear_courier(
        get_database(),
        order_id=order["_id"],
        delivery_id=delivery_id,
        states=lifecycle.AWAITING_COURIER_STATES,
        now=_now(),
    )
    if updated is None:
        return order
    logger.warning("stale courier projection cleared", extra={"order_id": order_id, "delivery_id": delivery_id})
    lists.queued(updated)
    tracking.publish(updated)
    return updated
