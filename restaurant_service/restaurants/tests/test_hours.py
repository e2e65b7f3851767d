"""Opening hours as weekly slots (pure logic)."""

from datetime import UTC, datetime, timedelta

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


def _utc(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def test_the_periods_from_a_moment_are_the_open_slots_in_utc():
    monday_ten_to_eleven = hours.open_slots([{"day": 0, "open": "10:00", "close": "11:00"}])

    periods = hours.open_periods(monday_ten_to_eleven, tz="UTC", start=_utc(30, 9, 7), span=timedelta(days=1))

    assert periods == [(_utc(30, 10), _utc(30, 11))]


def test_a_period_open_now_starts_with_the_current_slot_and_runs_across_midnight():
    evenings = hours.open_slots([{"day": day, "open": "18:00", "close": "02:00"} for day in range(7)])

    periods = hours.open_periods(evenings, tz="UTC", start=_utc(30, 20, 40), span=timedelta(hours=24))

    assert periods == [(_utc(30, 20, 30), _utc(1, 2, month=12)), (_utc(1, 18, month=12), _utc(1, 20, 45, month=12))]


def test_periods_follow_the_local_clock_over_a_daylight_saving_change():
    """Amsterdam moves from UTC+1 to UTC+2 at 02:00 on Sunday 29 March 2026: that Sunday is 23 hours."""
    sundays = hours.open_slots([{"day": 6, "open": "00:00", "close": "24:00"}])

    periods = hours.open_periods(sundays, tz="Europe/Amsterdam", start=_utc(28, 12, month=3), span=timedelta(days=2))

    assert periods == [(_utc(28, 23, month=3), _utc(29, 22, month=3))]
