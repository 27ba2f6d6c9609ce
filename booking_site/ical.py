"""Every iCalendar (RFC 5545) file the site makes: the personal and room feeds, the
booking and event downloads and the mails' attachments.

Each booking and event has one UID for life (``booking-<pk>``, ``event-<pk>``) and carries
its stored SEQUENCE in every file, so an item seen by subscription, by download and by mail
is one entry. Mails are iTIP (RFC 5546, 6047): ``METHOD:REQUEST`` for a new or changed item,
``METHOD:CANCEL`` for a cancelled one, with a DTSTAMP of the moment the message is made.

Times carry the reader's TZID, and each file holds a VTIMEZONE for every TZID it uses,
written the way Google Calendar and Outlook write theirs: one STANDARD and one DAYLIGHT
observance with a yearly RRULE for the zone's rules, a single observance for a zone without
clock changes, and, when the file reaches back into years under other rules, earlier
observances whose RRULE ends with an UNTIL. Long multi-valued RDATE lists are never written:
ical.js (Nextcloud Calendar, FullCalendar) reads only the first value of each RDATE.
"""

import calendar as month_calendar
import functools
import hashlib
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.utils import parseaddr
from typing import Any

import icalendar
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from booking_site.navigation import site_name
from booking_site.paths import site_url
from events.models import Event, Invitation, Registration
from rooms.models import Booking, Room

PRODID = "-//Office booking//EN"
FEED_PAST_DAYS = 90

# ---------------------------------------------------------------------------
# Files and their items


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


def written(moment: datetime, zone: str | None = None) -> datetime:
    """``moment`` as a file writes it: in ``zone``, or in UTC when that wall time occurs
    twice (the hour repeated when clocks go back). RFC 5545 reads such a time as its first
    occurrence, but libical and ical.js take the second; UTC means one instant everywhere."""
    shown = local(moment, zone)
    if shown.replace(fold=1 - shown.fold).utcoffset() != shown.utcoffset():
        return moment.astimezone(UTC)
    return shown


def address(email: str, name: str = "", **params: str) -> icalendar.vCalAddress:
    """A ``mailto:`` calendar user with its CN and further parameters (PARTSTAT, RSVP...)."""
    value = icalendar.vCalAddress(f"mailto:{email}")
    if name:
        value.params["CN"] = icalendar.vText(name)
    for key, param in params.items():
        value.params[key.upper()] = param
    return value


def site_address() -> tuple[str, str]:
    """The site as organizer of bookings: DEFAULT_FROM_EMAIL's address and SITE_NAME."""
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1], settings.SITE_NAME


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
    attendees: tuple[icalendar.vCalAddress, ...] = (),
    sequence: int = 0,
    stamp: datetime | None = None,
    zone: str | None = None,
    created: datetime | None = None,
    modified: datetime | None = None,
) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", f"{uid}@{_host()}")
    event.add("dtstamp", (stamp or timezone.now()).astimezone(UTC))
    event.add("sequence", sequence)
    if created:
        event.add("created", created.astimezone(UTC))
    if modified:
        event.add("last-modified", modified.astimezone(UTC))
    event.add("dtstart", written(start, zone))
    event.add("dtend", written(end, zone))
    event.add("summary", summary)
    if status:
        event.add("status", status)
    if location:
        event.add("location", location)
    if description:
        event.add("description", description)
    if url:
        event.add("url", url)
    if organizer_email:
        event.add("organizer", address(organizer_email, organizer_name))
    for attendee in attendees:
        event.add("attendee", attendee)
    return event


def _location(room: Room) -> str:
    return ", ".join(part for part in (room.name, room.location) if part)


def booking_vevent(
    booking: Booking,
    zone: str | None = None,
    status: str = "CONFIRMED",
    *,
    attendees: tuple[icalendar.vCalAddress, ...] = (),
    stamp: datetime | None = None,
) -> icalendar.Event:
    """A booking, organized by the site (which sends its mails) for its holder."""
    room = booking.room
    organizer_email, organizer_name = site_address()
    return vevent(
        uid=f"booking-{booking.pk}",
        summary=f"{booking.title} ({room.name})",
        start=booking.start,
        end=booking.end,
        location=_location(room),
        url=site_url(room.get_absolute_url()),
        organizer_email=organizer_email,
        organizer_name=organizer_name,
        attendees=attendees,
        status=status,
        sequence=booking.sequence,
        stamp=stamp or booking.changed_at,
        zone=zone,
        created=booking.created_at,
        modified=booking.changed_at,
    )


def event_vevent(
    event: Event,
    zone: str | None = None,
    status: str = "CONFIRMED",
    *,
    attendees: tuple[icalendar.vCalAddress, ...] = (),
    stamp: datetime | None = None,
) -> icalendar.Event:
    room = event.room
    return vevent(
        uid=f"event-{event.pk}",
        summary=event.title,
        start=event.start,
        end=event.end,
        location=_location(room) if room else "",
        description=event.description,
        url=site_url(event.get_absolute_url()),
        organizer_email=event.organizer.email,
        organizer_name=event.organizer.display_name,
        attendees=attendees,
        status=status,
        sequence=event.sequence,
        stamp=stamp or event.changed_at,
        zone=zone,
        created=event.created_at,
        modified=event.changed_at,
    )


def booking_message(booking: Booking, zone: str | None = None) -> bytes:
    """The holder's iTIP message for a booking's mail: ``REQUEST`` while it stands (the
    holder an attendee who has accepted), ``CANCEL`` once cancelled; stamped now."""
    cancelled = booking.is_cancelled
    calendar = new_calendar(booking.title, method="CANCEL" if cancelled else "REQUEST")
    holder = address(booking.user.email, booking.user.display_name, partstat="ACCEPTED", role="REQ-PARTICIPANT")
    calendar.add_component(
        booking_vevent(
            booking,
            zone,
            status="CANCELLED" if cancelled else "CONFIRMED",
            attendees=(holder,),
            stamp=timezone.now(),
        )
    )
    return to_bytes(calendar)


def booking_calendar(booking: Booking, zone: str | None = None) -> bytes:
    """A booking's download: published, not a scheduling message."""
    calendar = new_calendar(booking.title)
    calendar.add_component(booking_vevent(booking, zone, status="CANCELLED" if booking.is_cancelled else "CONFIRMED"))
    return to_bytes(calendar)


def event_calendar(event: Event, zone: str | None = None, people: tuple[User, ...] = ()) -> bytes:
    """An event's download: published, with its organizer and ``people`` (those
    registered) as accepted attendees."""
    calendar = new_calendar(event.title)
    attendees = tuple(address(person.email, person.display_name, partstat="ACCEPTED") for person in people)
    status = "CANCELLED" if event.is_cancelled else "CONFIRMED"
    calendar.add_component(event_vevent(event, zone, status, attendees=attendees))
    return to_bytes(calendar)


def event_message(
    event: Event, person: User, zone: str | None = None, partstat: str = "NEEDS-ACTION", *, removed: bool = False
) -> bytes:
    """``person``'s iTIP message for ``event``, from its organizer: ``REQUEST`` while
    it stands (an invitation waiting for an answer asks for one: ``RSVP=TRUE``),
    ``CANCEL`` once cancelled; with the event's UID and SEQUENCE, stamped now. For a
    person ``removed`` from an event that goes on, a ``CANCEL`` naming them, without
    a STATUS (RFC 5546 3.2.5: the event itself is not cancelled)."""
    cancelled = event.is_cancelled
    calendar = new_calendar(event.title, method="CANCEL" if cancelled or removed else "REQUEST")
    params = {"partstat": partstat, "role": "REQ-PARTICIPANT"}
    if partstat == "NEEDS-ACTION" and not (cancelled or removed):
        params["rsvp"] = "TRUE"
    attendee = address(person.email, person.display_name, **params)
    status = "CANCELLED" if cancelled else "" if removed else "CONFIRMED"
    calendar.add_component(event_vevent(event, zone, status, attendees=(attendee,), stamp=timezone.now()))
    return to_bytes(calendar)


def invitation_message(event: Event, invitee: User, zone: str | None = None) -> bytes:
    """The invitee's ``REQUEST``: an attendee asked to answer."""
    return event_message(event, invitee, zone, "NEEDS-ACTION")


def attach_calendar(message: EmailMultiAlternatives, filename: str, body: bytes, method: str) -> None:
    """Add an iTIP message the way Google Calendar sends its invitations: as a
    ``text/calendar; method=...`` alternative of the text, which Outlook and Gmail
    show as an invitation with its buttons, and as an ``.ics`` file to download."""
    message.attach_alternative(body.decode(), f"text/calendar; method={method}")
    message.attach(filename, body, "application/ics")


#: How often a subscribed calendar app should come back (REFRESH-INTERVAL, X-PUBLISHED-TTL).
FEED_REFRESH = timedelta(minutes=15)
#: Part of every feed's version: raise it when what a feed writes, or how it is kept, changes.
FEED_FORMAT = 3


def feed_calendar(name: str) -> icalendar.Calendar:
    """A subscribed calendar: its name and how often apps should fetch it again
    (RFC 7986 REFRESH-INTERVAL, and Outlook's X-PUBLISHED-TTL)."""
    calendar = new_calendar(name)
    calendar.add("name", name)
    calendar.add("refresh-interval", FEED_REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", icalendar.vDuration(FEED_REFRESH).to_ical().decode())
    return calendar


def _feed_since() -> datetime:
    return timezone.now() - timedelta(days=FEED_PAST_DAYS)


def _registrations(user: User, since: datetime) -> list[tuple[int, int]]:
    """(id, event id) of ``user``'s registrations for events ending after ``since``."""
    return list(Registration.objects.filter(user=user, event__end__gt=since).values_list("pk", "event_id"))


def _person_events(user: User, since: datetime, registrations: list[tuple[int, int]]) -> Any:
    """The standing events ``user`` organizes or is registered for, from ``since``.
    The events registered for are named by id: an OR with a subquery leads
    PostgreSQL to guess thousands of rows and scan every booking to join them."""
    registered = [event_id for _pk, event_id in registrations]
    return Event.objects.active().filter(Q(organizer=user) | Q(pk__in=registered), end__gt=since)


def _person_bookings(user: User, since: datetime) -> Any:
    """``user``'s standing bookings from ``since``, except rooms booked for an event
    (the event stands for them; such a booking is its organizer's, so the events
    ``user`` organizes name them: a small list, where "has no event" would make
    PostgreSQL read every event)."""
    held_for_events = Event.objects.filter(organizer=user, booking__isnull=False).values("booking_id")
    return Booking.objects.active().filter(user=user, end__gt=since).exclude(pk__in=held_for_events)


def _person_invitations(user: User, since: datetime) -> Any:
    """``user``'s invitations waiting for an answer, to standing events from ``since``."""
    return Invitation.objects.filter(invitee=user).waiting(since)


def user_feed(user: User) -> bytes:
    """Standing items from ``FEED_PAST_DAYS`` ago on, in the person's zone and
    language. Cancelled ones are left out, so calendar apps drop them. A room
    booked for an event appears as the event; the person is the attendee of each
    item (accepted; an invitation still to be answered, tentative)."""
    since = _feed_since()
    zone = user.timezone
    with translation.override(user.language or settings.LANGUAGE_CODE):
        calendar = feed_calendar(_("%(site)s: %(name)s") % {"site": site_name(), "name": user.display_name})
    me = address(user.email, user.display_name, partstat="ACCEPTED")
    events = _person_events(user, since, _registrations(user, since)).select_related("organizer", "booking__room")
    event_ids = set()
    for event in events:
        event_ids.add(event.pk)
        attendees = () if event.organizer_id == user.pk else (me,)
        calendar.add_component(event_vevent(event, zone, attendees=attendees))
    for booking in _person_bookings(user, since).select_related("room", "user"):
        calendar.add_component(booking_vevent(booking, zone, attendees=(me,)))
    invited = address(user.email, user.display_name, partstat="NEEDS-ACTION")
    invitations = (
        _person_invitations(user, since)
        .exclude(event_id__in=event_ids)
        .select_related("event__organizer", "event__booking__room")
    )
    for invitation in invitations:
        calendar.add_component(event_vevent(invitation.event, zone, status="TENTATIVE", attendees=(invited,)))
    return to_bytes(calendar)


def _version(*parts: Any) -> str:
    known = (FEED_FORMAT, settings.SITE_NAME, settings.SITE_URL, settings.DEFAULT_FROM_EMAIL, timezone.now().year)
    return hashlib.blake2b(repr((*known, *parts)).encode(), digest_size=16).hexdigest()


def user_feed_version(user: User) -> str:
    """A value that changes whenever ``user_feed(user)`` would: when an item of
    theirs is added, changed, cancelled or leaves the window, when its room
    changes, and when their name, zone or language does; and not otherwise. Four
    small queries instead of writing the feed.

    Each set is told apart by its size, the sum of its ids and its latest change.
    A set that lost some members and gained as many has a larger sum, as a member
    joins by a new row (ids only grow): a new booking, event or invitation, or a
    new registration, which is why registrations are counted apart (registering
    does not change the event)."""
    since = _feed_since()
    standing = {"count": Count("pk"), "ids": Sum("pk"), "at": Max("changed_at")}
    registered = _registrations(user, since)
    events = _person_events(user, since, registered).aggregate(**standing, room_at=Max("booking__room__changed_at"))
    registrations = {"count": len(registered), "ids": sum(pk for pk, _event_id in registered)}
    bookings = _person_bookings(user, since).aggregate(**standing, room_at=Max("room__changed_at"))
    invitations = _person_invitations(user, since).aggregate(
        count=Count("pk"),
        ids=Sum("pk"),
        at=Max("event__changed_at"),
        room_at=Max("event__booking__room__changed_at"),
    )
    person = (user.display_name, user.email, user.timezone, user.language)
    return _version(person, *(sorted(part.items()) for part in (events, registrations, bookings, invitations)))


def room_feed(room: Room, zone: str | None = None, language: str | None = None) -> bytes:
    bookings = Booking.objects.active().filter(room=room, end__gt=_feed_since()).select_related("room", "user")
    with translation.override(language or settings.LANGUAGE_CODE):
        calendar = feed_calendar(_("%(site)s: room %(name)s") % {"site": site_name(), "name": room.name})
    for booking in bookings:
        calendar.add_component(booking_vevent(booking, zone))
    return to_bytes(calendar)


def room_feed_version(room: Room, zone: str | None = None, language: str | None = None) -> str:
    """Like ``user_feed_version``, for a room's feed as ``zone`` and ``language`` see it."""
    bookings = Booking.objects.active().filter(room=room, end__gt=_feed_since())
    standing = bookings.aggregate(count=Count("pk"), ids=Sum("pk"), at=Max("changed_at"))
    return _version(room.pk, room.changed_at, zone, language, sorted(standing.items()))


def to_bytes(calendar: icalendar.Calendar) -> bytes:
    """The calendar with a VTIMEZONE for every TZID it uses, placed before its events; each
    VTIMEZONE covers the years of the times that use it."""
    years = _years_by_tzid(calendar)
    today = timezone.now().year
    tzids = sorted(calendar.get_missing_tzids())
    zones = b"".join(filter(None, (vtimezone(tzid, *years.get(tzid, (today, today))) for tzid in tzids)))
    text = calendar.to_ical()
    first_component = text.find(b"\r\nBEGIN:", len(b"BEGIN:VCALENDAR")) + 2
    if not zones or first_component < 2:
        return text
    return text[:first_component] + zones + text[first_component:]


def _years_by_tzid(calendar: icalendar.Calendar) -> dict[str, tuple[int, int]]:
    """For each TZID, the first and last year of the local times written with it."""
    years: dict[str, tuple[int, int]] = {}
    for component in calendar.walk():
        for value in component.values():
            for item in value if isinstance(value, list) else [value]:
                tzid = getattr(item, "params", {}).get("TZID")
                moment = getattr(item, "dt", None)
                if tzid and isinstance(moment, datetime):
                    low, high = years.get(tzid, (moment.year, moment.year))
                    years[tzid] = (min(low, moment.year), max(high, moment.year))
    return years


# ---------------------------------------------------------------------------
# VTIMEZONE in the compact RRULE form

# Rules are read this many years past the file's last date, so that a rule such as
# "last Sunday" is told apart from "fourth Sunday" (they differ within any seven years).
_LOOKAHEAD_YEARS = 7
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# An ended rule's UNTIL is a day after its last change (its next date would be a year
# later), so a reader that takes UNTIL as local time, as dateutil does, still includes it.
_UNTIL_SLACK = timedelta(days=1)
_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass(frozen=True)
class _Change:
    """One change of a zone's offset, DST flag or abbreviation, as zoneinfo has it."""

    at: datetime  # the UTC instant
    offset_from: timedelta
    offset_to: timedelta
    daylight: bool
    name: str

    @property
    def wall(self) -> datetime:
        """The local (naive) wall time just before the change: an observance's DTSTART."""
        return (self.at + self.offset_from).replace(tzinfo=None)

    @property
    def key(self) -> tuple:
        """What must be equal for changes in consecutive years to share one observance."""
        wall = self.wall
        return (self.daylight, wall.month, wall.time(), self.offset_from, self.offset_to, self.name)


def _state(zone: zoneinfo.ZoneInfo, seconds: int) -> tuple:
    moment = datetime.fromtimestamp(seconds, zone)
    return moment.utcoffset(), moment.dst(), moment.tzname()


@functools.lru_cache(maxsize=256)
def _changes(tzid: str, last_year: int) -> tuple[_Change, ...]:
    """Every change of ``tzid`` from 1970 to the end of ``last_year``: a day-by-day scan,
    each change then narrowed to the second (zones change on whole seconds)."""
    zone = zoneinfo.ZoneInfo(tzid)
    seconds = int(_EPOCH.timestamp())
    end = int(datetime(last_year + 1, 1, 1, tzinfo=UTC).timestamp())
    state = _state(zone, seconds)
    found = []
    while seconds < end:
        step = min(seconds + 86400, end)
        if _state(zone, step) == state:
            seconds = step
            continue
        before, after = seconds, step
        while after - before > 1:
            middle = (before + after) // 2
            if _state(zone, middle) == state:
                before = middle
            else:
                after = middle
        new_state = _state(zone, after)
        found.append(
            _Change(
                at=datetime.fromtimestamp(after, UTC),
                offset_from=state[0],
                offset_to=new_state[0],
                daylight=bool(new_state[1]),
                name=new_state[2] or "",
            )
        )
        seconds, state = after, new_state
    return tuple(found)


def _day_rules(day: date) -> set[str]:
    """The ways to say which day of its month ``day`` is: nth weekday, last weekday, date."""
    weekday = _WEEKDAYS[day.weekday()]
    rules = {f"BYDAY={(day.day - 1) // 7 + 1}{weekday}", f"BYMONTHDAY={day.day}"}
    if day.day + 7 > month_calendar.monthrange(day.year, day.month)[1]:
        rules.add(f"BYDAY=-1{weekday}")
    return rules


def _rule_preference(rule: str) -> tuple[int, str]:
    """How zones state their rules: "last Sunday" first, then "second Sunday", then a date."""
    if rule.startswith("BYDAY=-1"):
        return 0, rule
    return (1 if rule.startswith("BYDAY") else 2), rule


@dataclass
class _Run:
    """Changes in consecutive years that one yearly RRULE describes."""

    changes: list[_Change]
    rules: set[str]


def _runs(changes: list[_Change]) -> list[_Run]:
    open_runs: dict[tuple, _Run] = {}
    runs: list[_Run] = []
    for change in changes:
        rules = _day_rules(change.wall.date())
        run = open_runs.get(change.key)
        if run and run.changes[-1].wall.year == change.wall.year - 1 and run.rules & rules:
            run.changes.append(change)
            run.rules &= rules
            continue
        run = _Run([change], rules)
        open_runs[change.key] = run
        runs.append(run)
    return runs


def _offset(value: timedelta) -> str:
    sign = "-" if value < timedelta(0) else "+"
    hours, rest = divmod(abs(int(value.total_seconds())), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{sign}{hours:02d}{minutes:02d}" + (f"{seconds:02d}" if seconds else "")


def _observance(
    first: datetime, daylight: bool, offset_from: timedelta, offset_to: timedelta, name: str, rrule: str = ""
) -> list[str]:
    kind = "DAYLIGHT" if daylight else "STANDARD"
    lines = [f"BEGIN:{kind}", f"DTSTART:{first:%Y%m%dT%H%M%S}"]
    if rrule:
        lines.append(f"RRULE:{rrule}")
    lines += [f"TZOFFSETFROM:{_offset(offset_from)}", f"TZOFFSETTO:{_offset(offset_to)}"]
    if name:
        lines.append(f"TZNAME:{icalendar.vText(name).to_ical().decode()}")
    return [*lines, f"END:{kind}"]


@functools.lru_cache(maxsize=256)
def vtimezone(tzid: str, first_year: int, last_year: int) -> bytes | None:
    """The VTIMEZONE of ``tzid`` for local times from ``first_year`` to ``last_year``, or
    None for a name zoneinfo does not know.

    It holds the change in force on 1 January of ``first_year`` and every later one,
    grouped into yearly RRULEs; a group that later rules replace or end ends with UNTIL
    (UTC, a day after its last change), the groups still in force have none. A zone without
    changes since 1970 gets a single observance from 1970 on.
    """
    try:
        changes = _changes(tzid, last_year + _LOOKAHEAD_YEARS)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None
    start = datetime(first_year, 1, 1, tzinfo=UTC)
    earlier = [change for change in changes if change.at < start]
    used = [*earlier[-1:], *(change for change in changes if change.at >= start)]
    lines = ["BEGIN:VTIMEZONE", f"TZID:{tzid}"]
    if not earlier:
        moment = _EPOCH.astimezone(zoneinfo.ZoneInfo(tzid))
        offset = moment.utcoffset() or timedelta(0)
        lines += _observance(datetime(1970, 1, 1), bool(moment.dst()), offset, offset, moment.tzname() or "")
    horizon = last_year + _LOOKAHEAD_YEARS
    for run in _runs(used):
        first, last = run.changes[0], run.changes[-1]
        rrule = ""
        if len(run.changes) > 1:
            rule = min(run.rules, key=_rule_preference)
            rrule = f"FREQ=YEARLY;BYMONTH={first.wall.month};{rule}"
            if last.wall.year < horizon:
                rrule += f";UNTIL={last.at + _UNTIL_SLACK:%Y%m%dT%H%M%SZ}"
        lines += _observance(first.wall, first.daylight, first.offset_from, first.offset_to, first.name, rrule)
    lines.append("END:VTIMEZONE")
    return ("\r\n".join(lines) + "\r\n").encode()
