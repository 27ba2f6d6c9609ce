"""Fill a database with an office at scale, with bulk inserts.

Defaults: 500 rooms on 20 floors, 10,000 people, two years of bookings (one
past, one ahead; about a million, none overlapping), 20,000 events and 200,000
registrations and invitations. Every row is valid; the rules are not re-run for
speed, which is what bulk loading is for.
"""

import random
import secrets
import time as clock
import zoneinfo
from datetime import date, datetime, time, timedelta
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.models import DEFAULT_HOURS, DEFAULT_WORKING_DAYS, User, WorkingHours
from events.models import Event, Invitation, Registration
from rooms.models import Booking, Equipment, Room

BATCH = 5000
TITLES = ["Standup", "Planning", "Retro", "1:1", "Interview", "Design review", "Customer call", "Sync", "Workshop"]


class Command(BaseCommand):
    help = "Fill the database with office-scale data (rooms, people, bookings, events)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--rooms", type=int, default=500)
        parser.add_argument("--floors", type=int, default=20)
        parser.add_argument("--users", type=int, default=10000)
        parser.add_argument("--days", type=int, default=730, help="days of bookings, half past and half ahead")
        parser.add_argument("--per-day", type=float, default=5.0, help="bookings per room and day, on average")
        parser.add_argument("--events", type=int, default=20000)
        parser.add_argument("--people-per-event", type=int, default=10, help="registrations plus invitations")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--force", action="store_true", help="add to a database that already has rooms")

    def log(self, message: str) -> None:
        self.stdout.write(f"[{clock.monotonic() - self.started:7.1f}s] {message}")
        self.stdout.flush()

    def handle(self, *args: Any, **options: Any) -> None:
        if Room.objects.exists() and not options["force"]:
            raise CommandError("The database already has rooms; use --force to add more.")
        self.started = clock.monotonic()
        rng = random.Random(options["seed"])
        zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
        users = self.make_users(options["users"], rng)
        rooms = self.make_rooms(options["rooms"], options["floors"], rng)
        bookings = self.make_bookings(rooms, users, options["days"], options["per_day"], rng, zone)
        self.make_events(bookings, users, options["events"], options["people_per_event"], rng)
        self.log(self.style.SUCCESS("Done."))

    def make_users(self, count: int, rng: random.Random) -> list[int]:
        password = make_password("office-pass-2026")
        first = User.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        for offset in range(0, count, BATCH):
            batch = [
                User(
                    email=f"person{first + index}@office.example",
                    name=f"Person {first + index}",
                    password=password,
                    calendar_token=secrets.token_urlsafe(32),
                    timezone=settings.TIME_ZONE,
                )
                for index in range(offset, min(count, offset + BATCH))
            ]
            User.objects.bulk_create(batch)
            self.log(f"people: {min(count, offset + BATCH)}/{count}")
        ids = list(User.objects.filter(email__endswith="@office.example").values_list("pk", flat=True))
        hours = [WorkingHours(user_id=pk, weekday=day, **DEFAULT_HOURS) for pk in ids for day in DEFAULT_WORKING_DAYS]
        WorkingHours.objects.bulk_create(hours, batch_size=BATCH, ignore_conflicts=True)
        self.log(f"working hours: {len(hours)}")
        addresses = [
            EmailAddress(user_id=pk, email=email, primary=True, verified=True)
            for pk, email in User.objects.filter(pk__in=ids).values_list("pk", "email")
        ]
        EmailAddress.objects.bulk_create(addresses, batch_size=BATCH, ignore_conflicts=True)
        return ids

    def make_rooms(self, count: int, floors: int, rng: random.Random) -> list[Room]:
        sizes = [2, 4, 4, 6, 6, 8, 8, 10, 12, 16, 20, 30, 50]
        codes = list(Equipment.values)
        start = Room.objects.count()
        rooms = [
            Room(
                name=f"{index % floors + 1:02d}-{index // floors + 1:03d}",
                capacity=rng.choice(sizes),
                location=f"Floor {index % floors + 1}",
                equipment=rng.sample(codes, rng.randint(0, 3)),
            )
            for index in range(start, start + count)
        ]
        Room.objects.bulk_create(rooms, batch_size=BATCH)
        self.log(f"rooms: {count} on {floors} floors")
        return list(Room.objects.order_by("-pk")[:count])

    def make_bookings(
        self,
        rooms: list[Room],
        users: list[int],
        days: int,
        per_day: float,
        rng: random.Random,
        zone: zoneinfo.ZoneInfo,
    ) -> list[tuple[int, int, datetime, datetime, int]]:
        """Per room and day, a few bookings on distinct half hours between 08:00 and 20:00."""
        today = timezone.localdate()
        first_day = today - timedelta(days=days // 2)
        created: list[tuple[int, int, datetime, datetime, int]] = []
        pending: list[Booking] = []
        now = timezone.now()
        total = 0
        for day_index in range(days):
            day: date = first_day + timedelta(days=day_index)
            weekend = day.weekday() >= 5
            for room in rooms:
                wanted = rng.randint(0, 2) if weekend else min(12, int(rng.expovariate(1 / (per_day * 1.15)) + 0.5))
                cursor = 0
                for _ in range(wanted):
                    gap = rng.randint(0, 4)
                    length = rng.randint(1, 4)
                    if cursor + gap + length > 24:
                        break
                    start_slot = cursor + gap
                    cursor = start_slot + length
                    start = datetime.combine(day, time(8), tzinfo=zone) + timedelta(minutes=30 * start_slot)
                    end = start + timedelta(minutes=30 * length)
                    pending.append(
                        Booking(
                            room_id=room.pk,
                            user_id=rng.choice(users),
                            title=rng.choice(TITLES),
                            start=start,
                            end=end,
                            cancelled_at=now if rng.random() < 0.03 else None,
                        )
                    )
            if len(pending) >= BATCH * 4 or day_index == days - 1:
                with transaction.atomic():
                    Booking.objects.bulk_create(pending, batch_size=BATCH)
                total += len(pending)
                created.extend(
                    (b.pk, b.user_id, b.start, b.end, b.room_id) for b in pending if b.cancelled_at is None and b.pk
                )
                pending = []
                self.log(f"bookings: {total} (day {day_index + 1}/{days})")
        if not created or created[0][0] is None:
            created = list(
                Booking.objects.active()
                .filter(title__in=TITLES)
                .values_list("pk", "user_id", "start", "end", "room_id")
            )
        return created

    def make_events(
        self,
        bookings: list[tuple[int, int, datetime, datetime, int]],
        users: list[int],
        count: int,
        people: int,
        rng: random.Random,
    ) -> None:
        chosen = rng.sample(bookings, min(count, len(bookings)))
        events = [
            Event(
                title=f"Event {index}",
                description="",
                start=start,
                end=end,
                organizer_id=user,
                booking_id=pk,
                capacity=None,
            )
            for index, (pk, user, start, end, _room) in enumerate(chosen)
        ]
        Event.objects.bulk_create(events, batch_size=BATCH)
        self.log(f"events: {len(events)}")
        event_ids = list(Event.objects.filter(title__startswith="Event ").values_list("pk", "organizer_id"))
        registrations: list[Registration] = []
        invitations: list[Invitation] = []
        statuses = [Invitation.Status.PENDING, Invitation.Status.ACCEPTED, Invitation.Status.DECLINED]
        for event_id, organizer in event_ids:
            crowd = rng.sample(users, people)
            half = people // 2
            registrations.extend(Registration(event_id=event_id, user_id=pk) for pk in crowd[:half])
            invitations.extend(
                Invitation(event_id=event_id, invited_by_id=organizer, invitee_id=pk, status=rng.choice(statuses))
                for pk in crowd[half:]
                if pk != organizer
            )
            if len(registrations) >= BATCH * 4:
                Registration.objects.bulk_create(registrations, batch_size=BATCH, ignore_conflicts=True)
                Invitation.objects.bulk_create(invitations, batch_size=BATCH, ignore_conflicts=True)
                registrations, invitations = [], []
        Registration.objects.bulk_create(registrations, batch_size=BATCH, ignore_conflicts=True)
        Invitation.objects.bulk_create(invitations, batch_size=BATCH, ignore_conflicts=True)
        self.log(f"registrations: {Registration.objects.count()}, invitations: {Invitation.objects.count()}")
