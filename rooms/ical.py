"""iCalendar (RFC 5545) documents for bookings; events add their own in events.ical."""

import functools
import zoneinfo
from datetime import UTC, datetime

import icalendar
from django.conf import settings
from django.utils import timezone

from rooms.models import Booking

PRODID = "-//Office booking//EN"


def _host() -> str:
    return settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0] or "localhost"


def new_calendar(name: str, method: str = "PUBLISH") -> icalendar.Calendar:
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    calendar.add("x-wr-calname", name)
    return calendar


def local(moment: datetime, zone: str | None = None) -> datetime:
    """``moment`` in ``zone`` (the active zone by default), so each time carries a TZID."""
    target = zoneinfo.ZoneInfo(zone) if zone else timezone.get_current_timezone()
    return moment.astimezone(target)


def vevent(
    *,
    uid: str,
    summary: str,
    start: datetime,
    end: datetime,
    location: str = "",
    description: str = "",
    url: str = "",
    status: str = "CONFIRMED",
    organizer_email: str = "",
    organizer_name: str = "",
    stamp: datetime | None = None,
    zone: str | None = None,
) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", f"{uid}@{_host()}")
    event.add("dtstamp", (stamp or timezone.now()).astimezone(UTC))
    event.add("dtstart", local(start, zone))
    event.add("dtend", local(end, zone))
    event.add("summary", summary)
    event.add("status", status)
    if location:
        event.add("location", location)
    if description:
        event.add("description", description)
    if url:
        event.add("url", url)
    if organizer_email:
        organizer = icalendar.vCalAddress(f"mailto:{organizer_email}")
        if organizer_name:
            organizer.params["cn"] = icalendar.vText(organizer_name)
        event.add("organizer", organizer)
    return event


def booking_vevent(booking: Booking, zone: str | None = None, status: str = "CONFIRMED") -> icalendar.Event:
    room = booking.room
    return vevent(
        uid=f"booking-{booking.pk}",
        summary=f"{booking.title} ({room.name})",
        start=booking.start,
        end=booking.end,
        location=", ".join(part for part in (room.name, room.location) if part),
        url=settings.SITE_URL.rstrip("/") + room.get_absolute_url(),
        organizer_email=booking.user.email,
        organizer_name=booking.user.display_name,
        status=status,
        stamp=booking.cancelled_at or booking.created_at,
        zone=zone,
    )


@functools.lru_cache(maxsize=64)
def _vtimezone(tzid: str) -> bytes | None:
    """The VTIMEZONE of ``tzid``; icalendar derives it by scanning decades of offsets
    (about 30 ms), so each process builds it once per zone."""
    try:
        return icalendar.Timezone.from_tzid(tzid).to_ical()
    except ValueError:
        return None


def to_bytes(calendar: icalendar.Calendar) -> bytes:
    """The calendar with a VTIMEZONE for every TZID it uses, placed before its events."""
    zones = b"".join(filter(None, map(_vtimezone, sorted(calendar.get_missing_tzids()))))
    text = calendar.to_ical()
    first_component = text.find(b"\r\nBEGIN:", len(b"BEGIN:VCALENDAR")) + 2
    if not zones or first_component < 2:
        return text
    return text[:first_component] + zones + text[first_component:]


def booking_message(booking: Booking, zone: str | None = None) -> bytes:
    """A single booking as an invitation-style file for a mail attachment."""
    cancelled = booking.is_cancelled
    calendar = new_calendar(booking.title, method="CANCEL" if cancelled else "PUBLISH")
    calendar.add_component(booking_vevent(booking, zone, status="CANCELLED" if cancelled else "CONFIRMED"))
    return to_bytes(calendar)
