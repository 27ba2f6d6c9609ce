"""Times as a person's clock shows them: overnight spans and the days the clocks change."""

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from rooms.models import Booking
from tests.e2e.test_booking_flow import log_in
from tests.factories import BookingFactory, RoomFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _form_span(page) -> tuple[str, ...]:
    return tuple(
        page.locator(f"input[name={name}]").input_value() for name in ("date", "start_time", "end_date", "end_time")
    )


def test_book_overnight_and_reopen_it_unchanged(live_server, new_page, shot):
    room = RoomFactory(name="Night room", capacity=4)
    user = UserFactory(email="night@example.com")
    day = timezone.localdate() + timedelta(days=2)
    after = day + timedelta(days=1)
    page = new_page()
    log_in(page, live_server.url, user.email)
    page.goto(f"{live_server.url}/rooms/{room.pk}/book/")
    page.fill("input[name=title]", "Release night")
    page.fill("input[name=date]", day.isoformat())
    page.fill("input[name=start_time]", "23:00")
    page.fill("input[name=end_date]", after.isoformat())
    page.fill("input[name=end_time]", "01:30")
    page.click("#booking-form button[type=submit]")
    expect(page.locator(".alert-success")).to_contain_text("Night room is booked")
    booking = Booking.objects.get(title="Release night")
    assert booking.end - booking.start == timedelta(hours=2, minutes=30)

    page.goto(f"{live_server.url}/bookings/")
    expect(page.locator("#upcoming-bookings")).to_contain_text("23:00–01:30 (+1 day)")
    page.goto(f"{live_server.url}/bookings/{booking.pk}/edit/")
    assert _form_span(page) == (day.isoformat(), "23:00", after.isoformat(), "01:30")
    shot(page, "overnight-edit")
    page.click("#booking-form button[type=submit]")
    expect(page.locator(".alert-success")).to_be_visible()
    booking.refresh_from_db()
    assert (booking.end - booking.start, f"{timezone.localtime(booking.end):%H:%M}") == (
        timedelta(hours=2, minutes=30),
        "01:30",
    ), "saving without a change keeps the span"


# zone, day, the hour the clocks skip or repeat, forward?
DST_DAYS = {
    "berlin spring": ("Europe/Berlin", "2027-03-28", "02:00", True),
    "berlin autumn": ("Europe/Berlin", "2027-10-31", "02:00", False),
    "new york spring": ("America/New_York", "2027-03-14", "02:00", True),
    "new york autumn": ("America/New_York", "2027-11-07", "01:00", False),
}


@pytest.mark.parametrize("case", DST_DAYS)
def test_the_day_the_clocks_change_draws_real_hours(live_server, new_page, shot, case):
    zone_name, day, hour, forward = DST_DAYS[case]
    zone = ZoneInfo(zone_name)
    room = RoomFactory(name="Clock room", capacity=4)
    user = UserFactory(email="clock@example.com", timezone=zone_name)
    year, month, date_ = (int(part) for part in day.split("-"))
    start = datetime(year, month, date_, 1, tzinfo=zone).astimezone(UTC)
    end = datetime(year, month, date_, 4, tzinfo=zone).astimezone(UTC)
    BookingFactory(room=room, user=user, title="Night shift", start=start, end=end)
    page = new_page()
    log_in(page, live_server.url, user.email)
    page.goto(f"{live_server.url}/timeline/?day={day}")
    header = page.locator("#day-grid .grid-row").first.locator(".timeline-hours span")
    marks = header.all_text_contents()
    slots = page.locator("#day-grid a[data-slot]").evaluate_all("els => els.map(e => e.dataset.slot)")
    if forward:
        assert hour not in marks and f"{day}T{hour}" not in slots and f"{day}T{hour[:2]}:30" not in slots
        assert marks[:3] == ["01:00", "03:00", "04:00"]
    else:
        assert marks.count(hour) == 2, marks
        assert f"{day}T{hour}" not in slots, "a repeated wall time is not offered"
    block = page.locator("#day-grid .timeline-block").first.bounding_box()
    four = header.nth(marks.index("04:00")).bounding_box()
    assert abs(block["x"] + block["width"] - (four["x"] + four["width"] / 2)) < 3, "the booking ends at the 04:00 mark"
    shot(page, f"dst-{case.replace(' ', '-')}")


@pytest.mark.parametrize("width", [1280, 360])
def test_hour_labels_never_overlap_on_a_whole_day(live_server, new_page, width):
    """A booking at 00:30 and one at 23:00 stretch the day view to 24 hours; on the
    room page of a phone even the usual 12 hours are narrow."""
    room = RoomFactory(name="All day", capacity=4)
    user = UserFactory(email="allday@example.com")
    day = timezone.localdate() + timedelta(days=1)
    midnight = timezone.make_aware(datetime.combine(day, datetime.min.time()))
    BookingFactory(room=room, start=midnight + timedelta(minutes=30), end=midnight + timedelta(hours=1))
    BookingFactory(room=room, start=midnight + timedelta(hours=23), end=midnight + timedelta(hours=24))
    page = new_page()
    log_in(page, live_server.url, user.email)
    page.set_viewport_size({"width": width, "height": 800})
    for path in (
        f"/timeline/?day={day}",
        f"/rooms/{room.pk}/?day={day}",
        f"/rooms/{room.pk}/?day={day + timedelta(days=1)}",
    ):
        page.goto(live_server.url + path)
        boxes = (
            page.locator(".timeline-hours")
            .first.locator("span")
            .evaluate_all(
                """spans => spans.filter(s => getComputedStyle(s).visibility !== 'hidden')
                .map(s => { const r = s.getBoundingClientRect(); return [s.textContent, r.left, r.right]; })"""
            )
        )
        assert len(boxes) >= 6, (path, boxes)
        for (name, _left, right), (following, left, _right) in pairwise(boxes):
            assert right + 2 <= left, f"{path}: {name} and {following} overlap at {width} px"
