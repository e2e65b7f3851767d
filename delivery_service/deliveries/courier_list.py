"""The operators' list of couriers in id order as a ranked index (common/ranked_index.py): a page and
its count cost the same among a hundred couriers or a hundred thousand (issue #42); counting them
and sorting by id decoded every courier on the local store (0.9 s among 11,000)."""

from __future__ import annotations

from django.conf import settings

from common import ranked_index
from common.mongo import get_database
from common.redis_client import redis_key
from deliveries import repository


def key() -> str:
    return redis_key("couriers", "listed")


def duty_key(available: bool) -> str:
    """The couriers on duty, or off it (`?available=`), in id order like `key()`'s list."""
    return redis_key("couriers", "listed", repository.ON_DUTY if available else repository.OFF_DUTY)


def listed(courier: dict) -> None:
    """A new courier joins the list and their duty's (those built)."""
    member = str(courier["_id"])
    ranked_index.add((key(), member, 0.0), (duty_key(bool(courier.get("available"))), member, 0.0))


def duty_changed(courier: dict) -> None:
    """A courier who went on or off duty moves to that duty's list (if built)."""
    available = bool(courier.get("available"))
    ranked_index.move(duty_key(not available), duty_key(available), str(courier["_id"]), 0.0)


def page(*, available: bool | None, skip: int, limit: int) -> tuple[int, list[dict]]:
    """(count, the page) of couriers in id order, or of those on or off duty."""
    db = get_database()
    if available is None:
        found = ranked_index.page(
            key(),
            skip=skip,
            limit=limit,
            newest_first=False,
            rebuild=lambda: ((courier["_id"], 0.0) for courier in repository.courier_ids(db)),
            ttl_s=settings.COURIER_LIST_TTL_S,
        )
        if found is not None:
            return found[0], repository.couriers_in_order(db, courier_ids=found[1])
        return repository.couriers_page(db, available=available, skip=skip, limit=limit)
    duty = repository.ON_DUTY if available else repository.OFF_DUTY
    for _attempt in range(3):
        # Rebuilt every COURIER_LIST_TTL_S whatever its readers (`slide=False`): a move a process
        # missed (it died between its write and the list's) is mended within that.
        found = ranked_index.page(
            duty_key(available),
            skip=skip,
            limit=limit,
            newest_first=False,
            rebuild=lambda: ((courier["_id"], 0.0) for courier in repository.courier_ids(db, duty=duty)),
            ttl_s=settings.COURIER_LIST_TTL_S,
            slide=False,
        )
        if found is None:
            break
        couriers = repository.couriers_in_order(db, courier_ids=found[1])
        # A build that read a courier just before they changed duty leaves them under the old one.
        wrong = set(found[1]) - {c["_id"] for c in couriers if c.get("duty") == duty}
        if not wrong:
            return found[0], couriers
        for member in wrong:
            ranked_index.remove(duty_key(available), member)
    return repository.couriers_page(db, available=available, skip=skip, limit=limit)


# --- a courier's own deliveries, newest first (GET /deliveries) -----------------------------------------


def deliveries_key(courier_id: str) -> str:
    return redis_key("deliveries", "of-courier", courier_id)


def _score(delivery: dict) -> float:
    return ranked_index.time_score(delivery["created_at"])


def delivery_listed(delivery: dict) -> None:
    """A new delivery joins its courier's list (if it is built)."""
    ranked_index.add((deliveries_key(delivery["courier_id"]), str(delivery["_id"]), _score(delivery)))


def deliveries_page(*, courier_id: str, status: str | None, skip: int, limit: int) -> tuple[int, list[dict]]:
    """(count, the page) of the courier's deliveries, newest first; with a status, from MongoDB."""
    db = get_database()
    if status is None:
        found = ranked_index.page(
            deliveries_key(courier_id),
            skip=skip,
            limit=limit,
            newest_first=True,
            rebuild=lambda: (
                (str(d["_id"]), _score(d)) for d in repository.deliveries_listed(db, courier_id=courier_id)
            ),
            ttl_s=settings.COURIER_LIST_TTL_S,
        )
        if found is not None:
            return found[0], repository.deliveries_in_order(db, delivery_ids=found[1])
    return repository.deliveries_page(db, courier_id=courier_id, status=status, skip=skip, limit=limit)
