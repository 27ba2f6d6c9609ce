"""The people and targets a bench run uses, made in the database being measured.

Run by bench/run.py with the site's environment (DATABASE_URL, ...) and the
options as JSON in BENCH_FIXTURES; prints one line of JSON:

- ``single``: the person with the most bookings (a session and an API token),
  the room with the most bookings, the upcoming event with the most people, and
  events that person may still register for;
- ``mix`` (when asked for): ``people`` distinct people, each with a logged-in
  session, the first ``tokens`` of them also with an API token, a few far-future
  bookings of their own (to change and cancel) and events to register for; plus
  samples of rooms and events for the pages;
- ``calendars`` (when asked for): a person whose calendar feed holds about 500
  items (bookings over the coming months in a closed room, and registrations),
  and an organizer (a session) with two far-future events, one with 300 people
  registered and one with 1, to move.

The people these make have addresses at ``@bench.example`` and are never the
person or the events the other rows pick.

Sessions have fixed keys per person and a person's old bench tokens are
replaced, so repeated runs do not pile them up; the far-future bookings that
earlier runs made (titled "bench") are removed first, so that runs stay
comparable.
"""

import json
import os
import random
import sys
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
BENCH_TITLES = ["bench", "bench changed"]


BENCH_PEOPLE = "@bench.example"
REPORT_ROOM = "Bench report room"
REPORT_BOOKINGS = 20_000
REPORT_DAYS = 3 * 365


def report_fixture(now: Any) -> tuple[int, Any]:
    """A closed room (so no page lists it) with 20,000 bookings over the last three
    years, for the usage report's row, and an admin to ask for it. Made once."""
    from accounts.models import User
    from rooms.models import Booking, Room

    admin, _created = User.objects.get_or_create(
        email="bench-admin@bench.example", defaults={"name": "Bench admin", "is_staff": True}
    )
    room, created = Room.objects.get_or_create(name=REPORT_ROOM, defaults={"capacity": 6, "is_active": False})
    if created or Booking.objects.filter(room=room).count() < REPORT_BOOKINGS:
        Booking.objects.filter(room=room).delete()
        per_day = -(-REPORT_BOOKINGS // REPORT_DAYS)
        first = (now - timedelta(days=REPORT_DAYS)).replace(hour=5, minute=0, second=0, microsecond=0)
        Booking.objects.bulk_create(
            (
                Booking(
                    room=room,
                    user=admin,
                    title="report",
                    start=first + timedelta(days=index // per_day, minutes=30 * (index % per_day)),
                    end=first + timedelta(days=index // per_day, minutes=30 * (index % per_day) + 25),
                )
                for index in range(REPORT_BOOKINGS)
            ),
            batch_size=2000,
        )
    return room.pk, admin


FEED_ROOM = "Bench feed room"
FEED_BOOKINGS = 400  # two a day from 60 days ago on: most of them in the coming months
FEED_EVENTS = 100
MOVE_AUDIENCES = (300, 1)
MOVE_TIMES = (("10:00", "11:00"), ("14:00", "15:00"))  # within the organizer's working hours


def feed_fixture(now: Any) -> tuple[Any, int]:
    """A person with ``FEED_BOOKINGS`` standing bookings (in a closed room, so no page lists
    them) and ``FEED_EVENTS`` registrations, all within the feed's window and well clear of its
    start (90 days ago), so that nothing leaves the window while the feed is measured. Made
    afresh on every run in bulk; returns the person and how many items their feed holds."""
    from accounts.models import User
    from booking_site import ical
    from events.models import Event, Registration
    from rooms.models import Booking, Room

    person, _created = User.objects.get_or_create(email=f"bench-feed{BENCH_PEOPLE}", defaults={"name": "Bench feed"})
    room, _created = Room.objects.get_or_create(name=FEED_ROOM, defaults={"capacity": 6, "is_active": False})
    Booking.objects.filter(room=room).delete()
    first = (now - timedelta(days=60)).replace(hour=8, minute=0, second=0, microsecond=0)
    Booking.objects.bulk_create(
        Booking(
            room=room,
            user=person,
            title=f"Feed item {index}",
            start=first + timedelta(days=index // 2, hours=5 * (index % 2)),
            end=first + timedelta(days=index // 2, hours=5 * (index % 2), minutes=45),
        )
        for index in range(FEED_BOOKINGS)
    )
    Registration.objects.filter(user=person).delete()
    events = (
        Event.objects.active()
        .filter(end__gt=now - timedelta(days=80))
        .exclude(organizer__email__endswith=BENCH_PEOPLE)
        .order_by("start", "pk")
        .values_list("pk", flat=True)
    )
    chosen = list(events[:: max(1, events.count() // FEED_EVENTS)][:FEED_EVENTS])
    Registration.objects.bulk_create(Registration(event_id=pk, user=person) for pk in chosen)
    return person, ical.user_feed(person).count(b"BEGIN:VEVENT")


def move_fixture(now: Any, exclude: list[int]) -> tuple[Any, list[dict[str, Any]]]:
    """An organizer with one far-future event per size in ``MOVE_AUDIENCES``, that many people
    registered (made once, through the services); the event is moved between the two
    ``MOVE_TIMES`` of its day, the first of them the one it is not at now."""
    from accounts.models import User
    from events import services as event_services
    from events.models import Event

    organizer, _created = User.objects.get_or_create(
        email=f"bench-organizer{BENCH_PEOPLE}", defaults={"name": "Bench organizer"}
    )
    zone = ZoneInfo(organizer.timezone)
    day = (now + timedelta(days=200)).astimezone(zone).date()
    while day.weekday() >= 5:
        day += timedelta(days=1)
    people = list(
        User.objects.filter(is_active=True, is_staff=False)
        .exclude(email__endswith=BENCH_PEOPLE)
        .exclude(pk__in=exclude)
        .order_by("-pk")[: max(MOVE_AUDIENCES)]
    )
    moves = []
    for audience in MOVE_AUDIENCES:
        title = f"Bench move, {audience} registered"
        event = (
            Event.objects.active()
            .filter(organizer=organizer, title=title, start__gt=now + timedelta(days=60))
            .order_by("-pk")
            .first()
        )
        if event is None:
            start, end = (datetime.combine(day, time.fromisoformat(value), tzinfo=zone) for value in MOVE_TIMES[0])
            event = event_services.create_event(organizer=organizer, title=title, start=start, end=end)
        registered = set(event.registrations.values_list("user_id", flat=True))
        for person in people[:audience]:
            if len(registered) >= audience:
                break
            if person.pk not in registered:
                event_services.register(event=event, user=person)
                registered.add(person.pk)
        local = event.start.astimezone(zone)
        times = sorted(MOVE_TIMES, key=lambda pair: pair[0] == local.strftime("%H:%M"))
        moves.append(
            {
                "audience": event.registrations.count(),
                "event": event.pk,
                "title": title,
                "day": local.date().isoformat(),
                "times": [list(pair) for pair in times],
            }
        )
    return organizer, moves


def main() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "booking_site.settings")
    import django

    django.setup()

    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.db.models import Count, F, Q
    from django.utils import timezone

    from accounts.models import ApiToken, User
    from events.models import Event, Invitation, Registration
    from rooms.models import Booking, Room
    from rooms.services import book_room

    options = json.loads(os.environ.get("BENCH_FIXTURES", "{}"))
    rng = random.Random(2026)
    now = timezone.now()
    expires = now + timedelta(days=14)

    Booking.objects.filter(title__in=BENCH_TITLES).delete()

    def login(user: User) -> str:
        key = f"benchsession{user.pk:020d}"
        data = SessionStore().encode(
            {
                SESSION_KEY: str(user.pk),
                BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
                HASH_SESSION_KEY: user.get_session_auth_hash(),
            }
        )
        Session.objects.update_or_create(session_key=key, defaults={"session_data": data, "expire_date": expires})
        return key

    from accounts.services import issue_api_token

    def token(user: User) -> str:
        ApiToken.objects.filter(user=user, name="bench").delete()
        return issue_api_token(user=user, name="bench")[1]

    theirs = Q(organizer__email__endswith=BENCH_PEOPLE)  # the events the calendar rows move
    open_events = list(
        Event.objects.active()
        .filter(start__gt=now + timedelta(days=1))
        .exclude(theirs)
        .annotate(people=Count("registrations"))
        .filter(Q(capacity__isnull=True) | Q(capacity__gt=F("people")))
        .order_by("start")
        .values_list("pk", flat=True)[:5000]
    )

    def events_for(users: list[User], count: int) -> dict[int, list[int]]:
        """Up to ``count`` open events per person that they are not registered for."""
        taken = set(
            Registration.objects.filter(user__in=users, event__in=open_events).values_list("user_id", "event_id")
        )
        return {
            user.pk: [pk for pk in rng.sample(open_events, min(len(open_events), count)) if (user.pk, pk) not in taken]
            for user in users
        }

    rooms = list(Room.objects.active().order_by("pk").values_list("pk", flat=True))
    people_here = User.objects.filter(is_active=True, is_staff=False).exclude(email__endswith=BENCH_PEOPLE)
    heavy = people_here.annotate(n=Count("bookings")).order_by("-n", "pk").first()
    room = Room.objects.active().annotate(n=Count("bookings")).order_by("-n", "pk").first()
    upcoming = Event.objects.active().upcoming().exclude(theirs).annotate(n=Count("registrations"))
    event = upcoming.order_by("-n", "start").first() or Event.objects.order_by("pk").first()
    report_room, report_admin = report_fixture(now)
    result: dict[str, Any] = {
        "today": timezone.localdate().isoformat(),
        "counts": {
            "rooms": Room.objects.count(),
            "people": User.objects.count(),
            "bookings": Booking.objects.count(),
            "events": Event.objects.count(),
            "registrations and invitations": Registration.objects.count() + Invitation.objects.count(),
        },
        "rooms": rooms,
        "single": {
            "session": login(heavy),
            "token": token(heavy),
            "room": room.pk,
            "event": event.pk,
            "events": events_for([heavy], options.get("register_events", 1500))[heavy.pk],
            "report_room": report_room,
            "admin_session": login(report_admin),
        },
    }

    people = options.get("people", 0)
    if people:
        candidates = list(people_here.values_list("pk", flat=True))
        chosen = rng.sample(candidates, min(people, len(candidates)))
        by_pk = User.objects.in_bulk(chosen)
        users = [by_pk[pk] for pk in chosen]
        with_token = users[: options.get("tokens", len(users) // 2)]
        events = events_for(with_token, options.get("events_per_person", 40))
        first_day = datetime.fromisoformat(options["first_day"]).date()
        index = 0
        mix_users = []
        for user in users:
            entry: dict[str, Any] = {"session": login(user)}
            if user in with_token:
                entry["token"] = token(user)
                entry["events"] = events[user.pk]
                entry["bookings"] = []
                zone = ZoneInfo(user.timezone)
                for _ in range(options.get("bookings_per_person", 2)):
                    day = first_day + timedelta(days=index // len(rooms))
                    start = datetime.combine(day, time(10), tzinfo=zone)
                    booking = book_room(
                        room=Room.objects.get(pk=rooms[index % len(rooms)]),
                        user=user,
                        title="bench",
                        start=start,
                        end=start + timedelta(minutes=30),
                        notify=False,
                    )
                    entry["bookings"].append([booking.pk, booking.start.isoformat(), 0])
                    index += 1
            mix_users.append(entry)
        upcoming_events = list(Event.objects.active().upcoming().exclude(theirs).values_list("pk", flat=True)[:3000])
        past_events = list(Event.objects.past().order_by("-start").values_list("pk", flat=True)[:1000])
        result["mix"] = {
            "users": mix_users,
            "next_day": (first_day + timedelta(days=index // len(rooms) + 1)).isoformat(),
            "rooms": rng.sample(rooms, min(150, len(rooms))),
            "events": rng.sample(upcoming_events, min(150, len(upcoming_events)))
            + rng.sample(past_events, min(50, len(past_events))),
        }
    if options.get("calendars"):
        feed_person, items = feed_fixture(now)
        organizer, moves = move_fixture(now, [heavy.pk])
        result["calendars"] = {
            "feed": f"/calendar/{feed_person.calendar_token}.ics",
            "feed_items": items,
            "organizer_session": login(organizer),
            "moves": moves,
        }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
