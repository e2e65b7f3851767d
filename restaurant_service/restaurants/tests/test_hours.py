"""Opening hours as weekly slots (pure logic)."""

from datetime import UTC, datetime

from restaurants import hours


def test_no_hours_means_always_open():
    assert len(hours.open_slots([])) == hours.SLOTS_PER_WEEK


def test_a_day_range_covers_its_quarter_hours():
    slots = hours.open_slots([{"day": 0, "open": "10:00", "close": "11:00"}])

    assert slots == [40, 41, 42, 43]


def test_an_evening_past_midnight_runs_into_the_next_day():
    slots = hours.open_slots([{"day": 6, "open": "23:00", "close": "01:00"}])

    assert slots[:4] == [0, 1, 2, 3]  # Monday 00:00-01:00
    assert slots[-1] == hours.SLOTS_PER_WEEK - 1  # Sunday 23:45


def test_current_slot_uses_the_platform_time_zone():
    monday_noon_utc = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)

    assert hours.current_slot(tz="UTC", now=monday_noon_utc) == 48
    assert hours.current_slot(tz="Europe/Amsterdam", now=monday_noon_utc) == 52
