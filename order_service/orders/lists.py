"""The customers' histories, the kitchens' lists of orders and the operators' list of the city's
orders as ranked indexes (common/ranked_index.py): a page and its count cost the same whether the
customer or the restaurant has ten orders or ten thousand, the city ten live orders or a thousand.
Newest first, as `repository.NEWEST_FIRST`: the score is the order's creation time and ties go to
the larger id, which is how a sorted set orders equal scores in reverse (oldest first, the smaller).

The operators' two lists (orders/operators.py) change as orders finish: the live orders (oldest
first) lose an order when it finishes, and the orders finished lately (latest first, scored by
when they finished) gain it and lose it `OPERATOR_FINISHED_VISIBLE_S` later. Both are rebuilt from
MongoDB every `OPERATOR_LISTS_REBUILD_S` whatever their readers, so what a writer missed (a process
that died between its write and the list's) is gone within that; and a page of live orders drops
any order it finds finished (a build that read it just before it finished)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings

from common import ranked_index
from common.mongo import get_database
from common.redis_client import redis_key
from orders import lifecycle, repository


def customer_key(customer_id: str) -> str:
    return redis_key("orders", "of-customer", customer_id)


def restaurant_key(restaurant_id: str) -> str:
    return redis_key("orders", "of-restaurant", restaurant_id)


def restaurant_status_key(restaurant_id: str, status: str) -> str:
    """A kitchen's orders in one state (`?status=`): an order moves between these as it moves on."""
    return redis_key("orders", "of-restaurant", restaurant_id, status)


def live_key() -> str:
    return redis_key("orders", "live")


def live_status_key(status: str) -> str:
    """The city's live orders in one state (`GET /operator/orders?status=`), oldest first."""
    return redis_key("orders", "live", status)


def waiting_key() -> str:
    """The dispatch queue: orders without a courier that can still get one, oldest first."""
    return redis_key("orders", "waiting")


def finished_key() -> str:
    return redis_key("orders", "finished-lately")


def _score(order: dict) -> float:
    return ranked_index.time_score(order["created_at"])


def listed(order: dict) -> None:
    """A new order joins its customer's, its restaurant's and the city's live lists (those built)."""
    member, score = str(order["_id"]), _score(order)
    ranked_index.add(
        (customer_key(order["customer_id"]), member, score),
        (restaurant_key(order["restaurant_id"]), member, score),
        (restaurant_status_key(order["restaurant_id"], order["status"]), member, score),
        (live_key(), member, score),
        (live_status_key(order["status"]), member, score),
        *([(waiting_key(), member, score)] if order.get("dispatch") == lifecycle.DISPATCH_WAITING else []),
    )


def queued(order: dict) -> None:
    """An order given a courier leaves the dispatch queue, one whose courier was taken off joins it
    again (if built)."""
    if order.get("dispatch") == lifecycle.DISPATCH_WAITING:
        ranked_index.add((waiting_key(), str(order["_id"]), _score(order)))
    else:
        ranked_index.remove(waiting_key(), str(order["_id"]))


def moved(order: dict, *, was: str) -> None:
    """An order that left state `was` leaves its kitchen's and the city's lists of that state for
    those of its new one (if built; the city's lists are of live orders only)."""
    member, score = str(order["_id"]), _score(order)
    ranked_index.move(
        restaurant_status_key(order["restaurant_id"], was),
        restaurant_status_key(order["restaurant_id"], order["status"]),
        member,
        score,
    )
    if order["status"] in lifecycle.FINAL_STATES:
        ranked_index.remove(live_status_key(was), member)
    else:
        ranked_index.move(live_status_key(was), live_status_key(order["status"]), member, score)


def finished(order: dict) -> None:
    """An order that finished leaves the live orders for those finished lately (if built), and the
    dispatch queue."""
    ranked_index.move(live_key(), finished_key(), str(order["_id"]), ranked_index.time_score(order["closed_at"]))
    ranked_index.remove(waiting_key(), str(order["_id"]))


def _page(key: str, query: dict, *, skip: int, limit: int) -> tuple[int, list[dict]] | None:
    db = get_database()

    def rebuild():
        return ((str(order["_id"]), _score(order)) for order in repository.orders_listed(db, query=query))

    found = ranked_index.page(
        key, skip=skip, limit=limit, newest_first=True, rebuild=rebuild, ttl_s=settings.ORDER_LISTS_TTL_S
    )
    if found is None:
        return None
    count, ids = found
    return count, repository.orders_in_order(db, order_ids=ids)


def customer_page(*, customer_id: str, skip: int, limit: int) -> tuple[int, list[dict]]:
    query = {"customer_id": customer_id}
    found = _page(customer_key(customer_id), query, skip=skip, limit=limit)
    return found if found is not None else repository.orders_page(get_database(), query=query, skip=skip, limit=limit)


def restaurant_page(*, restaurant_id: str, owner_id: str, skip: int, limit: int) -> tuple[int, list[dict]]:
    """The restaurant's orders, if `owner_id` owns them (every order names its restaurant's owner)."""
    query = {"restaurant_id": restaurant_id, "restaurant_owner_id": owner_id}
    found = _page(restaurant_key(restaurant_id), {"restaurant_id": restaurant_id}, skip=skip, limit=limit)
    if found is None or any(order["restaurant_owner_id"] != owner_id for order in found[1]):
        return repository.orders_page(get_database(), query=query, skip=skip, limit=limit)
    return found


def restaurant_status_page(
    *, restaurant_id: str, owner_id: str, status: str, skip: int, limit: int
) -> tuple[int, list[dict]]:
    """The restaurant's orders in `status`, newest first, if `owner_id` owns them. A build that read
    an order just before it moved on (or a writer that died before telling the list) leaves it in
    the wrong state's list: the page finds it in another state, drops it and reads the page again."""
    key, query = restaurant_status_key(restaurant_id, status), {"restaurant_id": restaurant_id, "status": status}
    for _attempt in range(3):
        found = _page(key, query, skip=skip, limit=limit)
        if found is None or any(order["restaurant_owner_id"] != owner_id for order in found[1]):
            break
        moved_on = [str(order["_id"]) for order in found[1] if order["status"] != status]
        if not moved_on:
            return found
        for member in moved_on:
            ranked_index.remove(key, member)
    owned = {**query, "restaurant_owner_id": owner_id}
    return repository.orders_page(get_database(), query=owned, skip=skip, limit=limit)


# --- the operators' list of the city's orders (orders/operators.py) -------------------------------------


def live_page(*, skip: int, limit: int, status: str | None = None) -> tuple[int, list[dict]] | None:
    """(count, the page) of the city's live orders (in `status` only, if given), oldest first; None
    when Redis cannot answer."""
    db = get_database()
    key = live_key() if status is None else live_status_key(status)
    for _attempt in range(3):
        found = ranked_index.page(
            key,
            skip=skip,
            limit=limit,
            newest_first=False,
            rebuild=lambda: ((str(o["_id"]), _score(o)) for o in repository.orders_live_listed(db, status=status)),
            ttl_s=settings.OPERATOR_LISTS_REBUILD_S,
            slide=False,
        )
        if found is None:
            return None
        count, orders = found[0], repository.orders_in_order(db, order_ids=found[1])
        listed = {
            str(o["_id"]) for o in orders if o.get("dispatch") in repository.LIVE and status in (None, o["status"])
        }
        gone = set(found[1]) - listed
        if not gone:
            return count, orders
        for member in gone:  # finished or moved on (or never stored) since the list was built
            ranked_index.remove(key, member)
    return repository.orders_live_page(db, status=status, skip=skip, limit=limit)


def finished_page(*, since: datetime, hours: list[str], skip: int, limit: int) -> tuple[int, list[dict]] | None:
    """(count, the page) of the orders finished at or after `since`, the latest first; None when
    Redis cannot answer."""
    db = get_database()
    found = ranked_index.page_since(
        finished_key(),
        since=ranked_index.time_score(since),
        skip=skip,
        limit=limit,
        rebuild=lambda: (
            (str(o["_id"]), ranked_index.time_score(o["closed_at"]))
            for o in repository.orders_closed_listed(db, since=since, hours=hours)
        ),
        ttl_s=settings.OPERATOR_LISTS_REBUILD_S,
    )
    if found is None:
        return None
    return found[0], repository.orders_in_order(db, order_ids=found[1])


def waiting_page(*, limit: int) -> list[dict]:
    """The first `limit` orders of the dispatch queue, oldest first (every dispatch pass reads it).
    From MongoDB, the queue is every waiting order read and sorted on each pass (the local store
    pushes neither sort nor limit down: in a city whose orders are all live, PostgreSQL scans the
    whole table for it); here a page by rank, the set rebuilt every OPERATOR_LISTS_REBUILD_S whatever
    its readers, so an order a writer failed to queue again waits at most that long. An order the
    page finds with a courier or finished leaves the set."""
    db = get_database()
    for _attempt in range(3):
        found = ranked_index.page(
            waiting_key(),
            skip=0,
            limit=limit,
            newest_first=False,
            rebuild=lambda: ((str(o["_id"]), _score(o)) for o in repository.orders_dispatch_listed(db)),
            ttl_s=settings.OPERATOR_LISTS_REBUILD_S,
            slide=False,
        )
        if found is None:
            break
        orders = repository.orders_in_order(db, order_ids=found[1])
        gone = set(found[1]) - {str(o["_id"]) for o in orders if o.get("dispatch") == lifecycle.DISPATCH_WAITING}
        if not gone:
            return orders
        for member in gone:
            ranked_index.remove(waiting_key(), member)
    return repository.orders_in_dispatch(db, dispatch=lifecycle.DISPATCH_WAITING, limit=limit)
