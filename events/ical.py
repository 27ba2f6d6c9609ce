"""The personal calendar feed: bookings, events one attends or organizes, and
pending invitations (tentative)."""

from datetime import timedelta

import icalendar
from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from events.models import Event, Invitation
from rooms.ical import booking_vevent, new_calendar, to_bytes, vevent
from rooms.models import Booking, Room

FEED_PAST_DAYS = 90


def event_vevent(event: Event, zone: str | None = None, status: str = "CONFIRMED") -> icalendar.Event:
    room = event.room
    return vevent(
        uid=f"event-{event.pk}",
        summary=event.title,
        start=event.start,
        end=event.end,
        location=", ".join(part for part in (room.name, room.location) if part) if room else "",
        description=event.description,
        url=settings.SITE_URL.rstrip("/") + event.get_absolute_url(),
        organizer_email=event.organizer.email,
        organizer_name=event.organizer.display_name,
        status=status,
        stamp=event.created_at,
        zone=zone,
    )


def event_calendar(event: Event, zone: str | None = None) -> bytes:
    calendar = new_calendar(event.title)
    calendar.add_component(event_vevent(event, zone))
    return to_bytes(calendar)


def user_feed(user: User) -> bytes:
    """Standing items from ``FEED_PAST_DAYS`` ago on; cancelled ones are left out,
    so calendar apps drop them. A room booked for an event appears as the event."""
    since = timezone.now() - timedelta(days=FEED_PAST_DAYS)
    zone = user.timezone
    calendar = new_calendar(_("Office booking: %(name)s") % {"name": user.display_name})
    events = (
        Event.objects.active()
        .filter(end__gt=since)
        .filter(Q(organizer=user) | Q(registrations__user=user))
        .select_related("organizer", "booking__room")
        .distinct()
    )
    event_ids = set()
    for event in events:
        event_ids.add(event.pk)
        calendar.add_component(event_vevent(event, zone))
    bookings = (
        Booking.objects.active().filter(user=user, end__gt=since, event__isnull=True).select_related("room", "user")
    )
    for booking in bookings:
        calendar.add_component(booking_vevent(booking, zone))
    invitations = (
        Invitation.objects.filter(invitee=user, status=Invitation.Status.PENDING, event__cancelled_at__isnull=True)
        .filter(event__end__gt=since)
        .exclude(event_id__in=event_ids)
        .select_related("event__organizer", "event__booking__room")
    )
    for invitation in invitations:
        calendar.add_component(event_vevent(invitation.event, zone, status="TENTATIVE"))
    return to_bytes(calendar)


def room_feed(room: Room, zone: str | None = None) -> bytes:
    since = timezone.now() - timedelta(days=FEED_PAST_DAYS)
    bookings = Booking.objects.active().filter(room=room, end__gt=since).select_related("room", "user")
    calendar = new_calendar(_("Room %(name)s") % {"name": room.name})
    for booking in bookings:
        calendar.add_component(booking_vevent(booking, zone))
    return to_bytes(calendar)
