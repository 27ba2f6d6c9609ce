"""Writes on rooms and bookings. Pages, the admin, the API and commands call these;
each decides with the model's rules (``clean()``, constraints, ``Booking.refusal``)."""

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from booking_site.ical import attach_calendar, booking_message
from booking_site.mail import message_for
from booking_site.paths import site_url
from notifications.models import OutgoingMail
from notifications.services import queue_mail
from rooms.models import Booking, Room

EXCLUSION_VIOLATION = "23P01"
ROOM_FIELDS = ("name", "description", "capacity", "location", "equipment", "is_active")


def _is_overlap_violation(exc: IntegrityError) -> bool:
    cause = exc.__cause__
    return getattr(cause, "sqlstate", None) == EXCLUSION_VIOLATION or "rooms_booking_no_overlap" in str(exc)


def _save(booking: Booking) -> Booking:
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


def _locked(booking: Booking) -> Booking:
    """The booking's row, locked until the end of the transaction, as it is now."""
    return (
        Booking.objects.select_for_update(of=("self",), no_key=True)
        .select_related("room", "user", "event")
        .get(pk=booking.pk)
    )


def _refuse(refusal: Exception | None) -> None:
    if refusal is not None:
        raise refusal


def book_room(
    *,
    room: Room,
    user: User,
    title: str,
    start: datetime,
    end: datetime,
    notify: bool = True,
) -> Booking:
    """Book ``room`` for ``user`` over [start, end); the holder gets a confirmation with an .ics."""
    with transaction.atomic():
        booking = _save(Booking(room=room, user=user, title=title, start=start, end=end))
        booking.known_without_event()
        if notify:
            _queue_mail(booking, OutgoingMail.Kind.BOOKING_BOOKED)
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
    """Change a standing booking's title, room or time: the holder or an admin,
    before it ends, and not a booking held for an event (change the event)."""
    with transaction.atomic():
        current = _locked(booking)
        _refuse(current.refusal(actor, "change"))
        _apply(current, title=title, room=room, start=start, end=end)
        if notify:
            _queue_mail(current, OutgoingMail.Kind.BOOKING_CHANGED)
    return current


def cancel_booking(*, booking: Booking, actor: User, notify: bool = True) -> Booking:
    """Cancel a booking that has not ended yet; the row stays, with ``cancelled_at`` set."""
    with transaction.atomic():
        current = _locked(booking)
        _refuse(current.refusal(actor, "cancel"))
        _cancel(current)
        if notify:
            _queue_mail(current, OutgoingMail.Kind.BOOKING_CANCELLED)
    booking.cancelled_at = current.cancelled_at
    return current


def _apply(
    booking: Booking, *, title: str | None, room: Room | None, start: datetime | None, end: datetime | None
) -> None:
    """Set the fields given and save; a new time or room raises the booking's SEQUENCE,
    so calendar clients take the next message as a replacement (RFC 5546)."""
    before = booking.timing()
    for name, value in (("title", title), ("room", room), ("start", start), ("end", end)):
        if value is not None:
            setattr(booking, name, value)
    if booking.timing() != before:
        booking.sequence += 1
    _save(booking)


def _cancel(booking: Booking) -> None:
    booking.cancelled_at = timezone.now()
    booking.sequence += 1
    booking.save(update_fields=["cancelled_at", "sequence", "changed_at"])


def book_for_event(*, organizer: User, room: Room, title: str, start: datetime, end: datetime) -> Booking:
    """The room booking of an event (``events.services`` only, inside its transaction)."""
    return _save(Booking(room=room, user=organizer, title=title, start=start, end=end))


def move_event_booking(
    *, booking: Booking, actor: User, title: str, room: Room, start: datetime, end: datetime
) -> Booking:
    """Move an event's room booking with its event (``events.services`` only)."""
    current = _locked(booking)
    _refuse(current.refusal(actor, "change", for_event=True))
    _apply(current, title=title, room=room, start=start, end=end)
    return current


def release_event_booking(*, booking: Booking, actor: User) -> Booking | None:
    """Give up an event's room booking when the event drops its room or is
    cancelled (``events.services`` only); one that has ended stays as it was."""
    current = _locked(booking)
    if current.is_cancelled or current.has_ended():
        return None
    _refuse(current.refusal(actor, "cancel", for_event=True))
    _cancel(current)
    return current


def _check_admin(actor: User) -> None:
    if not actor.is_staff:
        raise PermissionDenied(_("Only admins can manage rooms."))


def _check_fields(fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(ROOM_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown room fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})


def create_room(*, actor: User, **fields: Any) -> Room:
    """A new room (admins)."""
    _check_admin(actor)
    _check_fields(fields)
    room = Room(**fields)
    with transaction.atomic():
        room.full_clean()
        room.save()
    return room


def change_room(*, room: Room, actor: User, **fields: Any) -> Room:
    """Change a room's details (admins); its bookings stay as they are."""
    _check_admin(actor)
    _check_fields(fields)
    with transaction.atomic():
        current = Room.objects.select_for_update(no_key=True).get(pk=room.pk)
        for name, value in fields.items():
            setattr(current, name, value)
        current.full_clean()
        current.save()
    return current


def set_room_active(*, room: Room, actor: User, active: bool) -> Room:
    """Open a room for booking or close it (its bookings stay)."""
    return change_room(room=room, actor=actor, is_active=active)


def delete_room(*, room: Room, actor: User) -> None:
    """Delete a room that was never booked; a room with bookings is deactivated instead."""
    _check_admin(actor)
    with transaction.atomic():
        if Booking.objects.filter(room=room).exists():
            raise ValidationError(
                _("%(room)s has bookings and cannot be deleted; deactivate it instead.") % {"room": room.name},
                code="protected",
            )
        room.delete()


def _queue_mail(booking: Booking, kind: str) -> None:
    queue_mail(kind=kind, recipient=booking.user, object_id=booking.pk)


MAIL_KINDS = {
    OutgoingMail.Kind.BOOKING_BOOKED: "booked",
    OutgoingMail.Kind.BOOKING_CHANGED: "changed",
    OutgoingMail.Kind.BOOKING_CANCELLED: "cancelled",
}


def booking_mail(mail: OutgoingMail) -> EmailMessage | None:
    """The holder's mail that a booking was booked, changed or cancelled, with the
    .ics attached, as the booking stands when it is sent. None when the booking
    is gone, or was cancelled before a "booked"/"changed" mail went out (the
    "cancelled" one says all)."""
    booking = Booking.objects.select_related("room", "user").filter(pk=mail.object_id).first()
    word = MAIL_KINDS[mail.kind]
    if booking is None or (booking.cancelled_at is not None and word != "cancelled"):
        return None
    holder = booking.user
    context = {
        "booking": booking,
        "kind": word,
        "url": site_url(reverse("rooms:my_bookings")),
        "ics_url": site_url(reverse("rooms:booking_ics", args=[booking.pk])),
    }
    message = message_for(holder, "rooms/email/booking_subject.txt", "rooms/email/booking_body.txt", context)
    method = "CANCEL" if booking.is_cancelled else "REQUEST"
    attach_calendar(message, f"booking-{booking.pk}.ics", booking_message(booking, holder.timezone), method)
    return message
