"""Every door refuses the same thing the same way.

Each row is a refused case (ended, cancelled, held for an event, someone else's,
over capacity, out of hours, overlap, ...). For each door that can attempt it
(the page, the Django admin, the JSON API), the attempt is made as a person would
make it, the answer must carry the same message, and nothing may change. The
rows name the service operation they exercise; a public service function
without rows, and without a written reason for having none, fails
``test_every_service_operation_has_rows``.
"""

import html
import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import time, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import services as account_services
from accounts.models import User, WorkingHours
from events import services as event_services
from events.models import Event, Invitation, Registration
from rooms import services as room_services
from rooms.models import Booking, Room
from tests.factories import BookingFactory, EventFactory, RoomFactory, UserFactory, next_weekday_at, tomorrow_at

pytestmark = pytest.mark.django_db


@dataclass
class World:
    owner: User
    stranger: User
    admin: User
    room: Room
    objects: dict[str, Any] = field(default_factory=dict)

    def page(self, user: User | None = None) -> Client:
        client = Client()
        client.force_login(user or self.owner)
        return client

    def api(self, user: User | None = None) -> APIClient:
        client = APIClient()
        _token, raw = account_services.issue_api_token(user=user or self.owner, name="parity")
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        return client

    def admin_client(self) -> Client:
        return self.page(self.admin)


def text_of(response: Any) -> str:
    """What the person reads: the page (after redirects), or the JSON body."""
    if response.get("Content-Type", "").startswith("application/json"):
        return json.dumps(response.json(), ensure_ascii=False)
    return html.unescape(response.content.decode())


def split(moment: Any) -> tuple[str, str]:
    local = timezone.localtime(moment)
    return local.strftime("%Y-%m-%d"), local.strftime("%H:%M:%S")


def booking_admin_form(booking: Booking, **changes: Any) -> dict[str, Any]:
    start, end = changes.pop("start", booking.start), changes.pop("end", booking.end)
    return {
        "room": booking.room_id,
        "user": booking.user_id,
        "title": booking.title,
        "start_0": split(start)[0],
        "start_1": split(start)[1],
        "end_0": split(end)[0],
        "end_1": split(end)[1],
        **changes,
    }


def event_admin_form(event: Event, **changes: Any) -> dict[str, Any]:
    data = {
        "title": event.title,
        "description": event.description,
        "start_0": split(event.start)[0],
        "start_1": split(event.start)[1],
        "end_0": split(event.end)[0],
        "end_1": split(event.end)[1],
        "organizer": event.organizer_id,
        "capacity": event.capacity or "",
        "room": event.booking.room_id if event.booking_id else "",
    }
    for prefix in ("registrations", "invitations"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    data.update(changes)
    return data


def page_booking_form(start: Any, end: Any, title: str = "Changed") -> dict[str, str]:
    local_start, local_end = timezone.localtime(start), timezone.localtime(end)
    return {
        "title": title,
        "date": local_start.date().isoformat(),
        "start_time": local_start.strftime("%H:%M"),
        "end_time": local_end.strftime("%H:%M"),
    }


def admin_action(w: World, model: str, action: str, obj: Any) -> Any:
    return w.admin_client().post(
        reverse(f"admin:{model}_changelist"), {"action": action, "_selected_action": [obj.pk]}, follow=True
    )


# --- what each case starts from -------------------------------------------------------------


def ended_booking(w: World) -> Booking:
    start = timezone.now() - timedelta(days=1)
    return BookingFactory(room=w.room, user=w.owner, title="Yesterday", start=start, end=start + timedelta(hours=1))


def cancelled_booking(w: World) -> Booking:
    return BookingFactory(room=w.room, user=w.owner, title="Called off", cancelled_at=timezone.now())


def event_booking(w: World) -> Booking:
    event = event_services.create_event(
        organizer=w.owner, title="Offsite", start=next_weekday_at(11), end=next_weekday_at(12), room=w.room
    )
    w.objects["event"] = event
    return event.booking


def strangers_booking(w: World) -> Booking:
    return BookingFactory(room=w.room, user=w.stranger, title="Not yours")


def blocker(w: World) -> Booking:
    return BookingFactory(room=w.room, user=w.stranger, title="Blocker", start=tomorrow_at(10), end=tomorrow_at(11))


def cancelled_event(w: World) -> Event:
    return EventFactory(organizer=w.owner, title="Cancelled gala", cancelled_at=timezone.now())


def ended_event(w: World) -> Event:
    start = timezone.now() - timedelta(days=2)
    return EventFactory(organizer=w.owner, title="Last week", start=start, end=start + timedelta(hours=1))


def full_event(w: World) -> Event:
    event = event_services.create_event(
        organizer=w.stranger, title="Tiny", start=next_weekday_at(11), end=next_weekday_at(12), capacity=1
    )
    event_services.register(event=event, user=UserFactory())
    return event


def started_event_with_owner(w: World) -> Event:
    start = timezone.now() - timedelta(minutes=10)
    event = EventFactory(organizer=w.stranger, title="Under way", start=start, end=start + timedelta(hours=2))
    Registration.objects.create(event=event, user=w.owner)
    return event


def night_event(w: World) -> Event:
    """An event at 21:00 on a weekday: outside the invitee's default working hours."""
    w.objects["invitee"] = UserFactory(name="Nadia Night")
    return event_services.create_event(
        organizer=w.owner, title="Late call", start=next_weekday_at(21), end=next_weekday_at(22)
    )


def answered_invitation(w: World) -> Invitation:
    event = event_services.create_event(
        organizer=w.stranger, title="Workshop", start=next_weekday_at(11), end=next_weekday_at(12)
    )
    invitation = event_services.invite(event=event, invited_by=w.stranger, invitees=[w.owner]).sent[0]
    event_services.decline_invitation(invitation=invitation, actor=w.owner)
    return invitation


def nothing(w: World) -> None:
    return None


# --- what must not change ----------------------------------------------------------------------


def all_rows() -> Any:
    return (
        sorted(Booking.objects.values_list("pk", "room_id", "user_id", "title", "start", "end", "cancelled_at")),
        sorted(
            Event.objects.values_list(
                "pk", "title", "description", "organizer_id", "start", "end", "capacity", "cancelled_at", "booking_id"
            )
        ),
        sorted(Registration.objects.values_list("event_id", "user_id")),
        sorted(Invitation.objects.values_list("pk", "event_id", "invitee_id", "status", "responded_at")),
        sorted(WorkingHours.objects.values_list("user_id", "weekday", "start", "end", "break_start", "break_end")),
        sorted(Room.objects.values_list("pk", "name", "capacity", "is_active")),
    )


@dataclass
class Case:
    name: str
    operation: str
    setup: Callable[[World], Any]
    message: str
    doors: dict[str, Callable[[World, Any], Any]]


def overlap_message(w: World, target: Booking) -> str:
    return "The room is already booked"


CASES = [
    Case(
        "ended booking, change",
        "rooms.change_booking",
        ended_booking,
        "A booking that has ended cannot be changed.",
        {
            "page": lambda w, b: w.page().post(
                reverse("rooms:booking_edit", args=[b.pk]),
                {**page_booking_form(tomorrow_at(15), tomorrow_at(16)), "room": b.room_id},
                follow=True,
            ),
            "api": lambda w, b: w.api().patch(f"/api/bookings/{b.pk}/", {"title": "Changed"}, format="json"),
            "admin": lambda w, b: w.admin_client().post(
                reverse("admin:rooms_booking_change", args=[b.pk]), booking_admin_form(b, title="Changed")
            ),
        },
    ),
    Case(
        "ended booking, cancel",
        "rooms.cancel_booking",
        ended_booking,
        "A booking that has ended cannot be cancelled.",
        {
            "page": lambda w, b: w.page().post(reverse("rooms:booking_cancel", args=[b.pk]), follow=True),
            "api": lambda w, b: w.api().post(f"/api/bookings/{b.pk}/cancel/"),
            "admin": lambda w, b: admin_action(w, "rooms_booking", "cancel_selected", b),
        },
    ),
    Case(
        "cancelled booking, change",
        "rooms.change_booking",
        cancelled_booking,
        "A cancelled booking cannot be changed.",
        {
            "page": lambda w, b: w.page().post(
                reverse("rooms:booking_edit", args=[b.pk]),
                {**page_booking_form(tomorrow_at(15), tomorrow_at(16)), "room": b.room_id},
                follow=True,
            ),
            "api": lambda w, b: w.api().patch(f"/api/bookings/{b.pk}/", {"title": "Changed"}, format="json"),
            "admin": lambda w, b: w.admin_client().post(
                reverse("admin:rooms_booking_change", args=[b.pk]), booking_admin_form(b, title="Changed")
            ),
        },
    ),
    Case(
        "cancelled booking, cancel",
        "rooms.cancel_booking",
        cancelled_booking,
        "This booking is already cancelled.",
        {
            "page": lambda w, b: w.page().post(reverse("rooms:booking_cancel", args=[b.pk]), follow=True),
            "api": lambda w, b: w.api().post(f"/api/bookings/{b.pk}/cancel/"),
            "admin": lambda w, b: admin_action(w, "rooms_booking", "cancel_selected", b),
        },
    ),
    Case(
        "booking held for an event, moved on its own",
        "rooms.change_booking",
        event_booking,
        "This room is booked for an event; change or cancel the event instead.",
        {
            "page": lambda w, b: w.page().post(
                reverse("rooms:booking_edit", args=[b.pk]),
                {**page_booking_form(tomorrow_at(15, days=3), tomorrow_at(16, days=3)), "room": b.room_id},
                follow=True,
            ),
            "api": lambda w, b: w.api().patch(
                f"/api/bookings/{b.pk}/",
                {"start": (b.start + timedelta(hours=3)).isoformat(), "end": (b.end + timedelta(hours=3)).isoformat()},
                format="json",
            ),
            "admin": lambda w, b: w.admin_client().post(
                reverse("admin:rooms_booking_change", args=[b.pk]),
                booking_admin_form(b, start=b.start + timedelta(hours=3), end=b.end + timedelta(hours=3)),
            ),
        },
    ),
    Case(
        "booking held for an event, cancelled on its own",
        "rooms.cancel_booking",
        event_booking,
        "This room is booked for an event; change or cancel the event instead.",
        {
            "page": lambda w, b: w.page().post(reverse("rooms:booking_cancel", args=[b.pk]), follow=True),
            "api": lambda w, b: w.api().post(f"/api/bookings/{b.pk}/cancel/"),
            "admin": lambda w, b: admin_action(w, "rooms_booking", "cancel_selected", b),
        },
    ),
    Case(
        "someone else's booking",
        "rooms.change_booking",
        strangers_booking,
        "404",
        {
            "page": lambda w, b: w.page().post(
                reverse("rooms:booking_edit", args=[b.pk]), page_booking_form(tomorrow_at(15), tomorrow_at(16))
            ),
            "api": lambda w, b: w.api().patch(f"/api/bookings/{b.pk}/", {"title": "Mine now"}, format="json"),
        },
    ),
    Case(
        "someone else's booking, cancel",
        "rooms.cancel_booking",
        strangers_booking,
        "404",
        {
            "page": lambda w, b: w.page().post(reverse("rooms:booking_cancel", args=[b.pk])),
            "api": lambda w, b: w.api().post(f"/api/bookings/{b.pk}/cancel/"),
        },
    ),
    Case(
        "overlap",
        "rooms.book_room",
        blocker,
        "The room is already booked",
        {
            "page": lambda w, b: w.page().post(
                reverse("rooms:book", args=[w.room.pk]),
                page_booking_form(tomorrow_at(10, 30), tomorrow_at(11, 30), title="Clash"),
            ),
            "api": lambda w, b: w.api().post(
                "/api/bookings/",
                {
                    "room": w.room.pk,
                    "title": "Clash",
                    "start": tomorrow_at(10, 30).isoformat(),
                    "end": tomorrow_at(11, 30).isoformat(),
                },
                format="json",
            ),
            "admin": lambda w, b: w.admin_client().post(
                reverse("admin:rooms_booking_add"),
                booking_admin_form(
                    b, user=w.owner.pk, title="Clash", start=tomorrow_at(10, 30), end=tomorrow_at(11, 30)
                ),
            ),
        },
    ),
    Case(
        "a booking moved onto another",
        "rooms.change_booking",
        lambda w: (
            blocker(w),
            BookingFactory(room=w.room, user=w.owner, title="Mine", start=tomorrow_at(14), end=tomorrow_at(15)),
        )[1],
        "The room is already booked",
        {
            "page": lambda w, b: w.page().post(
                reverse("rooms:booking_edit", args=[b.pk]),
                {**page_booking_form(tomorrow_at(10, 30), tomorrow_at(11, 30), title="Mine"), "room": b.room_id},
            ),
            "api": lambda w, b: w.api().patch(
                f"/api/bookings/{b.pk}/",
                {"start": tomorrow_at(10, 30).isoformat(), "end": tomorrow_at(11, 30).isoformat()},
                format="json",
            ),
            "admin": lambda w, b: w.admin_client().post(
                reverse("admin:rooms_booking_change", args=[b.pk]),
                booking_admin_form(b, start=tomorrow_at(10, 30), end=tomorrow_at(11, 30)),
            ),
        },
    ),
    Case(
        "a closed room",
        "rooms.book_room",
        lambda w: room_services.set_room_active(room=w.room, actor=w.admin, active=False),
        "This room is not available for booking.",
        {
            "page": lambda w, r: w.page().post(
                reverse("rooms:book", args=[r.pk]), page_booking_form(tomorrow_at(9), tomorrow_at(10), title="Closed")
            ),
            "api": lambda w, r: w.api().post(
                "/api/bookings/",
                {
                    "room": r.pk,
                    "title": "Closed",
                    "start": tomorrow_at(9).isoformat(),
                    "end": tomorrow_at(10).isoformat(),
                },
                format="json",
            ),
            "admin": lambda w, r: w.admin_client().post(
                reverse("admin:rooms_booking_add"),
                booking_admin_form(
                    Booking(room=r, user=w.owner, title="Closed"), start=tomorrow_at(9), end=tomorrow_at(10)
                ),
            ),
        },
    ),
    Case(
        "a booking in the past",
        "rooms.book_room",
        nothing,
        "A booking cannot start in the past.",
        {
            "page": lambda w, _o: w.page().post(
                reverse("rooms:book", args=[w.room.pk]),
                page_booking_form(timezone.now() - timedelta(days=1), timezone.now() - timedelta(days=1, minutes=-30)),
            ),
            "api": lambda w, _o: w.api().post(
                "/api/bookings/",
                {
                    "room": w.room.pk,
                    "title": "Late",
                    "start": (timezone.now() - timedelta(days=1)).isoformat(),
                    "end": (timezone.now() - timedelta(days=1, minutes=-30)).isoformat(),
                },
                format="json",
            ),
            "admin": lambda w, _o: w.admin_client().post(
                reverse("admin:rooms_booking_add"),
                booking_admin_form(
                    Booking(room=w.room, user=w.owner, title="Late"),
                    start=timezone.now() - timedelta(days=1),
                    end=timezone.now() - timedelta(days=1, minutes=-30),
                ),
            ),
        },
    ),
    Case(
        "cancelled event, change",
        "events.change_event",
        cancelled_event,
        "A cancelled event cannot be changed.",
        {
            "page": lambda w, e: w.page().post(
                reverse("events:edit", args=[e.pk]),
                {**page_booking_form(e.start, e.end, title="Revived"), "description": "", "capacity": "", "room": ""},
                follow=True,
            ),
            "api": lambda w, e: w.api().patch(f"/api/events/{e.pk}/", {"title": "Revived"}, format="json"),
            "admin": lambda w, e: w.admin_client().post(
                reverse("admin:events_event_change", args=[e.pk]), event_admin_form(e, title="Revived")
            ),
        },
    ),
    Case(
        "ended event, cancel",
        "events.cancel_event",
        ended_event,
        "An event that has ended cannot be cancelled.",
        {
            "page": lambda w, e: w.page().post(reverse("events:cancel", args=[e.pk]), follow=True),
            "api": lambda w, e: w.api().post(f"/api/events/{e.pk}/cancel/"),
            "admin": lambda w, e: admin_action(w, "events_event", "cancel_selected", e),
        },
    ),
    Case(
        "an event in the past",
        "events.create_event",
        nothing,
        "An event cannot start in the past.",
        {
            "page": lambda w, _o: w.page().post(
                reverse("events:create"),
                {
                    **page_booking_form(timezone.now() - timedelta(days=1), timezone.now() - timedelta(hours=23)),
                    "description": "",
                    "capacity": "",
                    "room": "",
                },
            ),
            "api": lambda w, _o: w.api().post(
                "/api/events/",
                {
                    "title": "Late",
                    "start": (timezone.now() - timedelta(days=1)).isoformat(),
                    "end": (timezone.now() - timedelta(hours=23)).isoformat(),
                },
                format="json",
            ),
            "admin": lambda w, _o: w.admin_client().post(
                reverse("admin:events_event_add"),
                event_admin_form(
                    Event(
                        title="Late",
                        organizer=w.owner,
                        start=timezone.now() - timedelta(days=1),
                        end=timezone.now() - timedelta(hours=23),
                    )
                ),
            ),
        },
    ),
    Case(
        "over capacity",
        "events.register",
        full_event,
        "Sorry, this event is full.",
        {
            "page": lambda w, e: w.page().post(reverse("events:register", args=[e.pk]), follow=True),
            "api": lambda w, e: w.api().post(f"/api/events/{e.pk}/register/"),
            "admin": lambda w, e: w.admin_client().post(
                reverse("admin:events_registration_add"), {"event": e.pk, "user": w.owner.pk}
            ),
        },
    ),
    Case(
        "over capacity, from the event's page in the admin",
        "events.register",
        full_event,
        "Sorry, this event is full.",
        {
            "admin": lambda w, e: w.admin_client().post(
                reverse("admin:events_event_change", args=[e.pk]),
                {
                    **event_admin_form(e),
                    "registrations-TOTAL_FORMS": "2",
                    "registrations-INITIAL_FORMS": "1",
                    "registrations-0-id": e.registrations.get().pk,
                    "registrations-0-event": e.pk,
                    "registrations-1-event": e.pk,
                    "registrations-1-user": w.owner.pk,
                },
            ),
        },
    ),
    Case(
        "registration for a cancelled event",
        "events.register",
        lambda w: EventFactory(organizer=w.stranger, title="Off", cancelled_at=timezone.now()),
        "This event has been cancelled.",
        {
            "page": lambda w, e: w.page().post(reverse("events:register", args=[e.pk]), follow=True),
            "api": lambda w, e: w.api().post(f"/api/events/{e.pk}/register/"),
            "admin": lambda w, e: w.admin_client().post(
                reverse("admin:events_registration_add"), {"event": e.pk, "user": w.owner.pk}
            ),
        },
    ),
    Case(
        "leaving an event under way",
        "events.unregister",
        started_event_with_owner,
        "The event has already started.",
        {
            "page": lambda w, e: w.page().post(reverse("events:unregister", args=[e.pk]), follow=True),
            "api": lambda w, e: w.api().post(f"/api/events/{e.pk}/unregister/"),
            "admin": lambda w, e: w.admin_client().post(
                reverse("admin:events_registration_delete", args=[e.registrations.get().pk]),
                {"post": "yes"},
                follow=True,
            ),
        },
    ),
    Case(
        "an invitation outside working hours",
        "events.invite",
        night_event,
        "Nadia Night works 10:00–18:00",
        {
            "page": lambda w, e: w.page().post(
                reverse("events:invite", args=[e.pk]), {"invitees": [w.objects["invitee"].pk]}
            ),
            "api": lambda w, e: w.api().post(
                "/api/invitations/", {"event": e.pk, "invitees": [w.objects["invitee"].pk]}, format="json"
            ),
            "admin": lambda w, e: w.admin_client().post(
                reverse("admin:events_invitation_add"), {"event": e.pk, "invitee": w.objects["invitee"].pk}
            ),
        },
    ),
    Case(
        "an invitation answered twice",
        "events.accept_invitation",
        answered_invitation,
        "You have already answered this invitation.",
        {
            "page": lambda w, i: w.page().post(reverse("events:invitation_accept", args=[i.pk]), follow=True),
            "api": lambda w, i: w.api().post(f"/api/invitations/{i.pk}/accept/"),
            "admin": lambda w, i: admin_action(w, "events_invitation", "accept_selected", i),
        },
    ),
    Case(
        "an invitation declined twice",
        "events.decline_invitation",
        answered_invitation,
        "You have already answered this invitation.",
        {
            "page": lambda w, i: w.page().post(reverse("events:invitation_decline", args=[i.pk]), follow=True),
            "api": lambda w, i: w.api().post(f"/api/invitations/{i.pk}/decline/"),
            "admin": lambda w, i: admin_action(w, "events_invitation", "decline_selected", i),
        },
    ),
    Case(
        "a room renamed to a taken name",
        "rooms.change_room",
        lambda w: RoomFactory(name="Birch"),
        "A room with this name already exists.",
        {
            "api": lambda w, r: w.api(w.admin).patch(f"/api/rooms/{r.pk}/", {"name": "cedar"}, format="json"),
            "admin": lambda w, r: w.admin_client().post(
                reverse("admin:rooms_room_change", args=[r.pk]),
                {
                    "name": "CEDAR",
                    "capacity": r.capacity,
                    "location": r.location,
                    "equipment": r.equipment,
                    "is_active": "on",
                    "bookings-TOTAL_FORMS": "0",
                    "bookings-INITIAL_FORMS": "0",
                },
            ),
        },
    ),
    Case(
        "a working day that ends before it starts",
        "accounts.set_working_hours",
        nothing,
        "The working day must end after it starts.",
        {
            "page": lambda w, _o: w.page().post(
                reverse("accounts:profile"),
                {"save_hours": "1", "d0_works": "on", "d0_start": "18:00", "d0_end": "10:00"},
            ),
            "api": lambda w, _o: w.api().put(
                "/api/me/working-hours/", {"days": [{"weekday": 0, "start": "18:00", "end": "10:00"}]}, format="json"
            ),
            "admin": lambda w, _o: w.admin_client().post(
                reverse("admin:accounts_user_change", args=[w.owner.pk]), user_admin_form(w.owner, start="18:00")
            ),
        },
    ),
]


def user_admin_form(user: User, start: str) -> dict[str, Any]:
    rows = list(user.working_hours.order_by("weekday"))
    data = {
        "email": user.email,
        "name": user.name,
        "timezone": user.timezone,
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "10:00:00",
        "working_hours-TOTAL_FORMS": str(len(rows)),
        "working_hours-INITIAL_FORMS": str(len(rows)),
    }
    for index, row in enumerate(rows):
        data.update(
            {
                f"working_hours-{index}-id": row.pk,
                f"working_hours-{index}-user": user.pk,
                f"working_hours-{index}-weekday": row.weekday,
                f"working_hours-{index}-start": start if index == 0 else "10:00",
                f"working_hours-{index}-end": "10:00" if index == 0 else "18:00",
            }
        )
    return data


#: Public service functions with no row above, and why.
NO_ROWS = {
    "rooms.book_for_event": "reached only through create_event and change_event",
    "rooms.move_event_booking": "reached only through change_event",
    "rooms.release_event_booking": "reached only through change_event and cancel_event",
    "rooms.create_room": "refusals are the model's field rules, pinned in tests/rooms/test_admin.py and the API tests",
    "rooms.set_room_active": "refuses nothing but a non-admin, who reaches neither the admin nor the API's writes",
    "rooms.delete_room": "one door only: the admin (the API deactivates instead)",
    "rooms.booking_mail": "not a write: writes the mail a booking's change owes, when a worker sends it",
    "events.invitation_mail": "not a write: writes the invitation's mail, when a worker sends it",
    "events.answer_mail": "not a write: writes the mail of an answer, when a worker sends it",
    "events.event_news_mail": "not a write: writes a person's mail that an event moved or was cancelled",
    "events.event_news_audience": "not a write: who is told that an event moved or was cancelled",
    "events.feed_served": "refuses nothing; bookkeeping of the calendar feeds' Last-Modified",
    "events.removal_mail": "not a write: writes the mail of someone unregistered by another",
    "events.feed_body": "refuses nothing; keeps each calendar feed version as first written",
    "events.organizer_hours_warning": "not a write: a warning after one",
    "events.locked_event": "not a write: the lock every event service takes",
    "accounts.give_default_working_hours": "refuses nothing; runs for every new person",
    "accounts.change_profile": "the page offers a list of zones, the API checks the same list",
    "accounts.save_user": "one door only: the admin",
    "accounts.delete_user": "one door only: the admin",
    "accounts.sign_up": "one door only: allauth's sign-up page",
    "accounts.set_password": "one door only: the admin (allauth keeps people's own)",
    "accounts.issue_api_token": "one door only: the profile page",
    "accounts.note_api_token_use": "refuses nothing; bookkeeping of the API's authentication",
    "accounts.revoke_api_token": "one door only: the profile page",
    "accounts.reset_calendar_token": "one door only: the profile page",
    "accounts.site_domain": "not a write: the host of SITE_URL",
    "accounts.trust_address": "refuses nothing; runs for every person not signing up themselves",
    "accounts.after_password_change": "refuses nothing; runs after every new password",
    "accounts.sync_site": "refuses nothing; runs after every migrate",
}


def public_operations() -> set[str]:
    names = set()
    for label, module in (("rooms", room_services), ("events", event_services), ("accounts", account_services)):
        for name, member in inspect.getmembers(module, inspect.isfunction):
            if member.__module__ == module.__name__ and not name.startswith("_"):
                names.add(f"{label}.{name}")
    return names


def test_every_service_operation_has_rows():
    covered = {case.operation for case in CASES} | set(NO_ROWS)
    assert public_operations() - covered == set(), "add parity rows (or a reason in NO_ROWS) for these"
    assert covered - public_operations() == set(), "rows for operations that no longer exist"


def test_every_row_tries_more_than_one_door_or_says_why():
    for case in CASES:
        assert len(case.doors) >= 2 or "admin" in case.name, case.name


@pytest.fixture
def world(db) -> World:
    return World(
        owner=UserFactory(name="Olga Owner"),
        stranger=UserFactory(name="Sam Stranger"),
        admin=UserFactory(name="Ada Admin", is_staff=True, is_superuser=True),
        room=RoomFactory(name="Cedar", capacity=8),
    )


DOOR_CASES = [(case, door) for case in CASES for door in case.doors]


@pytest.mark.parametrize(("case", "door"), DOOR_CASES, ids=[f"{c.name} via {d}" for c, d in DOOR_CASES])
def test_every_door_refuses_alike(world, case, door):
    target = case.setup(world)
    before = all_rows()
    response = case.doors[door](world, target)
    if case.message == "404":
        assert response.status_code == 404
    else:
        assert response.status_code in (200, 400), (response.status_code, text_of(response)[:500])
        assert case.message in text_of(response), text_of(response)[:3000]
    assert all_rows() == before, "a refused change must change nothing"


def test_the_same_attempts_succeed_where_nothing_is_refused(world):
    """The rows above fail for the reason they name, not because the request was malformed."""
    booking = BookingFactory(room=world.room, user=world.owner, start=tomorrow_at(15), end=tomorrow_at(16))
    response = world.admin_client().post(
        reverse("admin:rooms_booking_change", args=[booking.pk]), booking_admin_form(booking, title="Changed")
    )
    assert response.status_code == 302
    assert world.api().patch(f"/api/bookings/{booking.pk}/", {"title": "Again"}, format="json").status_code == 200
    event = event_services.create_event(
        organizer=world.owner, title="Roomy", start=next_weekday_at(11), end=next_weekday_at(12), capacity=5
    )
    assert (
        world.admin_client()
        .post(reverse("admin:events_registration_add"), {"event": event.pk, "user": world.stranger.pk})
        .status_code
        == 302
    )
    assert world.page().post(reverse("events:register", args=[event.pk])).status_code == 302
    assert set(event.registrations.values_list("user_id", flat=True)) == {world.stranger.pk, world.owner.pk}
    response = world.admin_client().post(
        reverse("admin:accounts_user_change", args=[world.owner.pk]), user_admin_form(world.owner, start="09:00")
    )
    assert response.status_code == 302, text_of(response)[:2000]
    assert world.owner.working_hours.get(weekday=0).start == time(9)
