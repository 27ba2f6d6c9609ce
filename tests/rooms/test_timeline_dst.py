"""The grid's axis on the days the clocks change: real instants, the viewer's labels;
and the half hour holding now."""

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from rooms.models import GridBooking
from rooms.timeline import build_day_timeline, slots_html

# (zone, day, clocks, booking start and end as UTC instants)
CASES = {
    "berlin spring": ("Europe/Berlin", date(2027, 3, 28), "forward"),
    "berlin autumn": ("Europe/Berlin", date(2027, 10, 31), "back"),
    "new york spring": ("America/New_York", date(2027, 3, 14), "forward"),
    "new york autumn": ("America/New_York", date(2027, 11, 7), "back"),
}
BEFORE = datetime(2027, 1, 1, tzinfo=ZoneInfo("UTC"))


def _booking(zone: ZoneInfo, day: date, start_hour: int, end_hour: int) -> GridBooking:
    start = datetime(day.year, day.month, day.day, start_hour, tzinfo=zone)
    end = datetime(day.year, day.month, day.day, end_hour, tzinfo=zone)
    return GridBooking(1, 1, start.astimezone(ZoneInfo("UTC")), end.astimezone(ZoneInfo("UTC")), "Night", 1, "N", "n@x")


@pytest.mark.parametrize("case", CASES)
def test_the_axis_follows_the_clock_change(case):
    name, day, clocks = CASES[case]
    zone = ZoneInfo(name)
    booking = _booking(zone, day, 1, 4)  # 01:00-04:00 on the wall clock
    with timezone.override(zone):
        strip = build_day_timeline(day, [booking], now=BEFORE)
        hours = [f"{moment:%H:%M}" for _left, moment in strip.hours[:5]]
        labels = [slot.column.label for slot in strip.slots[:8]]
        real = (booking.end - booking.start).total_seconds() / 3600
    if clocks == "forward":
        assert "02:00" not in hours and "02:30" not in labels
        assert hours[:3] == ["01:00", "03:00", "04:00"]
        assert real == 2
    else:
        repeated = "02:00" if name == "Europe/Berlin" else "01:00"
        assert hours.count(repeated) == 2
        assert labels.count(f"{repeated[:2]}:30") == 2
        assert real == 4
        twice = [slot for slot in strip.slots if slot.column.label in (repeated, f"{repeated[:2]}:30")]
        assert twice and not any(slot.free for slot in twice), "a repeated wall time is not offered"
    [block] = strip.blocks
    total = (strip.end.astimezone(UTC) - strip.start.astimezone(UTC)).total_seconds()  # real seconds
    assert block.width == pytest.approx(real * 3600 / total * 100, abs=0.01)
    four = next(left for left, moment in strip.hours if moment.hour == 4)
    assert block.left + block.width == pytest.approx(four, abs=0.01), "the block ends at the 04:00 mark"


def test_slots_before_and_after_a_spring_change_book_existing_times():
    zone = ZoneInfo("Europe/Berlin")
    day = date(2027, 3, 28)
    with timezone.override(zone):
        strip = build_day_timeline(day, [_booking(zone, day, 0, 1)], now=BEFORE)
    queries = {slot.column.label: slot.column.query for slot in strip.slots if slot.free}
    assert "02:00" not in queries and "02:30" not in queries
    assert queries["01:30"].endswith("start=01:30&amp;end=03:00"), "30 real minutes end at 03:00"
    assert all(datetime.fromisoformat(f"2027-03-28T{label}").hour != 2 for label in queries)


def test_a_slot_near_midnight_ends_the_next_day():
    zone = ZoneInfo("Asia/Tokyo")
    day = date(2027, 5, 10)
    late = _booking(zone, day, 22, 23)
    with timezone.override(zone):
        strip = build_day_timeline(
            day,
            [late],
            now=BEFORE,
            window=(datetime(2027, 5, 10, 22, tzinfo=zone), datetime(2027, 5, 11, 0, tzinfo=zone)),
        )
    last = strip.slots[-1].column
    assert last.label == "23:30" and last.query.endswith("end=00:00&amp;end_date=2027-05-11")
    assert strip.blocks[0].starts == "22:00" and not strip.blocks[0].next_day
    overnight = GridBooking(2, 1, late.start + timedelta(hours=1), late.end + timedelta(hours=3), "x", 1, "N", "n@x")
    with timezone.override(zone):
        block = build_day_timeline(day, [overnight], now=BEFORE).blocks[0]
    assert block.next_day and block.ends == "02:00"


def _strip_at(now_hour: int, now_minute: int, bookings_at: list[tuple[int, int]]):
    """A Berlin day strip seen at now_hour:now_minute, with bookings (hour, minute) for 30 minutes."""
    zone = ZoneInfo("Europe/Berlin")
    day = date(2027, 6, 9)
    bookings = []
    for hour, minute in bookings_at:
        start = datetime(2027, 6, 9, hour, minute, tzinfo=zone).astimezone(UTC)
        bookings.append(GridBooking(1, 1, start, start + timedelta(minutes=30), "Busy", 1, "B", "b@x"))
    now = datetime(2027, 6, 9, now_hour, now_minute, 20, tzinfo=zone).astimezone(UTC)
    with timezone.override(zone):
        strip = build_day_timeline(day, bookings, now=now)
        html = str(slots_html(strip.slots, "/rooms/1/book/", "Cedar"))
    return strip, html


def _slot(strip, label: str):
    zone = ZoneInfo("Europe/Berlin")
    return next(slot for slot in strip.slots if f"{slot.column.start.astimezone(zone):%H:%M}" == label)


def test_the_current_half_hour_is_not_offered_when_too_little_of_it_is_left(settings):
    settings.BOOKING_MIN_MINUTES = 15
    strip, html = _strip_at(12, 59, [(13, 0)])
    assert not _slot(strip, "12:30").free, "one minute left, and 13:00-13:30 is booked"
    assert "start=13:00" not in html, "the booked half hour is never offered"
    strip, _html = _strip_at(12, 46, [])
    assert not _slot(strip, "12:30").free, "12:50-13:00 is shorter than the shortest booking"
    settings.BOOKING_MIN_MINUTES = 5
    strip, _html = _strip_at(12, 46, [])
    assert _slot(strip, "12:30").free


def test_the_current_half_hour_offers_only_what_is_left_of_itself(settings):
    settings.BOOKING_MIN_MINUTES = 15
    strip, html = _strip_at(12, 40, [(13, 0)])
    current = _slot(strip, "12:30")
    assert current.free
    assert current.column.query == "date=2027-06-09&amp;start=12:45&amp;end=13:00"
    assert 'data-start="2027-06-09T12:45" data-end="2027-06-09T13:00"' in html
    assert not _slot(strip, "13:00").free


def test_the_current_half_hour_joins_the_next_without_sharing_its_key(settings):
    settings.BOOKING_MIN_MINUTES = 15
    strip, html = _strip_at(12, 40, [])
    current, following = _slot(strip, "12:30"), _slot(strip, "13:00")
    assert current.free and following.free
    keys = re.findall(r'data-slot="([^"]+)"', html)
    assert len(keys) == len(set(keys)) == sum(slot.free for slot in strip.slots)
    assert "2027-06-09T12:30" in keys and "2027-06-09T13:00" in keys
    ends = dict(re.findall(r'data-slot="([^"]+)" data-start="[^"]+" data-end="([^"]+)"', html))
    assert ends["2027-06-09T12:30"] == "2027-06-09T13:00", "the drag joins it to 13:00, not beyond"
    for minute in (55, 57, 59):  # the next five-minute mark is the next half hour
        _strip, html = _strip_at(12, minute, [])
        keys = re.findall(r'data-slot="([^"]+)"', html)
        assert len(keys) == len(set(keys)) and "start=13:00&amp;end=13:30" in html
        assert html.count("start=13:00&amp;end=13:30") == 1
