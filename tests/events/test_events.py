import re
from datetime import time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.services import set_working_hours
from events import services
from events.models import Event, Invitation, Registration
from rooms.models import Booking
from tests.factories import BookingFactory, EventFactory, RoomFactory, UserFactory, next_weekday_at

pytestmark = pytest.mark.django_db


def create(organizer, room=None, start=None, end=None, **extra) -> Event:
    start = start or next_weekday_at(11)
    return services.create_event(
        organizer=organizer,
        title=extra.pop("title", "Demo day"),
        start=start,
        end=end or start + timedelta(hours=1),
        room=room,
        **extra,
    )


class TestEventRules:
    def test_end_after_start_and_not_in_the_past(self, employee):
        start = next_weekday_at(11)
        with pytest.raises(ValidationError, match=re.escape("The end must be after the start.")):
            create(employee, start=start, end=start)
        past = timezone.now() - timedelta(hours=3)
        with pytest.raises(ValidationError, match=re.escape("An event cannot start in the past.")):
            create(employee, start=past, end=past + timedelta(hours=1))
        assert Event.objects.count() == 0

    def test_capacity_at_least_one_and_within_the_room(self, employee):
        with pytest.raises(ValidationError, match=re.escape("Capacity must be at least 1.")):
            create(employee, capacity=0)
        room = RoomFactory(name="Small", capacity=4)
        with pytest.raises(ValidationError, match=re.escape("Small seats only 4 people.")):
            create(employee, room=room, capacity=5)
        assert Booking.objects.count() == 0
        assert create(employee, room=room, capacity=4).capacity == 4

    def test_an_event_without_a_room(self, employee):
        event = create(employee)
        assert event.booking is None and event.room is None


class TestEventInARoom:
    def test_creating_books_the_room_in_the_same_step(self, employee):
        room = RoomFactory(name="Hall")
        event = create(employee, room=room, title="Town hall")
        booking = event.booking
        assert (booking.room, booking.user, booking.title) == (room, employee, "Town hall")
        assert (booking.start, booking.end) == (event.start, event.end)

    def test_a_taken_room_creates_nothing_and_names_the_holder(self, employee, other_employee):
        room = RoomFactory(name="Hall")
        start = next_weekday_at(11)
        BookingFactory(room=room, user=other_employee, title="Interviews", start=start, end=start + timedelta(hours=2))
        with pytest.raises(ValidationError) as caught:
            create(employee, room=room, start=start + timedelta(minutes=30))
        assert "Interviews" in caught.value.messages[0] and "Oscar Other" in caught.value.messages[0]
        assert Event.objects.count() == 0
        assert Booking.objects.count() == 1

    def test_moving_the_event_moves_its_booking(self, employee):
        room, other_room = RoomFactory(), RoomFactory()
        event = create(employee, room=room)
        start = next_weekday_at(14)
        moved = services.change_event(
            event=event, actor=employee, title="Moved", start=start, end=start + timedelta(hours=2), room=other_room
        )
        booking = Booking.objects.get(pk=event.booking_id)
        assert (booking.room, booking.start, booking.end, booking.title) == (other_room, start, moved.end, "Moved")

    def test_moving_onto_a_taken_slot_changes_nothing(self, employee, other_employee):
        room = RoomFactory()
        event = create(employee, room=room)
        start = next_weekday_at(15)
        BookingFactory(room=room, user=other_employee, start=start, end=start + timedelta(hours=1))
        with pytest.raises(ValidationError):
            services.change_event(
                event=event, actor=employee, title="x", start=start, end=start + timedelta(hours=1), room=room
            )
        event.refresh_from_db()
        assert event.start == next_weekday_at(11)
        assert Booking.objects.get(pk=event.booking_id).start == next_weekday_at(11)

    def test_dropping_the_room_cancels_the_booking(self, employee):
        event = create(employee, room=RoomFactory())
        booking_id = event.booking_id
        changed = services.change_event(
            event=event, actor=employee, title=event.title, start=event.start, end=event.end
        )
        assert changed.booking is None
        assert Booking.objects.get(pk=booking_id).is_cancelled

    def test_cancelling_the_event_cancels_its_booking(self, employee):
        event = create(employee, room=RoomFactory())
        services.cancel_event(event=event, actor=employee)
        event.refresh_from_db()
        assert event.is_cancelled and event.booking.is_cancelled

    def test_only_the_organizer_or_an_admin_manages(self, employee, other_employee, admin_user):
        event = create(employee)
        with pytest.raises(PermissionDenied):
            services.cancel_event(event=event, actor=other_employee)
        with pytest.raises(PermissionDenied):
            services.change_event(event=event, actor=other_employee, title="x", start=event.start, end=event.end)
        services.cancel_event(event=event, actor=admin_user)

    def test_capacity_cannot_drop_below_the_registered(self, employee):
        event = create(employee, capacity=5)
        for _ in range(3):
            services.register(event=event, user=UserFactory())
        with pytest.raises(ValidationError, match="More people are already registered"):
            services.change_event(event=event, actor=employee, title="x", start=event.start, end=event.end, capacity=2)


class TestOrganizerHours:
    def test_outside_own_hours_saves_with_a_warning(self, employee):
        start = next_weekday_at(19)
        event = create(employee, start=start, end=start + timedelta(hours=1))
        warning = services.organizer_hours_warning(event)
        assert warning.startswith("Saved, but note: Erin Employee works 10:00–18:00, break 12:00–13:00")

    def test_inside_own_hours_no_warning(self, employee):
        assert services.organizer_hours_warning(create(employee)) is None


class TestRegistration:
    def test_register_once_and_unregister(self, employee):
        event = EventFactory()
        services.register(event=event, user=employee)
        with pytest.raises(ValidationError):
            services.register(event=event, user=employee)
        assert Registration.objects.count() == 1
        services.unregister(event=event, user=employee)
        assert Registration.objects.count() == 0
        with pytest.raises(ValidationError, match="not registered"):
            services.unregister(event=event, user=employee)

    def test_a_full_event_refuses_and_unregistering_frees_a_place(self, employee, other_employee):
        event = EventFactory(capacity=1)
        services.register(event=event, user=employee)
        with pytest.raises(ValidationError, match=re.escape("Sorry, this event is full.")):
            services.register(event=event, user=other_employee)
        services.unregister(event=event, user=employee)
        services.register(event=event, user=other_employee)

    def test_closed_when_the_event_starts_or_is_cancelled(self, employee):
        start = timezone.now() - timedelta(minutes=10)
        started = EventFactory(start=start, end=start + timedelta(hours=1))
        with pytest.raises(ValidationError, match="Registration closed"):
            services.register(event=started, user=employee)
        cancelled = EventFactory(cancelled_at=timezone.now())
        with pytest.raises(ValidationError, match="cancelled"):
            services.register(event=cancelled, user=employee)


class TestInvitations:
    def test_organizer_invites_several_and_hears_of_each_refusal(self, employee, django_capture_on_commit_callbacks):
        event = create(employee, start=next_weekday_at(11))
        fits = UserFactory(name="Fits")
        night_owl = UserFactory(name="Night Owl")
        set_working_hours(user=night_owl, week={d: (time(14), time(22), None, None) for d in range(5)})
        registered = UserFactory(name="Already Here")
        services.register(event=event, user=registered)
        with django_capture_on_commit_callbacks(execute=True):
            result = services.invite(event=event, invited_by=employee, invitees=[fits, night_owl, registered])
        assert [i.invitee for i in result.sent] == [fits]
        refused = dict((person.name, reasons) for person, reasons in result.refused)
        assert refused["Night Owl"] == [
            "Night Owl works 14:00–22:00 on "
            + event.start.astimezone(timezone.get_current_timezone()).strftime("%A")
            + " (Europe/Moscow); 11:00–12:00 is outside that."
        ]
        assert refused["Already Here"] == ["This person is already registered for this event."]
        again = services.invite(event=event, invited_by=employee, invitees=[fits])
        assert again.refused == [(fits, ["This person has already been invited to this event."])]
        assert len(mail.outbox) == 1 and mail.outbox[0].to == [fits.email]

    def test_invitee_in_another_time_zone(self, employee):
        event = create(employee, start=next_weekday_at(11))  # 11:00 Moscow = 09:00 Berlin in winter or 10:00 in summer
        berlin = UserFactory(timezone="Europe/Berlin")
        result = services.invite(event=event, invited_by=employee, invitees=[berlin])
        local_hour = event.start.astimezone(ZoneInfo("Europe/Berlin")).hour
        assert bool(result.sent) is (local_hour >= 10)

    def test_registered_people_may_invite_others_may_not(self, employee, other_employee):
        event = create(employee)
        stranger = UserFactory()
        with pytest.raises(PermissionDenied):
            services.invite(event=event, invited_by=stranger, invitees=[other_employee])
        services.register(event=event, user=stranger)
        assert services.invite(event=event, invited_by=stranger, invitees=[other_employee]).sent

    def test_accept_registers_and_tells_the_inviter(self, employee, other_employee, django_capture_on_commit_callbacks):
        event = create(employee)
        [invitation] = services.invite(event=event, invited_by=employee, invitees=[other_employee]).sent
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            services.accept_invitation(invitation=invitation, actor=other_employee)
        invitation.refresh_from_db()
        assert invitation.status == Invitation.Status.ACCEPTED and invitation.responded_at
        assert Registration.objects.filter(event=event, user=other_employee).exists()
        assert mail.outbox[0].to == [employee.email] and "accepted" in mail.outbox[0].subject
        with pytest.raises(ValidationError, match="already answered"):
            services.decline_invitation(invitation=invitation, actor=other_employee)

    def test_decline_and_only_the_invitee_answers(self, employee, other_employee):
        event = create(employee)
        [invitation] = services.invite(event=event, invited_by=employee, invitees=[other_employee]).sent
        with pytest.raises(PermissionDenied):
            services.accept_invitation(invitation=invitation, actor=employee)
        services.decline_invitation(invitation=invitation, actor=other_employee)
        invitation.refresh_from_db()
        assert invitation.status == Invitation.Status.DECLINED
        assert not Registration.objects.filter(user=other_employee).exists()

    def test_accepting_a_full_event_is_refused_and_stays_pending(self, employee, other_employee):
        event = create(employee, capacity=1)
        [invitation] = services.invite(event=event, invited_by=employee, invitees=[other_employee]).sent
        services.register(event=event, user=UserFactory())
        with pytest.raises(ValidationError, match="full"):
            services.accept_invitation(invitation=invitation, actor=other_employee)
        invitation.refresh_from_db()
        assert invitation.status == Invitation.Status.PENDING


def test_an_event_lasts_at_most_event_max_days(employee, settings):
    settings.EVENT_MAX_DAYS = 2
    start = next_weekday_at(11)
    with pytest.raises(ValidationError, match=re.escape("An event may last at most 2 days.")):
        services.create_event(organizer=employee, title="Marathon", start=start, end=start + timedelta(days=2, hours=1))
    event = services.create_event(organizer=employee, title="Retreat", start=start, end=start + timedelta(days=2))
    assert Event.objects.upcoming().filter(pk=event.pk).exists()
