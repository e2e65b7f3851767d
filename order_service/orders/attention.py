"""Why a live order needs an operator's attention (ARCHITECTURE 4.6): reason codes computed from
the order's own times and its courier's last position, as a pure function of the order and a
clock, so the codes appear and disappear as time passes, not only when something happens.

| code | the order | for at least |
| --- | --- | --- |
| `kitchen_slow` | is placed, not accepted | `ATTENTION_ACCEPT_S` (300) since placement |
| `waiting_for_courier` | has no courier (and can still get one) | `ATTENTION_WAITING_S` (300) since placement |
| `not_picked_up` | is ready, not picked up | `ATTENTION_PICKUP_S` (600) since it became ready |
| `courier_silent` | has a courier who sent no position | `ATTENTION_SILENT_S` (120): since their last position, else since the assignment |
| `late` | will arrive later than first promised | by `ATTENTION_LATE_S` (600), or the first promise has passed |

Each threshold is inclusive: an order placed exactly `ATTENTION_ACCEPT_S` ago is `kitchen_slow`.
The first promise is the `estimated_delivery_at` the customer saw at placement
(`promised_delivery_at`); the estimate compared with it is the one answers show
(`estimates.shown`: never in the past). Finished orders need no attention. The courier's last
position is what the delivery service publishes for the order (orders/tracking.py), which expires
once stale: then the assignment's time is the last sign of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings

from orders import estimates, lifecycle

KITCHEN_SLOW, WAITING_FOR_COURIER, NOT_PICKED_UP = "kitchen_slow", "waiting_for_courier", "not_picked_up"
COURIER_SILENT, LATE = "courier_silent", "late"
CODES = (KITCHEN_SLOW, WAITING_FOR_COURIER, NOT_PICKED_UP, COURIER_SILENT, LATE)


@dataclass(frozen=True)
class Thresholds:
    accept: timedelta
    waiting: timedelta
    pickup: timedelta
    silent: timedelta
    late: timedelta

    @classmethod
    def from_settings(cls) -> Thresholds:
        return cls(
            accept=timedelta(seconds=settings.ATTENTION_ACCEPT_S),
            waiting=timedelta(seconds=settings.ATTENTION_WAITING_S),
            pickup=timedelta(seconds=settings.ATTENTION_PICKUP_S),
            silent=timedelta(seconds=settings.ATTENTION_SILENT_S),
            late=timedelta(seconds=settings.ATTENTION_LATE_S),
        )


@dataclass(frozen=True)
class Facts:
    """What the rules read: the order (as stored), the clock, and when its courier was last heard of."""

    order: dict
    now: datetime
    courier_seen_at: datetime | None
    limits: Thresholds

    def since(self, at: datetime | None) -> timedelta | None:
        return None if at is None else self.now - at

    def entered(self, status: str) -> datetime | None:
        return next((e["at"] for e in reversed(self.order.get("history", [])) if e["status"] == status), None)


def _kitchen_slow(f: Facts) -> bool:
    return f.order["status"] == lifecycle.PLACED and f.since(f.order["created_at"]) >= f.limits.accept


def _waiting_for_courier(f: Facts) -> bool:
    waits = f.order["status"] in lifecycle.AWAITING_COURIER_STATES and not f.order.get("courier_id")
    return waits and f.since(f.order["created_at"]) >= f.limits.waiting


def _not_picked_up(f: Facts) -> bool:
    ready_for = f.since(f.entered(lifecycle.READY))
    return f.order["status"] == lifecycle.READY and ready_for is not None and ready_for >= f.limits.pickup


def _courier_silent(f: Facts) -> bool:
    if not f.order.get("courier_id"):
        return False
    quiet_for = f.since(f.courier_seen_at or f.order.get("assigned_at"))
    return quiet_for is not None and quiet_for >= f.limits.silent


def _late(f: Facts) -> bool:
    promised = f.order.get("promised_delivery_at")
    if promised is None:
        return False  # an order from before the promise was kept
    expected = estimates.shown(f.order, f.now)["estimated_delivery_at"]
    return f.now > promised or (expected is not None and expected - promised >= f.limits.late)


# The rules, in the order their codes are listed.
RULES: tuple[tuple[str, Callable[[Facts], bool]], ...] = (
    (KITCHEN_SLOW, _kitchen_slow),
    (WAITING_FOR_COURIER, _waiting_for_courier),
    (NOT_PICKED_UP, _not_picked_up),
    (COURIER_SILENT, _courier_silent),
    (LATE, _late),
)


def reasons(
    order: dict, *, now: datetime, courier_seen_at: datetime | None = None, limits: Thresholds | None = None
) -> list[str]:
    """The attention codes of `order` at `now` (empty for a finished order or one that goes well)."""
    if order["status"] in lifecycle.FINAL_STATES:
        return []
    facts = Facts(order, now, courier_seen_at, limits or Thresholds.from_settings())
    return [code for code, rule in RULES if rule(facts)]
