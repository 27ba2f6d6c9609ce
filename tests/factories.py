from datetime import datetime, time, timedelta

import factory
from django.utils import timezone

from accounts.models import User
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
