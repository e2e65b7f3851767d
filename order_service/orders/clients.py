"""Calls from the order service to the customer, restaurant and delivery services (service tokens)."""

from __future__ import annotations

import contextlib
import contextvars
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import datetime
from urllib.parse import quote

from django.conf import settings

from common import faults
from common.coalesce import Coalescer
from common.contracts import customer_addresses, operator_console, restaurant_terms
from common.errors import ApiError, ServiceUnavailable
from common.http import internal_request, raise_for_upstream
from common.mongo import parse_object_id
from orders import lifecycle
from orders.errors import UnknownAddress, UnknownRestaurant

logger = logging.getLogger(__name__)

# Best-effort notifications run after the response: a placed order must not wait for the popular
# counter or the dispatcher. If the process dies first, the delivery service's periodic sweep
# still assigns the order; the popular counter may then miss one order.
_background = ThreadPoolExecutor(max_workers=4, thread_name_prefix="notify")


def in_background(call: Callable[[], None]) -> Future:
    context = contextvars.copy_context()  # keeps the request id in the logs and forwarded headers
    return _background.submit(context.run, _logged, call)


def _logged(call: Callable[[], None]) -> None:
    try:
        call()
    except Exception:  # a notification must never take the worker down
        logger.exception("background notification failed")


def customer_delivery_address(*, customer_id: str, address_id: str) -> dict:
    """One of the customer's addresses, as the customer service published it (common/contracts/customer_addresses.py),
    else from the customer service, which publishes it on the way; `UnknownAddress` when the customer
    has no such address."""
    if parse_object_id(address_id) is None:
        raise UnknownAddress(details={"address_id": address_id})
    published = customer_addresses.published(customer_id, address_id)
    if published is not None:
        return published
    response = internal_request(
        "customer", "GET", f"/internal/customers/{quote(customer_id, safe='')}/addresses/{address_id}"
    )
    if response.status_code == 404:
        raise UnknownAddress(details={"address_id": address_id})
    raise_for_upstream(response, "customer")
    body = response.json()
    return {key: body[key] for key in customer_addresses.FIELDS}


def restaurant_quote(*, restaurant_id: str, menu_item_ids: list[str], now: datetime | None = None) -> dict:
    """The restaurant's quote for these items at `now`: from the terms the restaurant service
    published (common/contracts/restaurant_terms.py), else from the restaurant service (at its own
    time), which publishes them on the way."""
    if parse_object_id(restaurant_id) is None:
        raise UnknownRestaurant(details={"restaurant_id": restaurant_id})
    terms = restaurant_terms.published(restaurant_id)
    if terms is not None:
        return restaurant_terms.quote(terms, menu_item_ids, now=now)
    response = internal_request(
        "restaurant",
        "POST",
        f"/internal/restaurants/{restaurant_id}/order-quote",
        json={"menu_item_ids": menu_item_ids},
    )
    if response.status_code == 404:
        raise UnknownRestaurant(details={"restaurant_id": restaurant_id})
    if response.status_code != 200:
        raise ServiceUnavailable(
            "The restaurant service could not price the order.",
            details={"service": "restaurant", "status": response.status_code},
        )
    return response.json()


def restaurant_check_owner(*, restaurant_id: str, owner_id: str) -> None:
    """Raises the restaurant service's own answer (404 restaurant_not_found, 403 not_owner) unless
    `owner_id` owns the restaurant."""
    response = internal_request(
        "restaurant", "GET", f"/internal/restaurants/{quote(restaurant_id, safe='')}/owners/{quote(owner_id, safe='')}"
    )
    raise_for_upstream(response, "restaurant")


_counts_lock = threading.Lock()
_pending_counts: Counter = Counter()
_dispatch_pending = threading.Event()


def count_order_later(*, restaurant_id: str) -> None:
    """Counts a placed order for the popular list; counts pile up and go out in one call per
    restaurant, so a burst of orders costs a few calls, not one each."""
    with _counts_lock:
        first = not _pending_counts
        _pending_counts[restaurant_id] += 1
    if first:
        in_background(_flush_counts)


def _flush_counts() -> None:
    time.sleep(settings.POPULAR_COUNT_FLUSH_S)  # orders placed meanwhile join this call
    with _counts_lock:
        counts = dict(_pending_counts)
        _pending_counts.clear()
    for restaurant_id, count in counts.items():
        try:
            internal_request(
                "restaurant", "POST", f"/internal/restaurants/{restaurant_id}/orders-placed", json={"count": count}
            )
        except ServiceUnavailable:
            # Best effort: the popular list may lag; an acknowledged order must not fail for it.
            logger.warning("orders not counted for popular list", extra={"restaurant_id": restaurant_id})


def dispatch_later() -> None:
    """Asks for a dispatch run; requests made while one is pending are merged into it (a run
    serves every waiting order)."""
    if _dispatch_pending.is_set():
        return
    _dispatch_pending.set()
    in_background(_dispatch_now)


def _dispatch_now() -> None:
    time.sleep(settings.DISPATCH_KICK_DELAY_S)  # orders placed meanwhile are served by the same run
    _dispatch_pending.clear()  # before the call: an order placed from here on asks for another run
    delivery_dispatch()


def delivery_dispatch() -> None:
    """Asks the delivery service to pair free couriers with waiting orders (best effort: its own
    periodic sweep picks up anything missed while it was down)."""
    try:
        internal_request("delivery", "POST", "/internal/dispatch")
    except ServiceUnavailable:
        logger.warning("delivery service not reached for dispatch")


def _send_moves(moves: list[dict]) -> None:
    for start in range(0, len(moves), 500):
        try:
            internal_request(
                "delivery", "POST", "/internal/deliveries/order-status", json={"orders": moves[start : start + 500]}
            )
        except ApiError:
            logger.warning("order moves not sent to the delivery service; its reconciler will mirror them")


_moves = Coalescer("order-moves", _send_moves, newer=lambda new, old: new["version"] > old["version"])


def delivery_order_moved_later(*, order: dict) -> None:
    """Tells the delivery service, after the answer, that an order with a courier moved: the
    courier's feed shows the order's status ("ready": go now). Latest per order, in batches (a busy
    kitchen costs a call per batch). Best effort: the delivery service's reconciler mirrors the
    status itself when this is lost, and the version orders late arrivals."""
    _moves.add(
        order["delivery_id"],
        {
            "id": str(order["_id"]),
            "delivery_id": order["delivery_id"],
            "status": order["status"],
            "version": order.get("version", 0),
            # What the courier may do next is the order's table's word (orders/lifecycle.py).
            "courier_actions": lifecycle.next_actions(current=order["status"])[lifecycle.COURIER],
        },
    )


def delivery_release_soon(*, order_id: str) -> None:
    """Sends the release in the background and waits a moment for it, so the usual answer comes
    after the courier is free (and has the next order); a slow or paused delivery service never
    holds the cancel longer than RELEASE_WAIT_S."""
    sent = in_background(lambda: delivery_release(order_id=order_id))
    with contextlib.suppress(FutureTimeout):
        sent.result(timeout=settings.RELEASE_WAIT_S)


def delivery_release(*, order_id: str) -> None:
    """Tells the delivery service that the order is finished, so its courier is freed now rather
    than at the reconciler's next pass. Best effort: any failure, a timeout included, is left to
    the reconciler, which reads the order's status itself."""
    try:
        response = faults.call(
            "order.release",
            lambda: internal_request("delivery", "POST", "/internal/deliveries/release", json={"order_id": order_id}),
        )
    except ApiError:
        logger.warning("courier release not confirmed; the reconciler will", extra={"order_id": order_id})
        return
    if response.status_code >= 400:
        logger.warning("courier release refused", extra={"order_id": order_id, "status": response.status_code})


def console_couriers(*, after: str | None) -> tuple[list[dict], str | None]:
    """A page of couriers as the operators' console shows them, from the delivery service, which owns
    them, and where the next page starts (None: from the first again; common/contracts/operator_console.py)."""
    params = {"after": after} if after else None
    response = internal_request("delivery", "GET", operator_console.COURIERS_PATH, params=params)
    raise_for_upstream(response, "delivery")
    answer = response.json()
    return answer["couriers"], answer.get("next")
