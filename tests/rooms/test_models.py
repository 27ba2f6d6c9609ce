from datetime import datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from rooms.models import Booking, Room, note_availability
from tests.factories import BookingFactory, RoomFactory, UserFactory, tomorrow_at

pytestmark = pytest.mark.django_db


def messages_of(booking: Booking) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        booking.full_clean()
    return caught.value.messages


def new_booking(room, user, start, end, title="Planning") -> Booking:
    return Booking(room=room, user=user, title=title, start=start, end=end)


def test_a_valid_booking_passes(room, employee):
    new_booking(room, employee, tomorrow_at(10), tomorrow_at(11)).full_clean()


def test_end_must_be_after_start(room, employee):
    assert messages_of(new_booking(room, employee, tomorrow_at(11), tomorrow_at(10))) == [
        "The end must be after the start."
    ]
    assert messages_of(new_booking(room, employee, tomorrow_at(11), tomorrow_at(11))) == [
        "The end must be after the start."
    ]


def test_start_in_the_past_is_refused(room, employee):
    start = timezone.now() - timedelta(hours=2)
    assert "A booking cannot start in the past." in messages_of(
        new_booking(room, employee, start, start + timedelta(hours=1))
    )


def test_too_short_and_too_long(room, employee, settings):
    settings.BOOKING_MIN_MINUTES = 15
    settings.BOOKING_MAX_HOURS = 12
    start = tomorrow_at(9)
    assert messages_of(new_booking(room, employee, start, start + timedelta(minutes=14))) == [
        "A booking must last at least 15 minutes."
    ]
    new_booking(room, employee, start, start + timedelta(minutes=15)).full_clean()
    new_booking(room, employee, start, start + timedelta(hours=12)).full_clean()
    assert messages_of(new_booking(room, employee, start, start + timedelta(hours=12, minutes=1))) == [
        "A booking may last at most 12 hours."
    ]


def test_further_ahead_than_the_horizon_is_refused(room, employee, settings):
    settings.BOOKING_HORIZON_DAYS = 30
    start = tomorrow_at(10, days=31)
    assert messages_of(new_booking(room, employee, start, start + timedelta(hours=1))) == [
        "Rooms can be booked at most 30 days ahead."
    ]
    start = tomorrow_at(10, days=29)
    new_booking(room, employee, start, start + timedelta(hours=1)).full_clean()


def test_inactive_room_cannot_be_booked(employee):
    room = RoomFactory(is_active=False)
    assert messages_of(new_booking(room, employee, tomorrow_at(10), tomorrow_at(11))) == [
        "This room is not available for booking."
    ]


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ((10, 30), (11, 30)),  # overlaps the end
        ((9, 30), (10, 30)),  # overlaps the start
        ((10, 15), (10, 45)),  # inside
        ((9, 0), (12, 0)),  # around
        ((10, 0), (11, 0)),  # the same
    ],
)
def test_any_overlap_is_refused_and_named(room, employee, other_employee, start, end):
    BookingFactory(room=room, user=other_employee, title="Board meeting", start=tomorrow_at(10), end=tomorrow_at(11))
    booking = new_booking(room, employee, tomorrow_at(*start), tomorrow_at(*end))
    [message] = messages_of(booking)
    assert "Board meeting" in message
    assert "Oscar Other" in message
    assert "10:00–11:00" in message


def test_back_to_back_bookings_are_fine(room, employee, other_employee):
    BookingFactory(room=room, user=other_employee, start=tomorrow_at(10), end=tomorrow_at(11))
    new_booking(room, employee, tomorrow_at(11), tomorrow_at(12)).full_clean()
    new_booking(room, employee, tomorrow_at(9), tomorrow_at(10)).full_clean()


def test_other_rooms_and_cancelled_bookings_do_not_block(room, employee):
    BookingFactory(room=RoomFactory(), start=tomorrow_at(10), end=tomorrow_at(11))
    BookingFactory(room=room, start=tomorrow_at(10), end=tomorrow_at(11), cancelled_at=timezone.now())
    new_booking(room, employee, tomorrow_at(10), tomorrow_at(11)).full_clean()


def test_editing_does_not_collide_with_itself(room):
    booking = BookingFactory(room=room, start=tomorrow_at(10), end=tomorrow_at(11))
    booking = Booking.objects.get(pk=booking.pk)
    booking.end = tomorrow_at(11, 30)
    booking.full_clean()


def test_editing_only_the_title_of_a_started_booking_is_allowed(room):
    start = timezone.now() - timedelta(minutes=30)
    booking = BookingFactory(room=room, start=start, end=start + timedelta(hours=1))
    booking = Booking.objects.get(pk=booking.pk)
    booking.title = "Renamed"
    booking.full_clean()
    booking.start = start + timedelta(minutes=5)
    assert "A booking cannot start in the past." in messages_of(booking)


def test_the_database_refuses_end_before_start(room, employee):
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.create(room=room, user=employee, title="x", start=tomorrow_at(11), end=tomorrow_at(10))


def test_room_names_are_unique_regardless_of_case():
    RoomFactory(name="Cedar")
    with pytest.raises(ValidationError) as caught:
        Room(name="cEDAR", capacity=4).full_clean()
    assert "A room with this name already exists." in caught.value.messages


def test_room_capacity_must_be_positive():
    with pytest.raises(ValidationError):
        Room(name="Tiny", capacity=0).full_clean()


def test_room_equipment_must_come_from_the_list():
    with pytest.raises(ValidationError) as caught:
        Room(name="Odd", capacity=2, equipment=["teleporter"]).full_clean()
    assert "Choose equipment from the list." in caught.value.messages


def test_rooms_with_equipment_matches_every_code():
    both = RoomFactory(equipment=["projector", "video"])
    RoomFactory(equipment=["projector"])
    RoomFactory(equipment=["video"])
    assert list(Room.objects.with_equipment(["video", "projector"])) == [both]


def _late_evening():
    """23:30 tomorrow on the active clock: the next booking is usually the next day."""
    day = timezone.localdate() + timedelta(days=1)
    return timezone.make_aware(datetime(day.year, day.month, day.day, 23, 30))


def test_availability_follows_back_to_back_bookings_past_midnight(room):
    now = _late_evening()
    user = UserFactory()
    BookingFactory(room=room, user=user, start=now - timedelta(minutes=10), end=now + timedelta(minutes=20))
    BookingFactory(room=room, user=user, start=now + timedelta(minutes=20), end=now + timedelta(minutes=50))
    BookingFactory(room=room, user=user, start=now + timedelta(hours=2), end=now + timedelta(hours=3))
    note_availability([room], now)
    assert (room.is_free, room.until) == (False, now + timedelta(minutes=50))


def _availability(room, now):
    note_availability([room], now)
    return room.is_free, room.until


def test_a_free_room_names_its_next_booking_even_tomorrow(room):
    now = _late_evening()
    assert _availability(room, now) == (True, None)
    morning = now + timedelta(hours=9, minutes=30)
    BookingFactory(room=room, start=morning, end=morning + timedelta(hours=1))
    assert _availability(room, now) == (True, morning)
    BookingFactory(room=room, start=now + timedelta(minutes=5), end=now + timedelta(minutes=35))
    assert _availability(room, now) == (True, now + timedelta(minutes=5))
    BookingFactory(room=room, start=now + timedelta(days=2), end=now + timedelta(days=2, hours=1))
    assert _availability(room, now + timedelta(hours=11)) == (True, None), "only the next 24 hours are read"
