"""Stored page fragments: served again while nothing changed, replaced at once when
something did, never shared where they show one person's things."""

import secrets
import socket
from datetime import timedelta

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from booking_site import fragments
from events import services as event_services
from rooms import services
from rooms.models import FragmentGeneration, Room
from tests.factories import BookingFactory, EventFactory, RoomFactory, tomorrow_at

pytestmark = pytest.mark.django_db

PAGES = [
    "/rooms/",
    "/timeline/",
    "/rooms/find/?date={day}&start_time=10:00&end_time=11:00&people=2",
    "/bookings/",
    "/events/",
    "/rooms/{room}/",
]


def _url(template: str, room: Room) -> str:
    return template.format(day=tomorrow_at(10).date().isoformat(), room=room.pk)


def _booking_queries(client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return [query["sql"] for query in queries if "rooms_booking" in query["sql"] or "events_event" in query["sql"]]


@pytest.mark.parametrize("page", PAGES)
def test_an_unchanged_page_is_not_rendered_again(employee_client, room, page):
    BookingFactory(room=room, start=tomorrow_at(12))
    url = _url(page, room)
    assert _booking_queries(employee_client, url)
    assert _booking_queries(employee_client, url) == []


@pytest.mark.parametrize("page", PAGES)
def test_fragments_carry_no_csrf_token(employee_client, room, page):
    response = employee_client.get(_url(page, room))
    assert "csrfmiddlewaretoken" not in response.context["fragment"]
    assert "csrfmiddlewaretoken" in response.content.decode()


def test_a_new_booking_shows_at_once(employee_client, employee, room):
    url = f"/timeline/?day={tomorrow_at(10).date().isoformat()}"
    assert "Quarterly review" not in employee_client.get(url).content.decode()
    services.book_room(room=room, user=employee, title="Quarterly review", start=tomorrow_at(14), end=tomorrow_at(15))
    assert "Quarterly review" in employee_client.get(url).content.decode()
    assert "Quarterly review" in employee_client.get(reverse("rooms:my_bookings")).content.decode()


def test_cancelling_and_registering_show_at_once(employee_client, employee, other_employee, room):
    booking = BookingFactory(room=room, user=employee, title="Standup", start=tomorrow_at(9))
    event = EventFactory(title="Talk", capacity=3)
    assert "Standup" in employee_client.get(reverse("rooms:my_bookings")).content.decode()
    assert "No one registered yet" in employee_client.get("/events/").content.decode()
    services.cancel_booking(booking=booking, actor=employee)
    event_services.register(event=event, user=other_employee)
    assert "Cancelled" in employee_client.get(reverse("rooms:my_bookings")).content.decode()
    page = employee_client.get("/events/").content.decode()
    assert "1 registered / 3" in page
    assert "You are going" not in page


def test_admin_bulk_deactivation_shows_at_once(admin_client_, room):
    other = RoomFactory(name="Birch")
    assert "Birch" in admin_client_.get("/rooms/").content.decode()
    response = admin_client_.post(
        reverse("admin:rooms_room_changelist"), {"action": "deactivate", "_selected_action": [other.pk]}
    )
    assert response.status_code == 302
    assert "Birch" not in admin_client_.get("/rooms/").content.decode()


def test_per_person_parts_are_not_shared(employee_client, other_client, employee, other_employee, room):
    event = EventFactory(title="Workshop")
    event_services.register(event=event, user=employee)
    booking = BookingFactory(room=room, user=employee, start=tomorrow_at(16))
    edit = reverse("rooms:booking_edit", args=[booking.pk])
    assert "You are going" in employee_client.get("/events/").content.decode()
    assert "You are going" not in other_client.get("/events/").content.decode()
    assert edit in employee_client.get(room.get_absolute_url()).content.decode()
    other_page = other_client.get(room.get_absolute_url()).content.decode()
    assert edit not in other_page
    assert other_employee.calendar_token in other_page
    assert employee.calendar_token not in other_page


def test_my_blocks_are_marked_by_a_style_for_me_only(employee_client, other_client, employee, room):
    BookingFactory(room=room, user=employee, start=tomorrow_at(11))
    url = f"/timeline/?day={tomorrow_at(10).date().isoformat()}"
    marker = f'.timeline-block[data-owner="{employee.pk}"]'
    assert marker in employee_client.get(url).content.decode()
    page = other_client.get(url).content.decode()
    assert f'data-owner="{employee.pk}"' in page
    assert marker not in page


def test_language_and_time_zone_are_part_of_the_key(employee_client, employee, room):
    BookingFactory(room=room, start=tomorrow_at(10))
    url = f"/timeline/?day={tomorrow_at(10).date().isoformat()}"
    assert ">10:00" in employee_client.get(url).content.decode()
    employee_client.cookies["django_language"] = "ru"
    assert "Следующий день" in employee_client.get(url).content.decode()
    employee.timezone = "Asia/Yekaterinburg"
    employee.save(update_fields=["timezone"])
    assert ">12:00" in employee_client.get(url).content.decode()


def test_turned_off_renders_every_time(employee_client, room, settings):
    settings.FRAGMENT_CACHE_SECONDS = 0
    BookingFactory(room=room, start=tomorrow_at(12))
    url = f"/timeline/?day={tomorrow_at(10).date().isoformat()}"
    assert _booking_queries(employee_client, url)
    assert _booking_queries(employee_client, url)


def test_a_login_does_not_invalidate(employee, client, password):
    fragments.data_changed()
    before = fragments.generation()
    assert client.login(email=employee.email, password=password)
    assert fragments.generation() == before
    employee.name = "Renamed"
    employee.save()
    assert fragments.generation() != before


def test_the_generation_survives_a_missing_row(employee_client, room):
    FragmentGeneration.objects.all().delete()
    url = f"/timeline/?day={tomorrow_at(10).date().isoformat()}"
    employee_client.get(url)
    BookingFactory(room=room, title="After the flush", start=tomorrow_at(13))
    assert fragments.generation() is not None
    assert "After the flush" in employee_client.get(url).content.decode()


def _redis_is_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _redis_is_up(), reason="needs Redis on 127.0.0.1:6379")
def test_fragments_in_redis(settings, employee_client, employee, room):
    settings.CACHES = {
        **settings.CACHES,
        "fragments": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/15",
            "KEY_PREFIX": f"test-{secrets.token_hex(8)}",
        },
    }
    url = f"/timeline/?day={tomorrow_at(10).date().isoformat()}"
    assert _booking_queries(employee_client, url)
    assert _booking_queries(employee_client, url) == []
    start = tomorrow_at(8)
    services.book_room(room=room, user=employee, title="Redis check", start=start, end=start + timedelta(minutes=30))
    assert "Redis check" in employee_client.get(url).content.decode()
    caches["fragments"].clear()


def test_room_page_availability_looks_at_today_only(employee_client, room):
    BookingFactory(room=room, start=tomorrow_at(10))
    page = employee_client.get(room.get_absolute_url()).content.decode()
    assert "Free now" in page
    assert "until 10:00" not in page
