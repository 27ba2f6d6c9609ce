import pytest
from django.urls import reverse
from django.utils import timezone

from rooms.models import Booking, Room
from tests.factories import BookingFactory, RoomFactory, tomorrow_at

pytestmark = pytest.mark.django_db


def booking_form(room, user, start, end, title="Admin booking") -> dict:
    local_start, local_end = timezone.localtime(start), timezone.localtime(end)
    return {
        "room": room.pk,
        "user": user.pk,
        "title": title,
        "start_0": local_start.strftime("%Y-%m-%d"),
        "start_1": local_start.strftime("%H:%M:%S"),
        "end_0": local_end.strftime("%Y-%m-%d"),
        "end_1": local_end.strftime("%H:%M:%S"),
    }


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:rooms_room_changelist",
        "admin:rooms_booking_changelist",
        "admin:rooms_room_add",
        "admin:rooms_booking_add",
    ],
)
def test_admin_pages_open(admin_client_, room, url_name):
    BookingFactory(room=room)
    assert admin_client_.get(reverse(url_name)).status_code == 200


def test_booking_list_filters_and_search(admin_client_, room, employee):
    BookingFactory(room=room, user=employee, title="Findable")
    url = reverse("admin:rooms_booking_changelist")
    for params in (
        {"state": "upcoming"},
        {"state": "cancelled"},
        {"state": "past"},
        {"q": "erin"},
        {"room__id__exact": room.pk},
    ):
        response = admin_client_.get(url, params)
        assert response.status_code == 200
    assert "Findable" in admin_client_.get(url, {"q": "Findable"}).content.decode()


def test_room_page_lists_upcoming_bookings_inline(admin_client_, room):
    BookingFactory(room=room, title="Inline shown")
    BookingFactory(room=room, title="Inline hidden", cancelled_at=timezone.now())
    html = admin_client_.get(reverse("admin:rooms_room_change", args=[room.pk])).content.decode()
    assert "Inline shown" in html and "Inline hidden" not in html


def test_room_list_filters_by_equipment(admin_client_):
    RoomFactory(name="With video", equipment=["video"])
    RoomFactory(name="Without", equipment=[])
    html = admin_client_.get(reverse("admin:rooms_room_changelist"), {"equipment": "video"}).content.decode()
    assert "With video" in html and "Without" not in html


def test_admin_creates_a_room_with_equipment(admin_client_):
    response = admin_client_.post(
        reverse("admin:rooms_room_add"),
        {
            "name": "New room",
            "capacity": 5,
            "location": "Floor 9",
            "description": "",
            "equipment": ["projector", "video"],
            "is_active": "on",
            "bookings-TOTAL_FORMS": "0",
            "bookings-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Room.objects.get(name="New room").equipment == ["projector", "video"]


def test_admin_booking_obeys_the_overlap_rule(admin_client_, room, employee, other_employee):
    BookingFactory(room=room, user=other_employee, title="Existing", start=tomorrow_at(10), end=tomorrow_at(11))
    response = admin_client_.post(
        reverse("admin:rooms_booking_add"), booking_form(room, employee, tomorrow_at(10, 30), tomorrow_at(11, 30))
    )
    assert response.status_code == 200
    assert "The room is already booked" in response.content.decode()
    assert Booking.objects.count() == 1


def test_admin_booking_obeys_the_past_rule(admin_client_, room, employee):
    start = timezone.now() - timezone.timedelta(days=1)
    response = admin_client_.post(
        reverse("admin:rooms_booking_add"), booking_form(room, employee, start, start + timezone.timedelta(hours=1))
    )
    assert "A booking cannot start in the past." in response.content.decode()
    assert Booking.objects.count() == 0


def test_admin_creates_a_valid_booking(admin_client_, room, employee):
    response = admin_client_.post(
        reverse("admin:rooms_booking_add"), booking_form(room, employee, tomorrow_at(12), tomorrow_at(13))
    )
    assert response.status_code == 302
    assert Booking.objects.get().user == employee


def test_cancel_selected_action(admin_client_, room):
    first = BookingFactory(room=room)
    second = BookingFactory(room=room, start=tomorrow_at(12), end=tomorrow_at(13))
    already = BookingFactory(room=room, start=tomorrow_at(14), end=tomorrow_at(15), cancelled_at=timezone.now())
    response = admin_client_.post(
        reverse("admin:rooms_booking_changelist"),
        {"action": "cancel_selected", "_selected_action": [first.pk, second.pk, already.pk]},
        follow=True,
    )
    html = response.content.decode()
    assert "2 bookings cancelled." in html
    assert "already cancelled" in html
    assert Booking.objects.filter(cancelled_at__isnull=True).count() == 0


def test_bookings_cannot_be_deleted_only_cancelled(admin_client_, room):
    booking = BookingFactory(room=room)
    assert (
        admin_client_.post(reverse("admin:rooms_booking_delete", args=[booking.pk]), {"post": "yes"}).status_code == 403
    )
    assert Booking.objects.filter(pk=booking.pk).exists()


def test_room_with_bookings_cannot_be_deleted(admin_client_, room):
    BookingFactory(room=room)
    response = admin_client_.post(reverse("admin:rooms_room_delete", args=[room.pk]), {"post": "yes"})
    assert response.status_code == 200
    assert "Cannot delete room" in response.content.decode()
    assert Room.objects.filter(pk=room.pk).exists()


def test_deactivate_action(admin_client_, room):
    admin_client_.post(reverse("admin:rooms_room_changelist"), {"action": "deactivate", "_selected_action": [room.pk]})
    room.refresh_from_db()
    assert not room.is_active


def test_employee_cannot_reach_the_booking_admin(employee_client):
    response = employee_client.get(reverse("admin:rooms_booking_changelist"))
    assert response.status_code == 302
