from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from rooms import services
from rooms.models import Equipment, Room
from rooms.services import book_room

DEMO_PASSWORD = "demo-pass-2026"

ROOMS = [
    ("Amber", 4, "Floor 1, east wing", [Equipment.SCREEN, Equipment.WHITEBOARD]),
    ("Birch", 6, "Floor 1, east wing", [Equipment.SCREEN, Equipment.SPEAKERPHONE]),
    ("Cedar", 8, "Floor 2, north", [Equipment.PROJECTOR, Equipment.WHITEBOARD]),
    ("Delta", 10, "Floor 2, south", [Equipment.VIDEO, Equipment.SCREEN, Equipment.WHITEBOARD]),
    ("Ember", 2, "Floor 2, phone booths", [Equipment.SPEAKERPHONE]),
    ("Fjord", 12, "Floor 3, west", [Equipment.PROJECTOR, Equipment.VIDEO, Equipment.SPEAKERPHONE]),
    ("Grove", 16, "Floor 3, east", [Equipment.PROJECTOR, Equipment.FLIPCHART, Equipment.WHITEBOARD]),
    ("Harbor", 20, "Floor 4, conference centre", [Equipment.PROJECTOR, Equipment.VIDEO, Equipment.SCREEN]),
    ("Iris", 3, "Floor 4, quiet zone", []),
    ("Juniper", 30, "Floor 5, training", [Equipment.PROJECTOR, Equipment.FLIPCHART, Equipment.SPEAKERPHONE]),
    ("Kestrel", 60, "Ground floor, auditorium", [Equipment.PROJECTOR, Equipment.VIDEO, Equipment.SCREEN]),
    ("Lotus", 6, "Floor 5, lounge", [Equipment.SCREEN, Equipment.FLIPCHART]),
]


class Command(BaseCommand):
    help = "Create demo rooms, an admin, two employees, a few bookings and events, once."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Seed even with DEBUG off (the demo logins' password is published in the README).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["allow_production"]:
            raise CommandError(
                "seed_demo creates accounts whose password is published; it runs only with DEBUG on "
                "(or --allow-production, for a throwaway demo)."
            )
        if User.objects.exists() or Room.objects.exists():
            self.stdout.write("Demo data already present; nothing created.")
            self._print_logins()
            return
        with transaction.atomic():
            admin = User.objects.create_superuser(email="admin@example.com", password=DEMO_PASSWORD, name="Alex Admin")
            anna = User.objects.create_user(email="anna@example.com", password=DEMO_PASSWORD, name="Anna Ivanova")
            boris = User.objects.create_user(
                email="boris@example.com", password=DEMO_PASSWORD, name="Boris Petrov", timezone="Asia/Yekaterinburg"
            )
            rooms = [
                services.create_room(
                    actor=admin,
                    name=name,
                    capacity=capacity,
                    location=location,
                    equipment=[str(item) for item in equipment],
                    description=f"{name}: {capacity} seats, {location.lower()}.",
                )
                for name, capacity, location, equipment in ROOMS
            ]
            self._book_some(rooms, [anna, boris])
            self._plan_events(rooms, anna, boris)
        self.stdout.write(self.style.SUCCESS(f"Created {len(ROOMS)} rooms and 3 users."))
        self._print_logins()

    def _book_some(self, rooms: list[Room], people: list[User]) -> None:
        tomorrow = timezone.localdate() + timedelta(days=1)
        zone = timezone.get_current_timezone()
        plan = [
            (0, 0, "Sprint planning", time(10), 90),
            (1, 1, "Interview", time(11), 60),
            (3, 0, "Team sync", time(14), 30),
            (5, 1, "Design review", time(15), 60),
            (0, 1, "Customer call", time(16), 45),
        ]
        for room_index, person_index, title, start_at, minutes in plan:
            start = timezone.make_aware(datetime.combine(tomorrow, start_at), zone)
            book_room(
                room=rooms[room_index],
                user=people[person_index],
                title=title,
                start=start,
                end=start + timedelta(minutes=minutes),
            )

    def _plan_events(self, rooms: list[Room], anna: User, boris: User) -> None:
        from events.services import create_event, invite, register

        day = timezone.localdate() + timedelta(days=2)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        zone = timezone.get_current_timezone()
        start = timezone.make_aware(datetime.combine(day, time(15)), zone)
        town_hall = create_event(
            organizer=anna,
            title="Town hall",
            description="Quarterly results and questions to the leadership team.",
            start=start,
            end=start + timedelta(hours=1),
            capacity=50,
            room=rooms[10],
        )
        register(event=town_hall, user=anna)
        invite(event=town_hall, invited_by=anna, invitees=[boris])
        start = timezone.make_aware(datetime.combine(day, time(16, 30)), zone)
        create_event(
            organizer=boris,
            title="Python study group",
            description="Bring a laptop.",
            start=start,
            end=start + timedelta(hours=1),
            capacity=8,
        )

    def _print_logins(self) -> None:
        self.stdout.write("Log in at http://127.0.0.1:8000/ with one of:")
        for email, role in (
            ("admin@example.com", "admin"),
            ("anna@example.com", "employee"),
            ("boris@example.com", "employee"),
        ):
            self.stdout.write(f"  {email:<20} {DEMO_PASSWORD}   ({role})")
