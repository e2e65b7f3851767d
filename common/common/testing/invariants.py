"""The cross-service dispatch invariants (ARCHITECTURE 4.2, 4.3, 4.7), checked the way a client can:
through the gateway's public API, as the customers and couriers themselves.

Used by the fault tests, the paused-service tests and `make chaos`. Returns the violations found
(empty when everything holds), so a caller can wait for convergence and then report them all.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from common.testing.waiting import eventually

FINAL = {"delivered", "cancelled", "rejected"}
ACTIVE_DELIVERY = {"assigned", "picked_up"}


def _all_pages(get: Callable[[str], dict], path: str) -> list[dict]:
    results, url = [], path
    while url:
        page = get(url)
        results.extend(page["results"])
        url = page.get("next")
        if url and "://" in url:
            url = url[url.index("/", url.index("://") + 3) :]  # the gateway's own absolute link
    return results


def dispatch_violations(
    call: Callable[..., object],
    *,
    customers: list[dict],
    couriers: list[dict],
    max_per_courier: int = 2,
    timed: bool = False,
) -> list[str]:
    """`call(method, path, headers=...)` answers a `requests.Response`; `customers` and `couriers`
    are the auth headers of every customer and courier in play. `max_per_courier`: active deliveries
    a courier may have (DISPATCH_MAX_ORDERS_PER_COURIER with planned routes, 1 with the nearest
    rule); `timed`: orders may wait while couriers are free (timed dispatch waits for the kitchen)."""

    def get(headers: dict) -> Callable[[str], dict]:
        def _get(path: str) -> dict:
            response = call("GET", path, headers=headers)
            assert response.status_code == 200, f"GET {path}: {response.status_code} {response.text}"
            return response.json()

        return _get

    orders = [o for h in customers for o in _all_pages(get(h), "/customers/me/orders")]
    couriers_now = []
    for headers in couriers:
        me = get(headers)("/couriers/me")
        active = [d for d in _all_pages(get(headers), "/deliveries") if d["status"] in ACTIVE_DELIVERY]
        couriers_now.append((me, active))
    return _order_side(orders, couriers_now, max_per_courier, timed) + _courier_side(
        orders, couriers_now, max_per_courier
    )


def _order_side(
    orders: list[dict], couriers_now: list[tuple[dict, list[dict]]], max_per_courier: int, timed: bool
) -> list[str]:
    """No courier named by more live orders than they may carry; every live order's courier has that
    delivery; no order waits while a courier is free (unless dispatch is timed)."""
    live = [o for o in orders if o["status"] not in FINAL]
    active_by_courier = {me["id"]: {d["order_id"] for d in active} for me, active in couriers_now}
    by_courier: dict[str, list[str]] = defaultdict(list)
    problems = []
    for order in live:
        courier_id = order.get("courier_id")
        if not courier_id:
            continue
        by_courier[courier_id].append(order["id"])
        if courier_id in active_by_courier and order["id"] not in active_by_courier[courier_id]:
            problems.append(f"live order {order['id']} names courier {courier_id}, who has no delivery for it")
    problems += [
        f"courier {courier_id} is named by {len(ids)} live orders: {ids}"
        for courier_id, ids in by_courier.items()
        if len(ids) > max_per_courier
    ]
    waiting = [o["id"] for o in live if not o.get("courier_id")]
    free = [me["id"] for me, active in couriers_now if me.get("available") and not active]
    if waiting and free and not timed:
        problems.append(f"orders {waiting[:5]} wait while couriers {free[:5]} are free")
    return problems


def _courier_side(orders: list[dict], couriers_now: list[tuple[dict, list[dict]]], max_per_courier: int) -> list[str]:
    """At most `max_per_courier` active deliveries per courier; every active delivery's order is
    live and names its courier."""
    orders_by_id = {o["id"]: o for o in orders}
    problems = []
    for me, active in couriers_now:
        if len(active) > max_per_courier:
            problems.append(f"courier {me['id']} has {len(active)} active deliveries")
        for delivery in active:
            order = orders_by_id.get(delivery["order_id"])
            if order is None:
                continue  # an order of a customer not in play
            if order["status"] in FINAL:
                problems.append(
                    f"active delivery {delivery['id']} is for order {order['id']}, which is {order['status']}"
                )
            elif order.get("courier_id") != me["id"]:
                problems.append(
                    f"active delivery {delivery['id']} of courier {me['id']}: the order names {order.get('courier_id')}"
                )
    return problems


def wait_for_dispatch_invariants(call: Callable[..., object], *, timeout_s: float = 30.0, **platform) -> list[str]:
    """Polls until the invariants hold (the reconciler converges within its interval) or the time
    is up; returns the violations still present at the end. `platform`: `dispatch_violations`'s."""
    problems: list[str] = []

    def hold() -> bool:
        problems[:] = dispatch_violations(call, **platform)
        return not problems

    eventually(hold, timeout_s=timeout_s, every_s=0.5)
    return problems
