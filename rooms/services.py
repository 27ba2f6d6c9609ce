"""Writes on rooms and bookings. Views, the admin and the API call these."""

from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from booking_site.mail import message_for
from rooms.ical import booking_message
from rooms.models import Booking, Room

EXCLUSION_VIOLATION = "23P01"


def _is_overlap_violation(exc: IntegrityError) -> bool:
    cause = exc.__cause__
    return getattr(cause, "sqlstate", None) == EXCLUSION_VIOLATION or "rooms_booking_no_overlap" in str(exc)


def save_booking(booking: Booking) -> Booking:
    """Validate and save ``booking`` as one serialized step.

    On SQLite the transaction starts IMMEDIATE, so the overlap check in
    ``clean()`` and the write cannot interleave with another writer. On
    PostgreSQL two writers may both pass ``clean()``; the exclusion constraint
    then refuses the second, and that is reported with the same overlap message.
    ``clean()`` already checks what the constraints state (the order of start and
    end, and the overlap), so they are left to the database rather than queried twice.
    """
    try:
        with transaction.atomic():
            booking.full_clean(validate_constraints=False)
            booking.save()
    except IntegrityError as exc:
        if not _is_overlap_violation(exc):
            raise
        raise booking.overlap_error() from exc
    return booking


def _check_manager(booking: Booking, actor: User) -> None:
    if not booking.can_be_managed_by(actor):
        raise PermissionDenied(_("You can only change your own bookings."))


def book_room(*, room: Room, user: User, title: str, start: datetime, end: datetime, notify: bool = True) -> Booking:
    """Book ``room`` for ``user`` over [start, end); the holder gets a confirmation with an .ics."""
    booking = save_booking(Booking(room=room, user=user, title=title, start=start, end=end))
    if notify:
        transaction.on_commit(lambda: mail_booking(booking, "booked"))
    return booking


def change_booking(
    *,
    booking: Booking,
    actor: User,
    title: str | None = None,
    room: Room | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    notify: bool = True,
) -> Booking:
    """Change a standing booking's title, room or time; the owner or an admin only."""
    _check_manager(booking, actor)
    with transaction.atomic():
        current = Booking.objects.select_for_update().select_related("room").get(pk=booking.pk)
        if current.is_cancelled:
            raise ValidationError(_("A cancelled booking cannot be changed."), code="cancelled")
        if current.has_ended():
            raise ValidationError(_("A booking that has ended cannot be changed."), code="ended")
        if title is not None:
            current.title = title
        if room is not None:
            current.room = room
        if start is not None:
            current.start = start
        if end is not None:
            current.end = end
        save_booking(current)
        if notify:
            transaction.on_commit(lambda: mail_booking(current, "changed"))
    return current


def cancel_booking(*, booking: Booking, actor: User, notify: bool = True) -> Booking:
    """Cancel a booking that has not ended yet; the row stays, with ``cancelled_at`` set."""
    _check_manager(booking, actor)
    with transaction.atomic():
        current = Booking.objects.select_for_update().get(pk=booking.pk)
        if current.is_cancelled:
            raise ValidationError(_("This booking is already cancelled."), code="cancelled")
        if current.has_ended():
            raise ValidationError(_("A booking that has ended cannot be cancelled."), code="ended")
        current.cancelled_at = timezone.now()
        current.save(update_fields=["cancelled_at"])
        if notify:
            transaction.on_commit(lambda: mail_booking(current, "cancelled"))
    booking.cancelled_at = current.cancelled_at
    return current


def mail_booking(booking: Booking, kind: str) -> None:
    """Tell the holder that ``booking`` was booked, changed or cancelled, with the .ics attached."""
    holder = booking.user
    booking = Booking.objects.select_related("room", "user").get(pk=booking.pk)
    context = {"booking": booking, "kind": kind, "url": settings.SITE_URL.rstrip("/")}
    message = message_for(holder, "rooms/email/booking_subject.txt", "rooms/email/booking_body.txt", context)
    message.attach(f"booking-{booking.pk}.ics", booking_message(booking, holder.timezone), "text/calendar")
    message.send(fail_silently=True)
