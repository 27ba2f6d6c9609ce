from datetime import datetime, time, timedelta

import factory
from django.utils import timezone

from accounts.models import User
from events.models import Event
from rooms.models import Booking, Room

PASSWORD = "correct-horse-battery-staple"


def tomorrow_at(hour: int, minute: int = 0, days: int = 1) -> datetime:
    """An aware datetime ``days`` from today at hour:minute in the active time zone."""
    day = timezone.localdate() + timedelta(days=days)
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    name = factory.Faker("name")
    timezone = "Europe/Moscow"
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class RoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Room

    name = factory.Sequence(lambda n: f"Room {n}")
    capacity = 8
    location = "Floor 2"
    equipment = factory.LazyFunction(lambda: ["projector", "whiteboard"])


class BookingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Booking

    room = factory.SubFactory(RoomFactory)
    user = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Meeting {n}")
    start = factory.LazyFunction(lambda: tomorrow_at(10))
    end = factory.LazyAttribute(lambda o: o.start + timedelta(hours=1))


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    title = factory.Sequence(lambda n: f"Event {n}")
    organizer = factory.SubFactory(UserFactory)
    start = factory.LazyFunction(lambda: next_weekday_at(11))
    end = factory.LazyAttribute(lambda o: o.start + timedelta(hours=1))


def next_weekday_at(hour: int, minute: int = 0, after_days: int = 1) -> datetime:
    """The first Monday-Friday at least ``after_days`` ahead, at hour:minute in the active zone."""
    day = timezone.localdate() + timedelta(days=after_days)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))
