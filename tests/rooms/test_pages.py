"""Pages render from the data on every request: a change shows at once, and what
is one person's is shown to that person only."""

import pytest
from django.test import Client

from rooms import services
from tests.factories import BookingFactory, tomorrow_at

pytestmark = pytest.mark.django_db


def _timeline(day=None) -> str:
    return f"/timeline/?day={(day or tomorrow_at(10)).date().isoformat()}"


def test_a_new_booking_shows_at_once(employee_client, employee, room):
    assert "Quarterly review" not in employee_client.get(_timeline()).content.decode()
    services.book_room(room=room, user=employee, title="Quarterly review", start=tomorrow_at(14), end=tomorrow_at(15))
    assert "Quarterly review" in employee_client.get(_timeline()).content.decode()


def test_my_blocks_are_marked_for_me_only(employee_client, other_client, employee, room):
    BookingFactory(room=room, user=employee, start=tomorrow_at(11))
    marker = f'.timeline-block[data-owner="{employee.pk}"]'
    assert marker in employee_client.get(_timeline()).content.decode()
    page = other_client.get(_timeline()).content.decode()
    assert f'data-owner="{employee.pk}"' in page
    assert marker not in page


def test_language_and_time_zone_follow_the_person(employee_client, employee, room):
    BookingFactory(room=room, start=tomorrow_at(10))
    assert ">10:00" in employee_client.get(_timeline()).content.decode()
    employee_client.post("/i18n/setlang/", {"language": "ru", "next": "/"})
    employee.refresh_from_db()
    assert employee.language == "ru", "the switcher remembers the person's language"
    assert "Следующий день" in employee_client.get(_timeline()).content.decode()
    other_device = Client()
    other_device.force_login(employee)
    assert "Следующий день" in other_device.get(_timeline()).content.decode()
    employee.timezone = "Asia/Yekaterinburg"
    employee.save(update_fields=["timezone"])
    assert ">12:00" in employee_client.get(_timeline()).content.decode()


def test_room_page_availability_looks_at_today_only(employee_client, room):
    BookingFactory(room=room, start=tomorrow_at(10))
    page = employee_client.get(room.get_absolute_url()).content.decode()
    assert "Free now" in page
    assert "until 10:00" not in page
