from datetime import time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.services import set_working_hours
from events import services
from events.models import Event, Invitation
from tests.factories import EventFactory, RoomFactory, UserFactory, next_weekday_at

pytestmark = pytest.mark.django_db


def split(moment) -> tuple[str, str]:
    local = timezone.localtime(moment)
    return local.strftime("%Y-%m-%d"), local.strftime("%H:%M:%S")


def event_form(event: Event, **changes) -> dict:
    start, end = changes.pop("start", event.start), changes.pop("end", event.end)
    data = {
        "title": event.title,
        "description": event.description,
        "start_0": split(start)[0],
        "start_1": split(start)[1],
        "end_0": split(end)[0],
        "end_1": split(end)[1],
        "organizer": event.organizer_id,
        "capacity": event.capacity or "",
        "room": event.room.pk if event.room else "",
    }
    for prefix in ("registrations", "invitations"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    data.update(changes)
    return data


@pytest.mark.parametrize(
    "name",
    [
        "admin:events_event_changelist",
        "admin:events_event_add",
        "admin:events_registration_changelist",
        "admin:events_invitation_changelist",
    ],
)
def test_admin_lists_open(admin_client_, name):
    EventFactory()
    assert admin_client_.get(reverse(name)).status_code == 200


def test_event_list_filters_and_search(admin_client_):
    room = RoomFactory()
    event = services.create_event(
        organizer=UserFactory(), title="Searchable", start=next_weekday_at(11), end=next_weekday_at(12), room=room
    )
    url = reverse("admin:events_event_changelist")
    assert "Searchable" in admin_client_.get(url, {"q": "Searchable"}).content.decode()
    assert "Searchable" in admin_client_.get(url, {"booking__room__id__exact": room.pk}).content.decode()
    assert admin_client_.get(reverse("admin:events_event_change", args=[event.pk])).status_code == 200


def test_admin_moving_an_event_moves_its_booking(admin_client_):
    event = services.create_event(
        organizer=UserFactory(), title="Move me", start=next_weekday_at(11), end=next_weekday_at(12), room=RoomFactory()
    )
    new_start = next_weekday_at(14)
    data = event_form(event, start=new_start, end=new_start + timedelta(hours=1))
    response = admin_client_.post(reverse("admin:events_event_change", args=[event.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    event.refresh_from_db()
    assert event.start == new_start and event.booking.start == new_start


def test_admin_capacity_above_the_room_is_refused(admin_client_):
    event = services.create_event(
        organizer=UserFactory(),
        title="Small",
        start=next_weekday_at(11),
        end=next_weekday_at(12),
        room=RoomFactory(name="Closet", capacity=3),
    )
    response = admin_client_.post(reverse("admin:events_event_change", args=[event.pk]), event_form(event, capacity=9))
    assert response.status_code == 200
    assert "Closet seats only 3 people." in response.content.decode()


def test_admin_invitation_obeys_working_hours(admin_client_):
    event = EventFactory(start=next_weekday_at(11), end=next_weekday_at(12))
    late = UserFactory(name="Late Larry")
    set_working_hours(user=late, week={d: (time(14), time(22), None, None) for d in range(7)})
    response = admin_client_.post(
        reverse("admin:events_invitation_add"),
        {"event": event.pk, "invited_by": event.organizer_id, "invitee": late.pk, "status": "pending"},
    )
    assert response.status_code == 200
    assert "Late Larry works 14:00–22:00" in response.content.decode()
    assert Invitation.objects.count() == 0


def test_cancel_selected_events_cancels_their_bookings(admin_client_):
    event = services.create_event(
        organizer=UserFactory(), title="Gone", start=next_weekday_at(11), end=next_weekday_at(12), room=RoomFactory()
    )
    admin_client_.post(
        reverse("admin:events_event_changelist"), {"action": "cancel_selected", "_selected_action": [event.pk]}
    )
    event.refresh_from_db()
    assert event.is_cancelled and event.booking.is_cancelled


def test_employees_cannot_reach_the_event_admin(employee_client):
    assert employee_client.get(reverse("admin:events_event_changelist")).status_code == 302
