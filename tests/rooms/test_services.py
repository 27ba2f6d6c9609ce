import threading
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections, transaction
from django.utils import timezone

from rooms import services
from rooms.models import Booking
from tests.factories import BookingFactory, RoomFactory, UserFactory, tomorrow_at

is_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)")


@pytest.mark.django_db
class TestBookRoom:
    def test_books_a_free_room(self, room, employee):
        booking = services.book_room(
            room=room, user=employee, title="Retro", start=tomorrow_at(10), end=tomorrow_at(11)
        )
        assert booking.pk is not None
        assert booking.cancelled_at is None
        assert Booking.objects.active().count() == 1

    def test_refuses_an_overlap_and_writes_nothing(self, room, employee, other_employee):
        services.book_room(room=room, user=other_employee, title="Retro", start=tomorrow_at(10), end=tomorrow_at(11))
        with pytest.raises(ValidationError) as caught:
            services.book_room(room=room, user=employee, title="Sync", start=tomorrow_at(10, 30), end=tomorrow_at(12))
        assert "Retro" in caught.value.messages[0]
        assert Booking.objects.count() == 1


@pytest.mark.django_db
class TestChangeBooking:
    def test_owner_moves_a_booking(self, room, employee):
        booking = BookingFactory(room=room, user=employee)
        changed = services.change_booking(
            booking=booking, actor=employee, title="Moved", start=tomorrow_at(14), end=tomorrow_at(15)
        )
        booking.refresh_from_db()
        assert changed.title == booking.title == "Moved"
        assert booking.start == tomorrow_at(14)

    def test_moving_onto_another_booking_is_refused(self, room, employee, other_employee):
        BookingFactory(room=room, user=other_employee, start=tomorrow_at(14), end=tomorrow_at(15), title="Other")
        booking = BookingFactory(room=room, user=employee)
        with pytest.raises(ValidationError) as caught:
            services.change_booking(booking=booking, actor=employee, start=tomorrow_at(14, 30), end=tomorrow_at(15, 30))
        assert "Other" in caught.value.messages[0]
        booking.refresh_from_db()
        assert booking.start == tomorrow_at(10)

    def test_moving_to_another_room(self, employee):
        booking = BookingFactory(user=employee)
        target = RoomFactory(name="Birch")
        services.change_booking(booking=booking, actor=employee, room=target)
        booking.refresh_from_db()
        assert booking.room == target

    def test_someone_else_cannot_change_it(self, employee, other_employee):
        booking = BookingFactory(user=employee)
        with pytest.raises(PermissionDenied):
            services.change_booking(booking=booking, actor=other_employee, title="Mine now")
        booking.refresh_from_db()
        assert booking.title != "Mine now"

    def test_an_admin_can_change_anyones(self, employee, admin_user):
        booking = BookingFactory(user=employee)
        services.change_booking(booking=booking, actor=admin_user, title="Fixed by admin")
        booking.refresh_from_db()
        assert booking.title == "Fixed by admin"

    def test_cancelled_and_ended_bookings_cannot_change(self, employee):
        cancelled = BookingFactory(user=employee, cancelled_at=timezone.now())
        with pytest.raises(ValidationError, match="cancelled booking cannot be changed"):
            services.change_booking(booking=cancelled, actor=employee, title="x")
        start = timezone.now() - timedelta(hours=3)
        ended = BookingFactory(user=employee, start=start, end=start + timedelta(hours=1))
        with pytest.raises(ValidationError, match="has ended cannot be changed"):
            services.change_booking(booking=ended, actor=employee, title="x")


@pytest.mark.django_db
class TestCancelBooking:
    def test_cancelling_keeps_the_row_and_frees_the_slot(self, room, employee, other_employee):
        booking = BookingFactory(room=room, user=employee)
        services.cancel_booking(booking=booking, actor=employee)
        booking.refresh_from_db()
        assert booking.cancelled_at is not None
        services.book_room(room=room, user=other_employee, title="Now mine", start=booking.start, end=booking.end)

    def test_cannot_cancel_twice_or_after_the_end(self, employee):
        booking = BookingFactory(user=employee)
        services.cancel_booking(booking=booking, actor=employee)
        with pytest.raises(ValidationError, match="already cancelled"):
            services.cancel_booking(booking=booking, actor=employee)
        start = timezone.now() - timedelta(hours=3)
        ended = BookingFactory(user=employee, start=start, end=start + timedelta(hours=1))
        with pytest.raises(ValidationError, match="has ended cannot be cancelled"):
            services.cancel_booking(booking=ended, actor=employee)

    def test_only_owner_or_admin(self, employee, other_employee, admin_user):
        booking = BookingFactory(user=employee)
        with pytest.raises(PermissionDenied):
            services.cancel_booking(booking=booking, actor=other_employee)
        services.cancel_booking(booking=booking, actor=admin_user)
        booking.refresh_from_db()
        assert booking.is_cancelled


def _run_concurrently(count: int, target) -> list:
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def worker(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = target(index)
        except Exception as exc:
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_get_exactly_one_booking():
    """20 people, each on their own connection, press "Book" for one slot at once."""
    room = RoomFactory(name="Contested")
    people = [UserFactory() for _ in range(20)]
    start, end = tomorrow_at(10), tomorrow_at(11)

    def book(index: int) -> Booking:
        return services.book_room(room=room, user=people[index], title=f"Try {index}", start=start, end=end)

    results = _run_concurrently(len(people), book)
    booked = [r for r in results if isinstance(r, Booking)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(booked) == 1, results
    assert len(refused) == len(people) - 1, results
    winner = booked[0]
    for error in refused:
        assert error.messages == [f"The room is already booked {_span(winner)} for “{winner.title}” by {winner.user}."]
    assert Booking.objects.active().filter(room=room).count() == 1


def _span(booking: Booking) -> str:
    from rooms.models import format_span

    return format_span(booking.start, booking.end)


@is_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_exclusion_constraint_turns_a_lost_race_into_the_overlap_message():
    """A writer whose check passed before the other committed is refused by the
    database, and sees the same message as from clean()."""
    room = RoomFactory()
    first, second = UserFactory(name="First Person"), UserFactory()
    start, end = tomorrow_at(10), tomorrow_at(11)
    inserted, release = threading.Event(), threading.Event()

    def hold_uncommitted() -> None:
        try:
            with transaction.atomic():
                Booking.objects.create(room=room, user=first, title="Held", start=start, end=end)
                inserted.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_uncommitted)
    holder.start()
    assert inserted.wait(timeout=30)
    Booking(room=room, user=second, title="Late", start=start, end=end).full_clean()  # the held row is invisible
    threading.Timer(0.5, release.set).start()
    with pytest.raises(ValidationError) as caught:
        services.book_room(room=room, user=second, title="Late", start=start, end=end, notify=False)
    holder.join(timeout=30)
    assert caught.value.messages == [
        f"The room is already booked {_span(Booking.objects.get(title='Held'))} for “Held” by First Person."
    ]
    assert Booking.objects.filter(room=room).count() == 1


@is_postgres
@pytest.mark.postgres
@pytest.mark.django_db
def test_database_refuses_overlap_even_without_clean(room, employee):
    from django.db import IntegrityError

    Booking.objects.create(room=room, user=employee, title="a", start=tomorrow_at(10), end=tomorrow_at(11))
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.create(room=room, user=employee, title="b", start=tomorrow_at(10, 30), end=tomorrow_at(12))
    Booking.objects.create(room=room, user=employee, title="c", start=tomorrow_at(11), end=tomorrow_at(12))
