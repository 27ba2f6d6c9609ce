"""The booking form opens on exactly the span it was asked for, wherever from,
and a span across midnight survives a round trip."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from rooms.forms import ceil_half_hour, next_free_slot
from rooms.models import Booking
from tests.factories import BookingFactory, UserFactory

pytestmark = pytest.mark.django_db


def _form_initial(client, room, **query):
    response = client.get(reverse("rooms:book", args=[room.pk]), query)
    assert response.status_code == 200
    return response.context_data["form"].initial


@pytest.mark.parametrize("zone", ["America/Los_Angeles", "Europe/Moscow", "Pacific/Auckland", "Asia/Kolkata"])
def test_a_clicked_half_hour_opens_as_that_half_hour(client, room, zone):
    person = UserFactory(timezone=zone)
    client.force_login(person)
    day = (datetime.now(ZoneInfo(zone)) + timedelta(days=1)).date()
    html = client.get(reverse("rooms:timeline"), {"day": day.isoformat()}).content.decode()
    link = f"?date={day}&amp;start=09:00&amp;end=09:30"
    assert link in html
    initial = _form_initial(client, room, date=day.isoformat(), start="09:00", end="09:30")
    assert (initial["date"], initial["start_time"], initial["end_date"], initial["end_time"]) == (
        day,
        time(9),
        day,
        time(9, 30),
    )


@pytest.mark.parametrize("zone", ["Europe/Moscow", "America/Los_Angeles", "Pacific/Kiritimati"])
def test_a_start_without_an_end_gets_half_an_hour_even_across_midnight(client, room, zone):
    client.force_login(UserFactory(timezone=zone))
    initial = _form_initial(client, room, date="2027-06-10", start="12:00")
    assert (initial["end_date"], initial["end_time"]) == (date(2027, 6, 10), time(12, 30))
    initial = _form_initial(client, room, date="2027-06-10", start="23:45")
    assert (initial["date"], initial["end_date"], initial["end_time"]) == (
        date(2027, 6, 10),
        date(2027, 6, 11),
        time(0, 15),
    )


def test_a_garbage_prefill_falls_back_to_something_bookable(employee_client, room):
    initial = _form_initial(employee_client, room, date="2027-02-30", start="25:00", end="x")
    start = datetime.combine(initial["date"], initial["start_time"])
    end = datetime.combine(initial["end_date"], initial["end_time"])
    assert end - start == timedelta(minutes=30)


def test_an_overnight_booking_is_made_and_reopened_unchanged(employee_client, employee, room):
    day = timezone.localdate() + timedelta(days=2)
    form = {
        "title": "Night shift handover",
        "date": day.isoformat(),
        "start_time": "22:00",
        "end_date": (day + timedelta(days=1)).isoformat(),
        "end_time": "01:30",
    }
    assert employee_client.post(reverse("rooms:book", args=[room.pk]), form).status_code == 302
    booking = Booking.objects.get(title="Night shift handover")
    local_start, local_end = timezone.localtime(booking.start), timezone.localtime(booking.end)
    assert (local_start.date(), f"{local_start:%H:%M}") == (day, "22:00")
    assert (local_end.date(), f"{local_end:%H:%M}") == (day + timedelta(days=1), "01:30")
    edit = reverse("rooms:booking_edit", args=[booking.pk])
    initial = employee_client.get(edit).context_data["form"].initial
    assert (initial["end_date"], initial["end_time"]) == (day + timedelta(days=1), time(1, 30))
    unchanged = {**form, "room": room.pk}
    assert employee_client.post(edit, unchanged).status_code == 302
    booking.refresh_from_db()
    assert (booking.start, booking.end) == (local_start, local_end)


def test_an_end_before_the_start_on_one_date_is_refused_not_moved_to_tomorrow(employee_client, room):
    day = (timezone.localdate() + timedelta(days=2)).isoformat()
    form = {"title": "Backwards", "date": day, "start_time": "22:00", "end_date": day, "end_time": "01:30"}
    response = employee_client.post(reverse("rooms:book", args=[room.pk]), form)
    assert response.status_code == 200 and "The end must be after the start." in response.content.decode()
    assert not Booking.objects.exists()


def test_a_repeated_wall_time_is_refused_with_a_reason(client, room):
    client.force_login(UserFactory(timezone="Europe/Berlin"))
    form = {
        "title": "Ambiguous",
        "date": "2027-10-31",
        "start_time": "02:30",
        "end_date": "2027-10-31",
        "end_time": "04:00",
    }
    response = client.post(reverse("rooms:book", args=[room.pk]), form)
    assert "02:30 happens twice on that day" in response.content.decode()
    assert not Booking.objects.exists()


def _span(initial) -> tuple[datetime, datetime]:
    return (
        datetime.combine(initial["date"], initial["start_time"]),
        datetime.combine(initial["end_date"], initial["end_time"]),
    )


def _usual(room, zone: str = "Europe/Moscow") -> tuple[datetime, datetime]:
    """The prefill of the bare booking link: the room's next free half hour, on the
    clock of ``zone`` (the employee's)."""
    start = timezone.localtime(next_free_slot(room), ZoneInfo(zone)).replace(tzinfo=None)
    return start, start + timedelta(minutes=30)


@pytest.fixture
def busy_room(room):
    """``room`` held for the next two hours, so the usual prefill is not ``now``."""
    start = ceil_half_hour(timezone.localtime())
    BookingFactory(room=room, start=start, end=start + timedelta(hours=2))
    return room


@pytest.mark.parametrize("end", ["10:00Z", "10:00+05:00", "10:00-03:00"])
@pytest.mark.parametrize("with_end_date", [False, True])
def test_a_time_with_a_utc_offset_is_unreadable_not_a_500(employee_client, busy_room, end, with_end_date):
    query = {"date": "2026-12-01", "start": "09:00", "end": end}
    if with_end_date:
        query["end_date"] = "2026-12-01"
    assert _span(_form_initial(employee_client, busy_room, **query)) == _usual(busy_room)
    query = {"date": "2026-12-01", "start": "09:00+01:00", "end": "10:00"}
    assert _span(_form_initial(employee_client, busy_room, **query)) == _usual(busy_room)


def test_an_empty_parameter_counts_as_absent(employee_client, room):
    day = timezone.localdate() + timedelta(days=3)
    initial = _form_initial(employee_client, room, date=day.isoformat(), start="10:00", end="11:30", end_date="")
    assert _span(initial) == (datetime.combine(day, time(10)), datetime.combine(day, time(11, 30)))
    initial = _form_initial(employee_client, room, date=day.isoformat(), start="", end="")
    assert _span(initial) == (datetime.combine(day, time(9)), datetime.combine(day, time(9, 30)))


def test_an_end_equal_to_the_start_gets_half_an_hour_not_a_day(employee_client, room):
    day = timezone.localdate() + timedelta(days=3)
    initial = _form_initial(employee_client, room, date=day.isoformat(), start="10:00", end="10:00")
    assert _span(initial) == (datetime.combine(day, time(10)), datetime.combine(day, time(10, 30)))


@pytest.mark.parametrize("query", [{"date": "garbage"}, {"date": "2027-02-30", "start": "10:00"}, {"date": ""}])
def test_an_unreadable_date_falls_back_to_the_next_free_half_hour(employee_client, busy_room, query):
    assert _span(_form_initial(employee_client, busy_room, **query)) == _usual(busy_room)


def _next_autumn_change(zone: ZoneInfo) -> date:
    """The next day (from tomorrow on) whose clocks go back in ``zone``."""
    day = timezone.localdate() + timedelta(days=1)
    for _ in range(800):
        midnight = datetime.combine(day, time()).replace(tzinfo=zone)
        noon = datetime.combine(day, time(12)).replace(tzinfo=zone)
        if noon.utcoffset() < midnight.utcoffset():
            return day
        day += timedelta(days=1)
    raise AssertionError("no autumn clock change ahead")


@pytest.mark.parametrize("fold", [0, 1])
def test_a_booking_in_a_repeated_hour_can_be_edited(client, room, settings, fold):
    """Made through the API or the admin at 02:30 of a day the clocks go back (either
    02:30): the form keeps the stored instants for the times it did not change."""
    settings.BOOKING_HORIZON_DAYS = 1000
    zone = ZoneInfo("Europe/Berlin")
    person = UserFactory(timezone="Europe/Berlin")
    client.force_login(person)
    day = _next_autumn_change(zone)
    start = datetime.combine(day, time(2, 30)).replace(tzinfo=zone, fold=fold)
    end = datetime.combine(day, time(2, 45)).replace(tzinfo=zone, fold=1)  # after start either way
    booking = BookingFactory(room=room, user=person, title="Night batch", start=start, end=end)
    stored = (start.astimezone(UTC), end.astimezone(UTC))  # fold-aware instants compare in UTC
    edit = reverse("rooms:booking_edit", args=[booking.pk])
    form = {
        "title": "Night batch, renamed",
        "room": room.pk,
        "date": day.isoformat(),
        "start_time": "02:30",
        "end_date": day.isoformat(),
        "end_time": "02:45",
    }
    response = client.post(edit, form)
    assert response.status_code == 302, response.content.decode()
    booking.refresh_from_db()
    assert (booking.title, booking.start, booking.end) == ("Night batch, renamed", *stored)

    response = client.post(edit, {**form, "end_time": "04:00"})  # the start stays put
    assert response.status_code == 302, response.content.decode()
    booking.refresh_from_db()
    four = datetime.combine(day, time(4)).replace(tzinfo=zone).astimezone(UTC)
    assert (booking.start, booking.end) == (stored[0], four)

    response = client.post(edit, {**form, "start_time": "02:15", "end_time": "04:00"})  # a new repeated time
    assert "02:15 happens twice on that day" in response.content.decode()
    booking.refresh_from_db()
    assert booking.start == stored[0]
