"""What the admin and the pages do through the services, beyond the parity table:
bulk deletes, passwords, rooms that have since closed, stale objects."""

import re
from datetime import timedelta
from pathlib import Path

import polib
import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from events import services as event_services
from events.models import Event, Registration
from rooms import services as room_services
from tests.factories import BookingFactory, EventFactory, RoomFactory, UserFactory, next_weekday_at, tomorrow_at

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


def test_bulk_delete_reports_each_refusal_and_does_the_rest(admin_client_):
    started = EventFactory(start=timezone.now() - timedelta(minutes=5), end=timezone.now() + timedelta(hours=1))
    upcoming = EventFactory(start=next_weekday_at(11), end=next_weekday_at(12))
    refused = Registration.objects.create(event=started, user=UserFactory())
    allowed = event_services.register(event=upcoming, user=UserFactory())
    response = admin_client_.post(
        reverse("admin:events_registration_changelist"),
        {"action": "delete_selected", "_selected_action": [refused.pk, allowed.pk], "post": "yes"},
        follow=True,
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "The event has already started." in page
    assert list(Registration.objects.values_list("pk", flat=True)) == [refused.pk]


def test_admin_can_make_a_password_unusable(admin_client_, employee, password):
    url = reverse("admin:auth_user_password_change", args=[employee.pk])
    response = admin_client_.post(url, {"usable_password": "false", "unset-password": "1"}, follow=True)
    assert "Password-based authentication was disabled." in response.content.decode()
    employee.refresh_from_db()
    assert not employee.has_usable_password()
    assert not employee.check_password("")


def test_a_room_closed_since_stays_with_its_event(admin_client_, employee_client, employee):
    room = RoomFactory(name="Closing soon")
    event = event_services.create_event(
        organizer=employee, title="Kept", start=next_weekday_at(11), end=next_weekday_at(12), room=room
    )
    room_services.set_room_active(room=room, actor=UserFactory(is_staff=True), active=False)
    page = employee_client.get(reverse("events:edit", args=[event.pk])).content.decode()
    assert f'<option value="{room.pk}" selected>Closing soon</option>' in page
    local = timezone.localtime(event.start)
    form = {
        "title": "Kept, renamed",
        "description": "",
        "date": local.date().isoformat(),
        "start_time": "11:00",
        "end_time": "12:00",
        "capacity": "",
        "room": room.pk,
    }
    assert employee_client.post(reverse("events:edit", args=[event.pk]), form).status_code == 302
    event.refresh_from_db()
    assert event.title == "Kept, renamed" and event.booking.room == room and not event.booking.is_cancelled


def test_room_page_queries_do_not_grow_for_the_holder(employee_client, employee, room):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert employee_client.get(room.get_absolute_url()).status_code == 200
        return len(captured)

    BookingFactory(room=room, user=employee, start=tomorrow_at(9), end=tomorrow_at(9, 30))
    one = queries()
    for hour in range(10, 18):
        BookingFactory(room=room, user=employee, start=tomorrow_at(hour), end=tomorrow_at(hour, 30))
    assert queries() == one


def test_a_long_event_from_before_the_limit_can_still_be_renamed(employee, settings):
    settings.EVENT_MAX_DAYS = 14
    start = next_weekday_at(11)
    event = EventFactory(organizer=employee, start=start, end=start + timedelta(days=20))
    changed = event_services.change_event(
        event=event, actor=employee, title="Renamed", start=event.start, end=event.end
    )
    assert changed.title == "Renamed"


def test_invitations_are_judged_on_the_event_as_it_is_now(employee):
    event = event_services.create_event(
        organizer=employee, title="Soon off", start=next_weekday_at(11), end=next_weekday_at(12)
    )
    stale = Event.objects.get(pk=event.pk)
    event_services.cancel_event(event=event, actor=employee)
    with pytest.raises(ValidationError, match=r"This event has been cancelled\."):
        event_services.invite(event=stale, invited_by=employee, invitees=[UserFactory()])
    assert not stale.invitations.exists()


def test_every_word_of_the_jinja2_pages_is_translated():
    """``makemessages`` reads ``_("...")`` only at the start of ``{{ }}``; a word
    passed inside a call would never reach the catalogue."""
    catalogue = {entry.msgid: entry for entry in polib.pofile(str(ROOT / "locale/ru/LC_MESSAGES/django.po"))}
    words = set()
    for template in (ROOT / "templates" / "jinja2").rglob("*.html"):
        words |= set(re.findall(r'_\("((?:[^"\\]|\\.)*)"\)', template.read_text()))
        words |= set(re.findall(r"_\('((?:[^'\\]|\\.)*)'\)", template.read_text()))
    missing = sorted(word for word in words if word not in catalogue or catalogue[word].obsolete)
    assert missing == []
    assert all(catalogue[word].msgstr for word in words)
