from datetime import timedelta

import icalendar
import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from events import services as event_services
from rooms import services as room_services
from tests.factories import BookingFactory, EventFactory, RoomFactory, UserFactory, next_weekday_at, tomorrow_at

pytestmark = pytest.mark.django_db


def parse(body: bytes) -> icalendar.Calendar:
    calendar = icalendar.Calendar.from_ical(body)
    assert calendar["VERSION"] == "2.0" and calendar["PRODID"]
    return calendar


def events_of(calendar: icalendar.Calendar) -> dict[str, icalendar.Event]:
    return {str(component["SUMMARY"]): component for component in calendar.walk("VEVENT")}


def test_user_feed_holds_bookings_events_and_tentative_invitations(client, employee, other_employee):
    room = RoomFactory(name="Cedar", location="Floor 2")
    BookingFactory(room=room, user=employee, title="My booking")
    BookingFactory(
        room=room,
        user=employee,
        title="Dropped",
        start=tomorrow_at(14),
        end=tomorrow_at(15),
        cancelled_at=timezone.now(),
    )
    BookingFactory(room=room, user=other_employee, title="Not mine", start=tomorrow_at(16), end=tomorrow_at(17))
    organized = event_services.create_event(
        organizer=employee,
        title="I organize",
        start=next_weekday_at(11, after_days=3),
        end=next_weekday_at(12, after_days=3),
        room=room,
    )
    attending = EventFactory(title="I attend", organizer=other_employee)
    event_services.register(event=attending, user=employee)
    invited = EventFactory(
        title="Invited to", organizer=other_employee, start=next_weekday_at(15), end=next_weekday_at(16)
    )
    event_services.invite(event=invited, invited_by=other_employee, invitees=[employee])
    cancelled_event = EventFactory(title="Called off", organizer=employee, cancelled_at=timezone.now())

    response = client.get(reverse("events:user_feed", args=[employee.calendar_token]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    found = events_of(parse(response.content))
    assert set(found) == {"My booking (Cedar)", "I organize", "I attend", "Invited to"}
    assert str(found["Invited to"]["STATUS"]) == "TENTATIVE"
    assert str(found["I attend"]["STATUS"]) == "CONFIRMED"
    assert str(found["My booking (Cedar)"]["LOCATION"]) == "Cedar, Floor 2"
    start = found["I organize"].decoded("DTSTART")
    assert start == organized.start and str(start.tzinfo) == "Europe/Moscow"
    assert found["I organize"]["DTSTART"].params["TZID"] == "Europe/Moscow"
    assert len({str(c["UID"]) for c in found.values()}) == 4
    assert cancelled_event.title not in response.content.decode()


def test_feed_times_follow_the_owners_time_zone(client):
    tokyo = UserFactory(timezone="Asia/Tokyo")
    booking = BookingFactory(user=tokyo)
    [component] = parse(client.get(reverse("events:user_feed", args=[tokyo.calendar_token])).content).walk("VEVENT")
    assert component["DTSTART"].params["TZID"] == "Asia/Tokyo"
    assert component.decoded("DTSTART") == booking.start
    assert any(
        tz["TZID"] == "Asia/Tokyo"
        for tz in parse(client.get(reverse("events:user_feed", args=[tokyo.calendar_token])).content).walk("VTIMEZONE")
    )


def test_tokens_are_long_random_and_private(client, employee, other_employee):
    assert len(employee.calendar_token) >= 40 and employee.calendar_token != other_employee.calendar_token
    BookingFactory(user=other_employee, title="Secret")
    body = client.get(reverse("events:user_feed", args=[employee.calendar_token])).content.decode()
    assert "Secret" not in body and other_employee.email not in body
    assert client.get(reverse("events:user_feed", args=["x" * 43])).status_code == 404
    assert client.get(reverse("events:user_feed", args=[employee.calendar_token[:-1]])).status_code == 404


def test_reset_makes_the_old_address_stop_working(employee_client, employee, client):
    old = employee.calendar_token
    assert employee_client.get(reverse("events:calendar_reset")).status_code == 405
    employee_client.post(reverse("events:calendar_reset"))
    employee.refresh_from_db()
    assert employee.calendar_token != old
    assert client.get(reverse("events:user_feed", args=[old])).status_code == 404
    assert client.get(reverse("events:user_feed", args=[employee.calendar_token])).status_code == 200
    assert employee.calendar_token in employee_client.get(reverse("accounts:profile")).content.decode()


def test_room_feed_needs_a_valid_token(client, employee, room):
    BookingFactory(room=room, title="Standup")
    BookingFactory(room=room, title="Gone", start=tomorrow_at(12), end=tomorrow_at(13), cancelled_at=timezone.now())
    response = client.get(reverse("events:room_feed", args=[employee.calendar_token, room.pk]))
    assert set(events_of(parse(response.content))) == {"Standup (Cedar)"}
    assert client.get(reverse("events:room_feed", args=["nope", room.pk])).status_code == 404
    assert client.get(reverse("events:room_feed", args=[employee.calendar_token, 999])).status_code == 404


def test_ics_downloads(employee_client, other_client, employee, room):
    booking = BookingFactory(room=room, user=employee, title="Download me")
    response = employee_client.get(reverse("rooms:booking_ics", args=[booking.pk]))
    assert "attachment" in response["Content-Disposition"]
    assert set(events_of(parse(response.content))) == {"Download me (Cedar)"}
    assert other_client.get(reverse("rooms:booking_ics", args=[booking.pk])).status_code == 404
    event = EventFactory(title="Public talk")
    response = other_client.get(reverse("events:event_ics", args=[event.pk]))
    assert set(events_of(parse(response.content))) == {"Public talk"}
    assert other_client.get(reverse("events:event_ics", args=[999])).status_code == 404


def test_booking_mails_carry_the_ics(employee, room, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        booking = room_services.book_room(
            room=room, user=employee, title="Sync", start=tomorrow_at(10), end=tomorrow_at(11)
        )
    with django_capture_on_commit_callbacks(execute=True):
        room_services.change_booking(booking=booking, actor=employee, end=tomorrow_at(11, 30))
    with django_capture_on_commit_callbacks(execute=True):
        room_services.cancel_booking(booking=booking, actor=employee)
    assert [m.subject for m in mail.outbox] == [
        "Booked: Sync (Cedar)",
        "Changed: Sync (Cedar)",
        "Cancelled: Sync (Cedar)",
    ]
    for message, method, status in zip(
        mail.outbox, ["REQUEST", "REQUEST", "CANCEL"], ["CONFIRMED", "CONFIRMED", "CANCELLED"], strict=True
    ):
        assert message.to == [employee.email]
        [(content, mimetype)] = message.alternatives
        assert mimetype == f"text/calendar; method={method}"
        [(name, download, _kind)] = message.attachments
        assert name.endswith(".ics") and download == content.encode()
        calendar = parse(content.encode())
        assert str(calendar["METHOD"]) == method
        [component] = calendar.walk("VEVENT")
        assert str(component["STATUS"]) == status
    [changed] = parse(mail.outbox[1].attachments[0][1]).walk("VEVENT")
    assert changed.decoded("DTEND") == tomorrow_at(11, 30)


def test_event_bookings_do_not_send_booking_mails(employee, room, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        event_services.create_event(
            organizer=employee, title="Ev", start=next_weekday_at(11), end=next_weekday_at(12), room=room
        )
    assert mail.outbox == []


def test_feed_keeps_recent_past_but_not_old(client, employee):
    recent = timezone.now() - timedelta(days=3)
    old = timezone.now() - timedelta(days=200)
    BookingFactory(user=employee, title="Recent", start=recent, end=recent + timedelta(hours=1))
    BookingFactory(user=employee, title="Ancient", start=old, end=old + timedelta(hours=1))
    names = set(events_of(parse(client.get(reverse("events:user_feed", args=[employee.calendar_token])).content)))
    assert any(name.startswith("Recent") for name in names) and not any(name.startswith("Ancient") for name in names)
