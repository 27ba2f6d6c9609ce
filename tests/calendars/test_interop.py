"""Every kind of calendar file the site makes, read by independent parsers, for people in
many zones: each VEVENT's start and end must come out at the stored instant.

The parsers: Python's icalendar (its own reading, which takes the TZID's zoneinfo, and the
file's VTIMEZONE through ``Timezone.to_tz``, i.e. dateutil), libical through Debian's
``/usr/bin/python3`` (Evolution, GNOME Calendar) and ical.js from npm (Nextcloud Calendar,
FullCalendar). libical and ical.js read the times from the file's own VTIMEZONEs.
"""

import functools
import json
import re
import shutil
import subprocess
import zoneinfo
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import icalendar
import pytest
from django.urls import reverse

from booking_site import ical
from notifications.models import OutgoingMail
from rooms.services import booking_mail
from tests.factories import BookingFactory, EventFactory, RoomFactory, UserFactory

HERE = Path(__file__).parent
DEBIAN_PYTHON = "/usr/bin/python3"
LIBICAL_HINT = "libical not installed: apt-get install gir1.2-ical-3.0 python3-gi"
ICALJS_HINT = "ical.js not installed: npm ci --prefix tests/calendars"

VIEWER_ZONES = [
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "America/Santiago",
    "Australia/Sydney",
    "Australia/Adelaide",
    "Pacific/Auckland",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Asia/Tokyo",
    "Asia/Dubai",
    "Europe/Moscow",
    "UTC",
]

Times = dict[str, tuple[int, int]]  # UID without its "@host" -> (start, end) in Unix seconds


def _uid(value: str) -> str:
    return value.split("@", 1)[0]


# ---------------------------------------------------------------------------
# The parsers: each takes files and gives, per file, the times of its VEVENTs.


def icalendar_own(files: list[bytes]) -> list[Times]:
    """icalendar's decoded values (it resolves a known TZID through zoneinfo)."""
    found = []
    for body in files:
        calendar = icalendar.Calendar.from_ical(body)
        found.append(
            {
                _uid(str(event["UID"])): (
                    int(event.decoded("DTSTART").timestamp()),
                    int(event.decoded("DTEND").timestamp()),
                )
                for event in calendar.walk("VEVENT")
            }
        )
    return found


def icalendar_vtimezone(files: list[bytes]) -> list[Times]:
    """The wall times of the file resolved through the file's VTIMEZONEs (icalendar's
    ``Timezone.to_tz`` without looking the TZID up, which hands them to dateutil)."""
    found = []
    for body in files:
        calendar = icalendar.Calendar.from_ical(body)
        zones = {str(zone["TZID"]): zone.to_tz(lookup_tzid=False) for zone in calendar.walk("VTIMEZONE")}

        def instant(prop: icalendar.prop.vDDDTypes, zones: dict = zones) -> int:
            text = prop.to_ical().decode()
            if text.endswith("Z"):
                return int(datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp())
            wall = datetime.strptime(text, "%Y%m%dT%H%M%S")
            return int(wall.replace(tzinfo=zones[prop.params["TZID"]]).timestamp())

        found.append(
            {
                _uid(str(event["UID"])): (instant(event["DTSTART"]), instant(event["DTEND"]))
                for event in calendar.walk("VEVENT")
            }
        )
    return found


@functools.cache
def _libical_missing() -> bool:
    check = 'import gi; gi.require_version("ICalGLib", "3.0"); from gi.repository import ICalGLib'
    try:
        return subprocess.run([DEBIAN_PYTHON, "-c", check], capture_output=True, timeout=60).returncode != 0
    except OSError:
        return True


def _run(command: list[str], files: list[bytes]) -> list[Times]:
    payload = json.dumps([body.decode() for body in files])
    result = subprocess.run(command, input=payload, capture_output=True, text=True, timeout=120, check=True)
    return [{_uid(item["uid"]): (item["start"], item["end"]) for item in items} for items in json.loads(result.stdout)]


def libical(files: list[bytes]) -> list[Times]:
    if _libical_missing():
        pytest.skip(LIBICAL_HINT)
    return _run([DEBIAN_PYTHON, str(HERE / "libical_times.py")], files)


def icaljs(files: list[bytes]) -> list[Times]:
    node = shutil.which("node")
    if node is None or not (HERE / "node_modules" / "ical.js").is_dir():
        pytest.skip(ICALJS_HINT)
    return _run([node, str(HERE / "icaljs_times.mjs")], files)


PARSERS: dict[str, Callable[[list[bytes]], list[Times]]] = {
    "icalendar": icalendar_own,
    "icalendar-vtimezone": icalendar_vtimezone,
    "libical": libical,
    "icaljs": icaljs,
}
VTIMEZONE_READERS = ["icalendar-vtimezone", "libical", "icaljs"]


# ---------------------------------------------------------------------------
# Instants worth testing


def changes(zone: str, year: int) -> list[datetime]:
    """The UTC instants at which ``zone`` changes its offset in ``year`` (hour by hour;
    every zone used here changes on the hour or half hour)."""
    tz = zoneinfo.ZoneInfo(zone)
    found = []
    moment = datetime(year, 1, 1, tzinfo=UTC)
    offset = moment.astimezone(tz).utcoffset()
    while moment.year == year:
        following = moment + timedelta(minutes=30)
        if following.astimezone(tz).utcoffset() != offset:
            found.append(following)
            offset = following.astimezone(tz).utcoffset()
        moment = following
    return found


def wall(zone: str, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=zoneinfo.ZoneInfo(zone))


def spans(zone: str, year: int) -> list[tuple[datetime, datetime]]:
    """Items in both halves of ``year`` and on the days of the changes (of ``zone``, or of
    London and Sydney for a zone without changes): across each change and at noon."""
    items = [
        (wall(zone, year, 1, 14, 10), wall(zone, year, 1, 14, 11, 30)),
        (wall(zone, year, 7, 15, 10), wall(zone, year, 7, 15, 11, 30)),
        (wall(zone, year, 12, 10, 10), wall(zone, year, 12, 10, 11)),
    ]
    moments = changes(zone, year) or changes("Europe/London", year) + changes("Australia/Sydney", year)
    for moment in moments:
        items.append((moment - timedelta(hours=1), moment + timedelta(hours=1)))
        day = moment.astimezone(zoneinfo.ZoneInfo(zone)).date()
        items.append((wall(zone, day.year, day.month, day.day, 12), wall(zone, day.year, day.month, day.day, 13)))
    return items


def expect(found: Times, stored: Times) -> None:
    wrong = {uid: (times, stored.get(uid)) for uid, times in found.items() if times != stored.get(uid)}
    assert not wrong, {
        uid: [datetime.fromtimestamp(t, UTC).isoformat() if t else None for t in (*got, *(want or (None, None)))]
        for uid, (got, want) in wrong.items()
    }


def seconds(start: datetime, end: datetime) -> tuple[int, int]:
    return int(start.timestamp()), int(end.timestamp())


# ---------------------------------------------------------------------------
# The site's files, for one viewer


def _attachment(message) -> bytes:
    [(content, mimetype)] = message.alternatives
    assert mimetype.startswith("text/calendar")
    return content.encode()


def site_files(client, zone: str) -> tuple[list[bytes], list[Times]]:
    """The personal feed, a room feed, a booking download, an event download and the booking
    mail's attachment for a viewer in ``zone``, and the times each should hold."""
    year = datetime.now(UTC).year + 1
    viewer = UserFactory(timezone=zone)
    room, other_room = RoomFactory(), RoomFactory()
    # Items of different rooms may overlap (a zone without changes gets London's and Sydney's).
    bookings = [
        BookingFactory(room=room if number % 2 == 0 else other_room, user=viewer, start=start, end=end)
        for number, (start, end) in enumerate(spans(zone, year))
    ]
    bookings.append(
        BookingFactory(
            room=room, user=viewer, start=wall(zone, year - 1, 12, 20, 9), end=wall(zone, year - 1, 12, 20, 10)
        )
    )
    events = [
        EventFactory(organizer=viewer, start=wall(zone, year, 6, 20, 16), end=wall(zone, year, 6, 20, 18)),
        EventFactory(organizer=viewer, start=wall(zone, year, 11, 20, 16), end=wall(zone, year, 11, 20, 18)),
    ]
    booking_times = {f"booking-{b.pk}": seconds(b.start, b.end) for b in bookings}
    event_times = {f"event-{e.pk}": seconds(e.start, e.end) for e in events}
    summer = bookings[1]
    client.force_login(viewer)
    files = [
        client.get(reverse("events:user_feed", args=[viewer.calendar_token])).content,
        client.get(reverse("events:room_feed", args=[viewer.calendar_token, room.pk])).content,
        client.get(reverse("rooms:booking_ics", args=[summer.pk])).content,
        client.get(reverse("events:event_ics", args=[events[0].pk])).content,
        _attachment(booking_mail(OutgoingMail(kind=OutgoingMail.Kind.BOOKING_BOOKED, object_id=bookings[-1].pk))),
    ]
    expected = [
        booking_times | event_times,
        {f"booking-{b.pk}": booking_times[f"booking-{b.pk}"] for b in bookings if b.room == room},
        {f"booking-{summer.pk}": booking_times[f"booking-{summer.pk}"]},
        {f"event-{events[0].pk}": event_times[f"event-{events[0].pk}"]},
        {f"booking-{bookings[-1].pk}": booking_times[f"booking-{bookings[-1].pk}"]},
    ]
    return files, expected


@pytest.mark.django_db
@pytest.mark.parametrize("parser", PARSERS)
@pytest.mark.parametrize("zone", VIEWER_ZONES)
def test_every_file_holds_the_stored_instants(client, zone, parser):
    files, expected = site_files(client, zone)
    found = PARSERS[parser](files)
    for body, times, stored in zip(files, found, expected, strict=True):
        assert b"RDATE" not in body
        if zone != "UTC":
            assert f"TZID:{zone}".encode() in body
        assert set(times) == set(stored)
        expect(times, stored)


# ---------------------------------------------------------------------------
# Files reaching back over years under other rules

HISTORY_ZONES = [
    "America/New_York",
    "Europe/London",
    "Europe/Moscow",
    "America/Sao_Paulo",
    "America/Santiago",
    "Australia/Sydney",
    "Pacific/Auckland",
    "Asia/Kathmandu",
]


def history_file(zone: str, first: int = 2000, last: int = 2027) -> tuple[bytes, Times]:
    """A file with an item across each change and at noon on each change day from
    ``first`` to ``last``, built with the module's own item and file makers."""
    calendar = ical.new_calendar("History")
    stored = {}
    for year in range(first, last + 1):
        for number, (start, end) in enumerate(spans(zone, year)):
            uid = f"item-{year}-{number}"
            calendar.add_component(ical.vevent(uid=uid, summary=uid, start=start, end=end, zone=zone))
            stored[uid] = seconds(start, end)
    return ical.to_bytes(calendar), stored


@pytest.mark.parametrize("parser", PARSERS)
@pytest.mark.parametrize("zone", HISTORY_ZONES)
def test_files_over_decades_of_rule_changes(zone, parser):
    body, stored = history_file(zone)
    [times] = PARSERS[parser]([body])
    assert set(times) == set(stored)
    expect(times, stored)


# ---------------------------------------------------------------------------
# The form of the VTIMEZONEs


def observances(tzid: str, first: int, last: int) -> list[dict[str, str]]:
    text = ical.vtimezone(tzid, first, last).decode()
    blocks = re.findall(r"BEGIN:(STANDARD|DAYLIGHT)\r\n(.*?)END:\1", text, re.S)
    return [{"kind": kind} | dict(line.split(":", 1) for line in body.split("\r\n") if line) for kind, body in blocks]


def test_current_rules_are_one_rrule_each_for_standard_and_daylight():
    london = observances("Europe/London", 2026, 2027)
    assert [(o["kind"], o["RRULE"], o["TZOFFSETFROM"], o["TZOFFSETTO"]) for o in london] == [
        ("STANDARD", "FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "+0100", "+0000"),
        ("DAYLIGHT", "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "+0000", "+0100"),
    ]
    assert [o["DTSTART"] for o in london] == ["20251026T020000", "20260329T010000"]
    sydney = observances("Australia/Sydney", 2026, 2026)
    assert {o["kind"]: o["RRULE"] for o in sydney} == {
        "DAYLIGHT": "FREQ=YEARLY;BYMONTH=10;BYDAY=1SU",
        "STANDARD": "FREQ=YEARLY;BYMONTH=4;BYDAY=1SU",
    }
    adelaide = observances("Australia/Adelaide", 2026, 2026)
    assert {o["TZOFFSETTO"] for o in adelaide} == {"+0930", "+1030"}


@pytest.mark.parametrize(
    ("tzid", "offset", "since"),
    [
        ("Asia/Tokyo", "+0900", "19700101T000000"),
        ("Asia/Kolkata", "+0530", "19700101T000000"),
        ("Asia/Dubai", "+0400", "19700101T000000"),
        ("UTC", "+0000", "19700101T000000"),
        ("Asia/Kathmandu", "+0545", "19860101T000000"),
        ("Europe/Moscow", "+0300", "20141026T020000"),
        ("America/Sao_Paulo", "-0300", "20190217T000000"),
    ],
)
def test_a_zone_without_clock_changes_has_one_standard_observance(tzid, offset, since):
    [only] = observances(tzid, 2026, 2027)
    assert only["kind"] == "STANDARD" and only["TZOFFSETTO"] == offset and only["DTSTART"] == since
    assert "RRULE" not in only


def test_earlier_rules_end_with_until_in_utc():
    new_york = observances("America/New_York", 2000, 2026)
    rules = {o["RRULE"] for o in new_york}
    assert rules == {
        "FREQ=YEARLY;BYMONTH=4;BYDAY=1SU;UNTIL=20060403T070000Z",
        "FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU;UNTIL=20061030T060000Z",
        "FREQ=YEARLY;BYMONTH=3;BYDAY=2SU",
        "FREQ=YEARLY;BYMONTH=11;BYDAY=1SU",
    }
    moscow = observances("Europe/Moscow", 2005, 2026)
    assert all("UNTIL=" in o["RRULE"] for o in moscow if "RRULE" in o)
    assert moscow[-1]["kind"] == "STANDARD" and moscow[-1]["TZOFFSETTO"] == "+0300"


# ---------------------------------------------------------------------------
# The tests can fail: the parsers read the file's VTIMEZONE, and ical.js misread the old form


def london_and_berlin(zone: str) -> tuple[bytes, Times]:
    calendar = ical.new_calendar("Check")
    stored = {}
    for uid, start in [("december", wall(zone, 2026, 12, 10, 10)), ("july", wall(zone, 2027, 7, 15, 10))]:
        calendar.add_component(
            ical.vevent(uid=uid, summary=uid, start=start, end=start + timedelta(hours=1), zone=zone)
        )
        stored[uid] = seconds(start, start + timedelta(hours=1))
    return ical.to_bytes(calendar), stored


def with_vtimezone(body: bytes, tzid: str, vtimezone: bytes) -> bytes:
    start = body.index(b"BEGIN:VTIMEZONE\r\nTZID:" + tzid.encode())
    end = body.index(b"END:VTIMEZONE\r\n", start) + len(b"END:VTIMEZONE\r\n")
    return body[:start] + vtimezone + body[end:]


@pytest.mark.parametrize("parser", VTIMEZONE_READERS)
def test_parsers_take_times_from_the_files_vtimezone(parser):
    body, stored = london_and_berlin("Europe/London")
    wrong = body.replace(b"TZOFFSETFROM:+0000\r\nTZOFFSETTO:+0100", b"TZOFFSETFROM:+0000\r\nTZOFFSETTO:+0200")
    assert wrong != body
    [times] = PARSERS[parser]([wrong])
    assert times["december"] == stored["december"]
    assert times["july"] == (stored["july"][0] - 3600, stored["july"][1] - 3600)


@pytest.mark.parametrize("zone", ["Europe/London", "Europe/Berlin"])
def test_icaljs_misreads_the_old_rdate_form_and_reads_ours(zone):
    """The VTIMEZONE the site used to write (icalendar's, with long multi-valued RDATEs):
    ical.js takes only the first value of each RDATE, so the rules stop in the 1970s."""
    body, stored = london_and_berlin(zone)
    old = with_vtimezone(body, zone, icalendar.Timezone.from_tzid(zone).to_ical())
    assert b"RDATE:" in old
    [ours, theirs] = icaljs([body, old])
    expect(ours, stored)
    wrong = "december" if zone == "Europe/London" else "july"
    assert ours[wrong] != theirs[wrong]
    assert theirs[wrong][0] - stored[wrong][0] in (3600, -3600)


def test_a_time_in_the_repeated_hour_is_written_in_utc():
    """01:30 happens twice in New York on 2027-11-07; libical and ical.js would take the second."""
    first = datetime(2027, 11, 7, 5, 30, tzinfo=UTC)  # 01:30 EDT, the first 01:30
    later = datetime(2027, 11, 7, 15, 0, tzinfo=UTC)  # 10:00 EST
    event = ical.vevent(uid="fold", summary="fold", start=first, end=later, zone="America/New_York")
    assert event["DTSTART"].to_ical() == b"20271107T053000Z" and "TZID" not in event["DTSTART"].params
    assert event["DTEND"].to_ical() == b"20271107T100000" and event["DTEND"].params["TZID"] == "America/New_York"
