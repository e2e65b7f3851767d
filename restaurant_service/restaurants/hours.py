"""Opening hours: validation, the weekly 15-minute slots they cover, and "open now".

Hours are given per weekday (0 = Monday) in the platform's time zone, as `HH:MM` on quarter
hours; `close` at or before `open` means the evening runs past midnight. Each restaurant stores
the set of weekly 15-minute slots it is open in, so "open now" is one equality match on an array
(`{"open_slots": slot}`), which MongoDB and FerretDB v1 both index and query (FerretDB v1 has
no `$elemMatch` on sub-documents with several fields).
"""

from __future__ import annotations

import re
from datetime import datetime

# The weekly slots are shared with the order service, which checks them in a restaurant's
# published terms (common/price_list.py).
from common.price_list import SLOT_MINUTES, SLOTS_PER_DAY, SLOTS_PER_WEEK, weekly_slot

_TIME = re.compile(r"^([01]\d|2[0-3]):(00|15|30|45)$|^24:00$")


def valid_time(value: str) -> bool:
    return bool(_TIME.match(value))


def _minutes(value: str) -> int:
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


def open_slots(opening_hours: list[dict]) -> list[int]:
    """Weekly slot numbers covered by the hours; no hours at all means always open."""
    if not opening_hours:
        return list(range(SLOTS_PER_WEEK))
    slots: set[int] = set()
    for entry in opening_hours:
        start = entry["day"] * SLOTS_PER_DAY + _minutes(entry["open"]) // SLOT_MINUTES
        end_minutes = _minutes(entry["close"])
        if end_minutes <= _minutes(entry["open"]):
            end_minutes += 24 * 60  # past midnight, into the next day
        end = entry["day"] * SLOTS_PER_DAY + end_minutes // SLOT_MINUTES
        slots.update(slot % SLOTS_PER_WEEK for slot in range(start, end))
    return sorted(slots)


def current_slot(*, tz: str, now: datetime | None = None) -> int:
    return weekly_slot(tz=tz, now=now)
