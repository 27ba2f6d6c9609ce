"""iTIP (RFC 5546) in the mails: a booking's holder gets REQUEST for a new or changed
booking and CANCEL when it is cancelled, one UID throughout and a strictly rising SEQUENCE;
an invitee gets a REQUEST from the event's organizer that asks for an answer. The feeds and
downloads carry the same UID and SEQUENCE, and every parser reads the attachments' times
as stored."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from booking_site.spans import format_span
from events import services as event_services
from events.models import Registration
from events.services import invitation_mail
from notifications.models import OutgoingMail
from notifications.services import _hand_out, deliver
from rooms import services as room_services
from tests.calendars.test_interop import PARSERS, expect, seconds
from tests.factories import RoomFactory, UserFactory, next_weekday_at, tomorrow_at

pytestmark = pytest.mark.django_db

HOLDER_ZONE = "America/New_York"


def attachment(message) -> tuple[bytes, str]:
    """The mail's iTIP part (an alternative of the text, as Google sends invitations),
    checked to be offered as an .ics file too."""
    [(content, mimetype)] = message.alternatives
    [(name, download, kind)] = message.attachments
    assert name.endswith(".ics") and kind == "application/ics" and download == content.encode()
    return content.encode(), mimetype


def only_vevent(body: bytes) -> tuple[icalendar.Calendar, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(body)
    [vevent] = calendar.walk("VEVENT")
    return calendar, vevent


def feed_items(client, user) -> dict[str, icalendar.Event]:
    body = client.get(reverse("events:user_feed", args=[user.calendar_token])).content
    return {str(vevent["UID"]): vevent for vevent in icalendar.Calendar.from_ical(body).walk("VEVENT")}


def mailto(value: icalendar.vCalAddress) -> str:
    return str(value).lower().removeprefix("mailto:")


def test_a_bookings_mails_request_then_cancel_with_one_uid_and_rising_sequence(
    client, room, django_capture_on_commit_callbacks
):
    holder = UserFactory(name="Hana Holder", email="hana@example.com", timezone=HOLDER_ZONE)
    stamps, feeds = [], []
    with django_capture_on_commit_callbacks(execute=True):
        booking = room_services.book_room(
            room=room, user=holder, title="Sync", start=tomorrow_at(10), end=tomorrow_at(11)
        )
    stamps.append(datetime.now(UTC))
    feeds.append(feed_items(client, holder))
    with django_capture_on_commit_callbacks(execute=True):
        room_services.change_booking(booking=booking, actor=holder, start=tomorrow_at(14), end=tomorrow_at(15, 30))
    stamps.append(datetime.now(UTC))
    feeds.append(feed_items(client, holder))
    with django_capture_on_commit_callbacks(execute=True):
        room_services.cancel_booking(booking=booking, actor=holder)
    stamps.append(datetime.now(UTC))
    feeds.append(feed_items(client, holder))
    booking.refresh_from_db()
    assert booking.sequence == 2

    uids, sequences = set(), []
    for number, (message, method, status) in enumerate(
        zip(mail.outbox, ["REQUEST", "REQUEST", "CANCEL"], ["CONFIRMED", "CONFIRMED", "CANCELLED"], strict=True)
    ):
        body, mimetype = attachment(message)
        assert mimetype == f"text/calendar; method={method}"
        assert f'method="{method}"' in message.message().as_string()
        calendar, vevent = only_vevent(body)
        assert str(calendar["METHOD"]) == method and str(vevent["STATUS"]) == status
        uids.add(str(vevent["UID"]))
        sequences.append(int(vevent["SEQUENCE"]))
        made = vevent.decoded("DTSTAMP")
        assert stamps[number] - timedelta(seconds=30) < made <= stamps[number]
        organizer = vevent["ORGANIZER"]
        assert mailto(organizer) == "booking@localhost" and str(organizer.params["CN"]) == settings.SITE_NAME
        attendee = vevent["ATTENDEE"]
        assert mailto(attendee) == holder.email and attendee.params["PARTSTAT"] == "ACCEPTED"
    [uid] = uids
    assert uid.startswith(f"booking-{booking.pk}@")
    assert sequences == [0, 1, 2]

    # The feed shows the same item: the same UID with the same SEQUENCE, and drops it once cancelled.
    assert [int(feed[uid]["SEQUENCE"]) for feed in feeds[:2]] == sequences[:2]
    assert uid not in feeds[2]
    client.force_login(holder)
    _calendar, download = only_vevent(client.get(reverse("rooms:booking_ics", args=[booking.pk])).content)
    assert (str(download["UID"]), int(download["SEQUENCE"])) == (uid, 2)


def test_a_title_alone_keeps_the_sequence(room):
    booking = room_services.book_room(
        room=room, user=UserFactory(), title="Sync", start=tomorrow_at(10), end=tomorrow_at(11)
    )
    changed = room_services.change_booking(booking=booking, actor=booking.user, title="Weekly sync")
    assert changed.sequence == 0
    moved = room_services.change_booking(booking=booking, actor=booking.user, room=RoomFactory())
    assert moved.sequence == 1


@pytest.mark.parametrize("parser", PARSERS)
def test_every_parser_reads_the_booking_mails_times(room, parser, django_capture_on_commit_callbacks):
    holder = UserFactory(timezone=HOLDER_ZONE)
    with django_capture_on_commit_callbacks(execute=True):
        booking = room_services.book_room(
            room=room, user=holder, title="Sync", start=tomorrow_at(10), end=tomorrow_at(11)
        )
    first = seconds(booking.start, booking.end)
    with django_capture_on_commit_callbacks(execute=True):
        booking = room_services.change_booking(
            booking=booking, actor=holder, start=tomorrow_at(16), end=tomorrow_at(17, 30)
        )
    moved = seconds(booking.start, booking.end)
    with django_capture_on_commit_callbacks(execute=True):
        room_services.cancel_booking(booking=booking, actor=holder)
    files = [attachment(message)[0] for message in mail.outbox]
    assert all(f"TZID:{HOLDER_ZONE}".encode() in body for body in files)
    key = f"booking-{booking.pk}"
    for times, stored in zip(PARSERS[parser](files), [first, moved, moved], strict=True):
        expect(times, {key: stored})


def invited(organizer, invitee, room, django_capture_on_commit_callbacks):
    """An event in ``room`` and the invitation mail ``invitee`` got for it."""
    event = event_services.create_event(
        organizer=organizer, title="Planning", start=next_weekday_at(15), end=next_weekday_at(16), room=room
    )
    with django_capture_on_commit_callbacks(execute=True):
        [invitation] = event_services.invite(event=event, invited_by=organizer, invitees=[invitee]).sent
    [message] = mail.outbox
    return event, invitation, message


def test_an_invitation_asks_the_invitee_to_answer(client, employee, room, django_capture_on_commit_callbacks):
    invitee = UserFactory(name="Ivan Invitee", email="ivan@example.com")
    event, invitation, message = invited(employee, invitee, room, django_capture_on_commit_callbacks)
    before = datetime.now(UTC)
    body, mimetype = attachment(message)
    assert mimetype == "text/calendar; method=REQUEST"
    calendar, vevent = only_vevent(body)
    assert str(calendar["METHOD"]) == "REQUEST"
    organizer = vevent["ORGANIZER"]
    assert mailto(organizer) == employee.email and str(organizer.params["CN"]) == employee.display_name
    attendee = vevent["ATTENDEE"]
    assert mailto(attendee) == invitee.email and str(attendee.params["CN"]) == invitee.display_name
    assert (attendee.params["PARTSTAT"], attendee.params["RSVP"]) == ("NEEDS-ACTION", "TRUE")
    assert before - timedelta(seconds=30) < vevent.decoded("DTSTAMP") <= before
    uid = str(vevent["UID"])
    assert uid.startswith(f"event-{event.pk}@") and int(vevent["SEQUENCE"]) == event.sequence == 0

    # The event is one entry everywhere: the invitee's feed, the organizer's feed, the download.
    assert int(feed_items(client, invitee)[uid]["SEQUENCE"]) == 0
    assert int(feed_items(client, employee)[uid]["SEQUENCE"]) == 0
    client.force_login(invitee)
    _calendar, download = only_vevent(client.get(reverse("events:event_ics", args=[event.pk])).content)
    assert (str(download["UID"]), int(download["SEQUENCE"])) == (uid, 0)

    # Moving it raises its SEQUENCE (and its room booking's); a new description alone does not.
    booking = event.booking
    moved = event_services.change_event(
        event=event, actor=employee, title="Planning", start=next_weekday_at(16), end=next_weekday_at(17), room=room
    )
    assert moved.sequence == 1 and moved.booking.pk == booking.pk and moved.booking.sequence == 1
    same = event_services.change_event(
        event=event,
        actor=employee,
        title="Planning",
        description="Agenda",
        start=next_weekday_at(16),
        end=next_weekday_at(17),
        room=room,
    )
    assert same.sequence == 1
    elsewhere = event_services.change_event(
        event=event,
        actor=employee,
        title="Planning",
        start=next_weekday_at(16),
        end=next_weekday_at(17),
        room=RoomFactory(),
    )
    assert elsewhere.sequence == 2
    resent = invitation_mail(OutgoingMail(kind=OutgoingMail.Kind.INVITATION, object_id=invitation.pk))
    _calendar, again = only_vevent(attachment(resent)[0])
    assert (str(again["UID"]), int(again["SEQUENCE"])) == (uid, 2)
    assert int(feed_items(client, invitee)[uid]["SEQUENCE"]) == 2
    cancelled = event_services.cancel_event(event=event, actor=employee)
    assert cancelled.sequence == 3


@pytest.mark.parametrize("parser", PARSERS)
def test_every_parser_reads_the_invitations_times(employee, room, parser, django_capture_on_commit_callbacks):
    invitee = UserFactory(timezone="Europe/Berlin")
    event, _invitation, message = invited(employee, invitee, room, django_capture_on_commit_callbacks)
    body = attachment(message)[0]
    assert b"TZID:Europe/Berlin" in body
    [times] = PARSERS[parser]([body])
    expect(times, {f"event-{event.pk}": seconds(event.start, event.end)})


def test_moving_and_cancelling_an_event_tells_everyone_taking_part(
    client, employee, room, django_capture_on_commit_callbacks
):
    """Everyone registered and everyone invited (waiting or declined) gets the update,
    then the cancellation, each in their own language and zone, as the attendee of their
    own copy; the organizer, who made the change, gets neither."""
    pending = UserFactory(name="Ivan Invitee", email="ivan@example.com", timezone="Europe/Berlin", language="ru")
    event, _invitation, first = invited(employee, pending, room, django_capture_on_commit_callbacks)
    declined = UserFactory(email="dora@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        [refused] = event_services.invite(event=event, invited_by=employee, invitees=[declined]).sent
        event_services.decline_invitation(invitation=refused, actor=declined)
    coming = UserFactory(name="Rita Registered", email="rita@example.com", timezone="America/New_York", language="en")
    event_services.register(event=event, user=coming)
    event_services.register(event=event, user=employee)
    mail.outbox.clear()
    before = (event.start, event.end)

    with django_capture_on_commit_callbacks(execute=True):
        moved = event_services.change_event(
            event=event, actor=employee, title="Planning", start=next_weekday_at(16), end=next_weekday_at(17), room=room
        )
    updates = {message.to[0]: message for message in mail.outbox}
    assert set(updates) == {pending.email, coming.email, declined.email}
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        event_services.cancel_event(event=event, actor=employee)
    cancels = {message.to[0]: message for message in mail.outbox}
    assert set(cancels) == {pending.email, coming.email, declined.email}

    assert updates[pending.email].subject == "Изменено: Planning"
    assert updates[coming.email].subject == "Changed: Planning"
    assert cancels[pending.email].subject == "Отменено: Planning"
    berlin = moved.start.astimezone(ZoneInfo("Europe/Berlin"))
    assert f"{berlin:%H:%M}" in updates[pending.email].body and "Europe/Berlin" in updates[pending.email].body
    was = before[0].astimezone(ZoneInfo("America/New_York"))
    assert f"{was:%H:%M}" in updates[coming.email].body
    assert "Changed by" not in updates[coming.email].body

    uid = None
    for person, partstat in ((pending, "NEEDS-ACTION"), (coming, "ACCEPTED"), (declined, "DECLINED")):
        messages = ([first] if person == pending else []) + [updates[person.email], cancels[person.email]]
        methods, sequences, uids = [], [], set()
        for message in messages:
            body, mimetype = attachment(message)
            calendar, vevent = only_vevent(body)
            methods.append(str(calendar["METHOD"]))
            assert mimetype == f"text/calendar; method={methods[-1]}"
            sequences.append(int(vevent["SEQUENCE"]))
            uids.add(str(vevent["UID"]))
            assert mailto(vevent["ORGANIZER"]) == employee.email
            attendee = vevent["ATTENDEE"]
            assert mailto(attendee) == person.email
            assert f"TZID:{person.timezone}".encode() in body
        [uid] = uids
        assert uid.startswith(f"event-{event.pk}@")
        assert methods[-2:] == ["REQUEST", "CANCEL"]
        assert sequences == sorted(set(sequences)) and sequences[-2:] == [1, 2]
        update = only_vevent(attachment(updates[person.email])[0])[1]
        assert update["ATTENDEE"].params["PARTSTAT"] == partstat
        assert ("RSVP" in update["ATTENDEE"].params) == (partstat == "NEEDS-ACTION")
        assert update.decoded("DTSTART") == moved.start
        assert str(only_vevent(attachment(cancels[person.email])[0])[1]["STATUS"]) == "CANCELLED"
        assert uid not in feed_items(client, person)


def test_an_admins_change_tells_the_organizer_and_says_who_made_it(
    employee, admin_user, room, django_capture_on_commit_callbacks
):
    event = event_services.create_event(
        organizer=employee, title="Review", start=next_weekday_at(10), end=next_weekday_at(11), room=room
    )
    coming = UserFactory()
    event_services.register(event=event, user=coming)
    event_services.register(event=event, user=admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        event_services.change_event(
            event=event, actor=admin_user, title="Review", start=next_weekday_at(12), end=next_weekday_at(13), room=room
        )
    updates = {message.to[0]: message for message in mail.outbox}
    assert set(updates) == {employee.email, coming.email}
    assert f"Changed by: {admin_user.display_name}" in updates[coming.email].body
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        event_services.cancel_event(event=event, actor=admin_user)
    cancels = {message.to[0]: message for message in mail.outbox}
    assert set(cancels) == {employee.email, coming.email}
    assert f"Cancelled by: {admin_user.display_name}" in cancels[employee.email].body


def test_moves_made_before_the_mail_goes_say_where_it_was_before_the_first(
    employee, room, django_capture_on_commit_callbacks
):
    coming = UserFactory(timezone="UTC", language="en")
    event = event_services.create_event(
        organizer=employee, title="Sync", start=next_weekday_at(10), end=next_weekday_at(11), room=room
    )
    event_services.register(event=event, user=coming)
    first = (event.start, event.end)
    with django_capture_on_commit_callbacks(execute=False) as later:
        for hour in (12, 14):
            event_services.change_event(
                event=event, actor=employee, title="Sync", start=next_weekday_at(hour), end=next_weekday_at(hour + 1)
            )
    for callback in later:
        callback()
    [message] = mail.outbox
    with timezone.override("UTC"):
        assert f"Was: {format_span(*first)}" in message.body
    assert "Room: none" in message.body and f"Was: {room}" in message.body

    # Moved back where people last heard it was: there is nothing to tell.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=False) as later:
        for hour in (16, 14):
            event_services.change_event(
                event=event, actor=employee, title="Sync", start=next_weekday_at(hour), end=next_weekday_at(hour + 1)
            )
    for callback in later:
        callback()
    assert mail.outbox == []


def test_a_row_for_everyone_is_handed_out_once_even_when_its_lease_ran_out(
    employee, room, django_capture_on_commit_callbacks
):
    event = event_services.create_event(
        organizer=employee, title="Sync", start=next_weekday_at(10), end=next_weekday_at(11), room=room
    )
    for person in UserFactory.create_batch(3):
        event_services.register(event=event, user=person)
    with django_capture_on_commit_callbacks(execute=False):
        event_services.cancel_event(event=event, actor=employee)
    row = OutgoingMail.objects.get(object_id=event.pk, kind=OutgoingMail.Kind.EVENT_CANCELLED)
    # A first worker took the row; its lease ran out and a second worker took it over.
    now = timezone.now()
    OutgoingMail.objects.filter(pk=row.pk).update(leased_until=now - timedelta(seconds=1))
    slow = OutgoingMail.objects.get(pk=row.pk)
    assert deliver(row.pk) == "handed out"
    assert _hand_out(slow, now) == "skipped"
    assert OutgoingMail.objects.filter(object_id=event.pk, recipient__isnull=False).count() == 3
    assert len(mail.outbox) == 3


def test_the_feed_agrees_with_the_update(client, employee, room, django_capture_on_commit_callbacks):
    coming = UserFactory(timezone="Australia/Sydney")
    event = event_services.create_event(
        organizer=employee, title="Review", start=next_weekday_at(10), end=next_weekday_at(11), room=room
    )
    event_services.register(event=event, user=coming)
    with django_capture_on_commit_callbacks(execute=True):
        event_services.change_event(
            event=event, actor=employee, title="Review", start=next_weekday_at(12), end=next_weekday_at(13), room=room
        )
    [message] = mail.outbox
    mailed = only_vevent(attachment(message)[0])[1]
    fed = feed_items(client, coming)[str(mailed["UID"])]
    assert int(fed["SEQUENCE"]) == int(mailed["SEQUENCE"]) == 1
    assert fed.decoded("DTSTART") == mailed.decoded("DTSTART")


def test_an_events_change_costs_its_request_one_row_whatever_the_audience(
    employee, room, django_capture_on_commit_callbacks, django_assert_num_queries
):
    """The organizer's request records one mail for everyone; the worker writes one per person."""
    event = event_services.create_event(
        organizer=employee, title="All hands", start=next_weekday_at(10), end=next_weekday_at(11), room=room
    )
    crowd = UserFactory.create_batch(40)
    for person in crowd:
        event_services.register(event=event, user=person)

    def move(hour: int, attendees: int) -> int:
        with (
            django_capture_on_commit_callbacks(execute=False) as callbacks,
            CaptureQueriesContext(connection) as queries,
        ):
            event_services.change_event(
                event=event,
                actor=employee,
                title="All hands",
                start=next_weekday_at(hour),
                end=next_weekday_at(hour + 1),
                room=room,
            )
        assert len(callbacks) == 1
        assert OutgoingMail.objects.filter(object_id=event.pk, recipient__isnull=True).count() == attendees
        return len(queries)

    with_forty = move(12, 1)
    Registration.objects.filter(event=event).exclude(user=crowd[0]).delete()
    with_one = move(14, 2)
    assert with_forty == with_one
    rows = OutgoingMail.objects.filter(object_id=event.pk, recipient__isnull=True)
    assert OutgoingMail.objects.filter(object_id=event.pk, recipient__isnull=False).count() == 0

    first = rows.order_by("pk").first()
    mail.outbox.clear()
    assert deliver(first.pk) == "handed out"
    # One row per person, each handed to a worker; the older change's is not sent, as the
    # person's calendar gets the newer one.
    personal = OutgoingMail.objects.get(object_id=event.pk, recipient__isnull=False)
    assert personal.recipient == crowd[0] and personal.status == OutgoingMail.Status.DROPPED
    assert mail.outbox == []
    assert deliver(first.pk) == "skipped"
    mail.outbox.clear()
    assert deliver(rows.order_by("pk").last().pk) == "handed out"
    [message] = mail.outbox
    assert int(only_vevent(attachment(message)[0])[1]["SEQUENCE"]) == 2


@pytest.mark.parametrize("parser", PARSERS)
def test_every_parser_reads_the_event_updates_and_cancellations(
    employee, room, parser, django_capture_on_commit_callbacks
):
    coming = UserFactory(timezone="Europe/London")
    event = event_services.create_event(
        organizer=employee, title="Offsite", start=next_weekday_at(9), end=next_weekday_at(10), room=room
    )
    event_services.register(event=event, user=coming)
    with django_capture_on_commit_callbacks(execute=True):
        moved = event_services.change_event(
            event=event, actor=employee, title="Offsite", start=next_weekday_at(15), end=next_weekday_at(17), room=room
        )
    with django_capture_on_commit_callbacks(execute=True):
        event_services.cancel_event(event=event, actor=employee)
    files = [attachment(message)[0] for message in mail.outbox]
    assert len(files) == 2
    for times in PARSERS[parser](files):
        expect(times, {f"event-{event.pk}": seconds(moved.start, moved.end)})


def test_an_events_download_lists_its_organizer_and_the_people_registered(client, employee, room):
    event = event_services.create_event(
        organizer=employee, title="Review", start=next_weekday_at(10), end=next_weekday_at(11), room=room
    )
    people = UserFactory.create_batch(3)
    for person in people:
        event_services.register(event=event, user=person)
    client.force_login(people[0])
    _calendar, vevent = only_vevent(client.get(reverse("events:event_ics", args=[event.pk])).content)
    assert mailto(vevent["ORGANIZER"]) == employee.email
    attendees = vevent["ATTENDEE"]
    assert sorted(mailto(attendee) for attendee in attendees) == sorted(person.email for person in people)
    assert {attendee.params["PARTSTAT"] for attendee in attendees} == {"ACCEPTED"}


def test_someone_removed_by_the_organizer_gets_a_cancel_for_their_copy(
    employee, room, django_capture_on_commit_callbacks
):
    event = event_services.create_event(
        organizer=employee, title="Review", start=next_weekday_at(10), end=next_weekday_at(11), room=room
    )
    removed, leaving = UserFactory(language="en"), UserFactory()
    for person in (removed, leaving):
        event_services.register(event=event, user=person)
    with django_capture_on_commit_callbacks(execute=True):
        event_services.unregister(event=event, user=leaving)
        event_services.unregister(event=event, user=removed, actor=employee)
    [message] = mail.outbox
    assert message.to == [removed.email] and message.subject == "No longer registered: Review"
    assert f"Changed by: {employee.display_name}" in message.body
    body, mimetype = attachment(message)
    calendar, vevent = only_vevent(body)
    assert mimetype == "text/calendar; method=CANCEL" and str(calendar["METHOD"]) == "CANCEL"
    assert str(vevent["UID"]).startswith(f"event-{event.pk}@") and int(vevent["SEQUENCE"]) == event.sequence
    assert "STATUS" not in vevent, "the event goes on: only this attendee is uninvited"
    assert mailto(vevent["ATTENDEE"]) == removed.email

    # Registered again before the mail went: nothing to take out of their calendar.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=False) as later:
        event_services.register(event=event, user=removed)
        event_services.unregister(event=event, user=removed, actor=employee)
        event_services.register(event=event, user=removed)
    for callback in later:
        callback()
    assert mail.outbox == []


@pytest.mark.parametrize("parser", PARSERS)
def test_every_parser_reads_the_cancel_of_someone_removed(employee, room, parser, django_capture_on_commit_callbacks):
    removed = UserFactory(timezone="America/Sao_Paulo")
    event = event_services.create_event(
        organizer=employee, title="Offsite", start=next_weekday_at(13), end=next_weekday_at(14), room=room
    )
    event_services.register(event=event, user=removed)
    with django_capture_on_commit_callbacks(execute=True):
        event_services.unregister(event=event, user=removed, actor=employee)
    [message] = mail.outbox
    [times] = PARSERS[parser]([attachment(message)[0]])
    expect(times, {f"event-{event.pk}": seconds(event.start, event.end)})
