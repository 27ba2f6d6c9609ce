"""Random sequences of book, change, cancel, register, invite, accept and decline,
each through a door drawn at random (the service itself, the JSON API or the
Django admin), checked after every step against a plain in-memory model."""

import itertools
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test
from rest_framework.test import APIClient

from events import services as event_services
from events.models import Event, Invitation, Registration
from rooms import services as room_services
from rooms.models import Booking, Room
from tests.factories import RoomFactory, UserFactory, next_weekday_at

SLOT = timedelta(minutes=30)
DOORS = st.sampled_from(["service", "api", "admin"])


def admin_times(start: datetime, end: datetime) -> dict[str, str]:
    local_start, local_end = timezone.localtime(start), timezone.localtime(end)
    return {
        "start_0": f"{local_start:%Y-%m-%d}",
        "start_1": f"{local_start:%H:%M:%S}",
        "end_0": f"{local_end:%Y-%m-%d}",
        "end_1": f"{local_end:%H:%M:%S}",
    }


def at_work(start: datetime, end: datetime) -> bool:
    """The default week (Mon-Fri 10-18, break 12-13) in Moscow, computed by hand."""
    local_start, local_end = start.astimezone(MOSCOW), end.astimezone(MOSCOW)
    if local_start.date() != local_end.date() or local_start.weekday() >= 5:
        return False
    s, e = local_start.time(), local_end.time()
    return time(10) <= s and e <= time(18) and not (s < time(13) and time(12) < e)


MOSCOW = ZoneInfo("Europe/Moscow")


@dataclass
class Model:
    bookings: dict[int, tuple[int, datetime, datetime]] = field(default_factory=dict)  # standing only
    capacity: dict[int, int] = field(default_factory=dict)
    times: dict[int, tuple[datetime, datetime]] = field(default_factory=dict)
    registered: dict[int, set[int]] = field(default_factory=dict)
    invitations: dict[int, tuple[int, int, str]] = field(default_factory=dict)  # id -> (event, invitee, status)

    def room_free(self, room: int, start: datetime, end: datetime, ignore: int | None = None) -> bool:
        return not any(r == room and s < end and start < e for pk, (r, s, e) in self.bookings.items() if pk != ignore)


class BookingMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.base = next_weekday_at(8)
        self.rooms = [RoomFactory(capacity=4).pk, RoomFactory(capacity=4).pk]
        self.users = [UserFactory(timezone="Europe/Moscow") for _ in range(4)]
        self.admin = Client()
        self.admin.force_login(UserFactory(is_staff=True, is_superuser=True))
        self.model = Model()

    def api(self, user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    def through(self, door, service, api, admin):
        """Run one attempt through ``door``: True when it was made, False when refused."""
        if door == "service":
            try:
                service()
            except ValidationError:
                return False
            return True
        if door == "api":
            response = api()
            assert response.status_code in (200, 201, 400), (response.status_code, response.content[:300])
            return response.status_code in (200, 201)
        response = admin()
        assert response.status_code in (200, 302), response.status_code
        return response.status_code == 302

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    def span(self, slot: int, length: int) -> tuple[datetime, datetime]:
        start = self.base + slot * SLOT
        return start, start + length * SLOT

    @rule(room=st.integers(0, 1), user=st.integers(0, 3), slot=st.integers(0, 23), length=st.integers(1, 4), door=DOORS)
    def book(self, room, user, slot, length, door):
        start, end = self.span(slot, length)
        room_id, person = self.rooms[room], self.users[user]
        expected = self.model.room_free(room_id, start, end)
        made = self.through(
            door,
            lambda: room_services.book_room(
                room=self._room(room_id), user=person, title="b", start=start, end=end, notify=False
            ),
            lambda: self.api(person).post(
                "/api/bookings/",
                {"room": room_id, "title": "b", "start": start.isoformat(), "end": end.isoformat()},
                format="json",
            ),
            lambda: self.admin.post(
                reverse("admin:rooms_booking_add"),
                {"room": room_id, "user": person.pk, "title": "b", **admin_times(start, end)},
            ),
        )
        assert made is expected
        if made:
            booking = Booking.objects.active().get(room_id=room_id, start=start, end=end)
            self.model.bookings[booking.pk] = (room_id, start, end)

    @precondition(lambda self: self.model.bookings)
    @rule(pick=st.integers(0, 1000), slot=st.integers(0, 23), length=st.integers(1, 4), door=DOORS)
    def change(self, pick, slot, length, door):
        pk = sorted(self.model.bookings)[pick % len(self.model.bookings)]
        room_id = self.model.bookings[pk][0]
        start, end = self.span(slot, length)
        booking = Booking.objects.select_related("user").get(pk=pk)
        expected = self.model.room_free(room_id, start, end, ignore=pk)
        made = self.through(
            door,
            lambda: room_services.change_booking(
                booking=booking, actor=booking.user, start=start, end=end, notify=False
            ),
            lambda: self.api(booking.user).patch(
                f"/api/bookings/{pk}/", {"start": start.isoformat(), "end": end.isoformat()}, format="json"
            ),
            lambda: self.admin.post(
                reverse("admin:rooms_booking_change", args=[pk]),
                {"room": room_id, "title": booking.title, **admin_times(start, end)},
            ),
        )
        assert made is expected
        if made:
            self.model.bookings[pk] = (room_id, start, end)

    @precondition(lambda self: self.model.bookings)
    @rule(pick=st.integers(0, 1000), door=DOORS)
    def cancel(self, pick, door):
        pk = sorted(self.model.bookings)[pick % len(self.model.bookings)]
        booking = Booking.objects.select_related("user").get(pk=pk)
        if door == "service":
            room_services.cancel_booking(booking=booking, actor=booking.user, notify=False)
        elif door == "api":
            assert self.api(booking.user).post(f"/api/bookings/{pk}/cancel/").status_code == 200
        else:
            self.admin.post(
                reverse("admin:rooms_booking_changelist"), {"action": "cancel_selected", "_selected_action": [pk]}
            )
        assert Booking.objects.get(pk=pk).is_cancelled
        del self.model.bookings[pk]

    @rule(user=st.integers(0, 3), slot=st.integers(0, 23), length=st.integers(1, 4), capacity=st.integers(1, 3))
    def create_event(self, user, slot, length, capacity):
        start, end = self.span(slot, length)
        event = event_services.create_event(
            organizer=self.users[user], title="e", start=start, end=end, capacity=capacity
        )
        self.model.capacity[event.pk] = capacity
        self.model.times[event.pk] = (start, end)
        self.model.registered[event.pk] = set()

    @precondition(lambda self: self.model.capacity)
    @rule(pick=st.integers(0, 1000), user=st.integers(0, 3), door=DOORS)
    def register(self, pick, user, door):
        event_id = sorted(self.model.capacity)[pick % len(self.model.capacity)]
        person = self.users[user]
        people = self.model.registered[event_id]
        expected = person.pk not in people and len(people) < self.model.capacity[event_id]
        made = self.through(
            door,
            lambda: event_services.register(event=Event.objects.get(pk=event_id), user=person),
            lambda: self.api(person).post(f"/api/events/{event_id}/register/"),
            lambda: self.admin.post(reverse("admin:events_registration_add"), {"event": event_id, "user": person.pk}),
        )
        assert made is expected
        if made:
            people.add(person.pk)

    @precondition(lambda self: self.model.capacity)
    @rule(pick=st.integers(0, 1000), user=st.integers(0, 3))
    def invite(self, pick, user):
        event_id = sorted(self.model.capacity)[pick % len(self.model.capacity)]
        event = Event.objects.get(pk=event_id)
        invitee = self.users[user]
        already = any(e == event_id and i == invitee.pk for e, i, _s in self.model.invitations.values())
        expected = (
            not already and invitee.pk not in self.model.registered[event_id] and at_work(*self.model.times[event_id])
        )
        result = event_services.invite(event=event, invited_by=event.organizer, invitees=[invitee])
        assert bool(result.sent) is expected
        for invitation in result.sent:
            self.model.invitations[invitation.pk] = (event_id, invitee.pk, "pending")

    @precondition(lambda self: any(s == "pending" for _e, _i, s in self.model.invitations.values()))
    @rule(pick=st.integers(0, 1000), accept=st.booleans())
    def answer(self, pick, accept):
        pending = sorted(pk for pk, (_e, _i, s) in self.model.invitations.items() if s == "pending")
        pk = pending[pick % len(pending)]
        event_id, invitee_id, _status = self.model.invitations[pk]
        invitation = Invitation.objects.select_related("invitee").get(pk=pk)
        people = self.model.registered[event_id]
        if not accept:
            event_services.decline_invitation(invitation=invitation, actor=invitation.invitee)
            self.model.invitations[pk] = (event_id, invitee_id, "declined")
            return
        expected = invitee_id in people or len(people) < self.model.capacity[event_id]
        try:
            event_services.accept_invitation(invitation=invitation, actor=invitation.invitee)
        except ValidationError:
            assert not expected
        else:
            assert expected
            people.add(invitee_id)
            self.model.invitations[pk] = (event_id, invitee_id, "accepted")

    def _room(self, pk):
        return Room.objects.get(pk=pk)

    @invariant()
    def database_matches_the_model(self):
        standing = {b.pk: (b.room_id, b.start, b.end) for b in Booking.objects.active()}
        assert standing == self.model.bookings
        for room_id in self.rooms:
            spans = sorted((s, e) for r, s, e in standing.values() if r == room_id)
            assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans)), "overlapping bookings"
        for event_id, capacity in self.model.capacity.items():
            people = set(Registration.objects.filter(event_id=event_id).values_list("user_id", flat=True))
            assert people == self.model.registered[event_id]
            assert len(people) <= capacity
        for invitation in Invitation.objects.filter(status=Invitation.Status.ACCEPTED).select_related("event"):
            assert at_work(invitation.event.start, invitation.event.end)
        statuses = {i.pk: i.status for i in Invitation.objects.all()}
        assert statuses == {pk: status for pk, (_e, _i, status) in self.model.invitations.items()}


@pytest.mark.django_db
def test_services_match_the_model():
    run_state_machine_as_test(
        BookingMachine,
        settings=settings(
            max_examples=40,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
