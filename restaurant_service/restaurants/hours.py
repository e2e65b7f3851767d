"""Opening hours: validation, the weekly 15-minute slots they cover, "open now", and the periods
they make from a given moment (what the published terms carry for the order service).

Hours are given per weekday (0 = Monday) in the platform's time zone, as `HH:MM` on quarter
hours; `close` at or before `open` means the evening runs past midnight. The set of weekly
15-minute slots each restaurant is open in is stored (in a collection of its own, beside the
restaurant: restaurants/repository.py), so "open now" is one equality match on an array
(`{"open_slots": slot}`), which MongoDB and FerretDB v1 both index and query (FerretDB v1 has
no `$elemMatch` on sub-documents with several fields).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

SLOT_MINUTES = 15
SLOTS_PER_DAY = 24 * 60 // SLOT_MINUTES
SLOTS_PER_WEEK = 7 * SLOTS_PER_DAY

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
    """The weekly 15-minute slot `now` falls in, in time zone `tz`."""
    local = (now or datetime.now(UTC)).astimezone(ZoneInfo(tz))
    return local.weekday() * SLOTS_PER_DAY + (local.hour * 60 + local.minute) // SLOT_MINUTES


def is_open(opening_hours: list[dict], *, tz: str, now: datetime | None = None) -> bool:
    """Whether a restaurant with these hours is open at `now` (no hours at all: always)."""
    return current_slot(tz=tz, now=now) in open_slots(opening_hours)


def open_periods(slots: list[int], *, tz: str, start: datetime, span: timedelta) -> list[tuple[datetime, datetime]]:
    """The periods [from, until) in which the restaurant is open between `start` (the beginning of its
    slot) and `start + span`, as UTC instants: what another service needs to know "open at t" without
    the slots (the published terms, common/contracts/restaurant_terms.py). Slots are stepped in UTC,
    so a daylight-saving change is where the local clock says it is."""
    open_at = set(slots)
    step = timedelta(minutes=SLOT_MINUTES)
    at = start.astimezone(UTC).replace(second=0, microsecond=0)
    at -= timedelta(minutes=at.minute % SLOT_MINUTES)  # every time zone's offset is a whole number of slots
    end = start + span
    periods: list[tuple[datetime, datetime]] = []
    while at < end:
        if current_slot(tz=tz, now=at) in open_at:
            if periods and periods[-1][1] == at:
                periods[-1] = (periods[-1][0], at + step)
            else:
                periods.append((at, at + step))
        at += step
    return periods
