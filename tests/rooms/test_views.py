from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from rooms.models import Booking
from tests.factories import BookingFactory, RoomFactory, UserFactory, tomorrow_at

pytestmark = pytest.mark.django_db


def book_data(day_offset: int = 1, start: str = "10:00", end: str = "11:00", title: str = "Planning") -> dict:
    day = timezone.localdate() + timedelta(days=day_offset)
    return {"title": title, "date": day.isoformat(), "start_time": start, "end_time": end}


class TestAnonymous:
    @pytest.mark.parametrize(
        "url",
        [
            "/",
            "/rooms/",
            "/rooms/1/",
            "/rooms/1/book/",
            "/bookings/",
            "/bookings/1/edit/",
            "/bookings/1/cancel/",
            "/accounts/profile/",
        ],
    )
    def test_is_sent_to_login(self, client, url):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))

    def test_cannot_book_by_post(self, client, room):
        response = client.post(reverse("rooms:book", args=[room.pk]), book_data())
        assert response.status_code == 302
        assert Booking.objects.count() == 0

    def test_health_needs_no_login(self, client):
        response = client.get("/healthz")
        assert response.status_code == 200
        assert response.content == b"ok\n"


class TestRoomPages:
    def test_room_list_shows_capacity_equipment_and_state(self, employee_client, room):
        busy = RoomFactory(name="Busy room")
        now = timezone.now()
        BookingFactory(room=busy, start=now - timedelta(minutes=5), end=now + timedelta(minutes=25))
        RoomFactory(name="Hidden", is_active=False)
        response = employee_client.get(reverse("rooms:list"))
        assert response.status_code == 200
        html = response.content.decode()
        assert "Cedar" in html and "Busy room" in html and "Hidden" not in html
        assert "Projector" in html
        assert "Free now" in html
        busy_until = timezone.localtime(now + timedelta(minutes=25)).strftime("%H:%M")
        assert f"Busy until {busy_until}" in html

    def test_room_list_filters_by_capacity_and_equipment(self, employee_client):
        RoomFactory(name="Small", capacity=4, equipment=["video"])
        RoomFactory(name="Large", capacity=20, equipment=["video", "projector"])
        RoomFactory(name="Large plain", capacity=30, equipment=[])
        response = employee_client.get(reverse("rooms:list"), {"capacity": 10, "equipment": ["video"]})
        names = [room.name for room in response.context_data["rooms"]]
        assert names == ["Large"]

    def test_room_list_ignores_garbage_filters(self, employee_client, room):
        response = employee_client.get(reverse("rooms:list"), {"capacity": "lots", "equipment": ["teleporter"]})
        assert response.status_code == 200
        assert [r.name for r in response.context_data["rooms"]] == ["Cedar"]

    def test_room_page_shows_upcoming_bookings_and_timeline(self, employee_client, room, other_employee):
        BookingFactory(room=room, user=other_employee, title="Quarterly review")
        BookingFactory(room=room, title="Gone", cancelled_at=timezone.now())
        response = employee_client.get(reverse("rooms:detail", args=[room.pk]), {"day": tomorrow_at(10).date()})
        html = response.content.decode()
        assert response.status_code == 200
        assert "Quarterly review" in html and "Oscar Other" in html
        assert "Gone" not in html
        assert len(response.context_data["timeline"].blocks) == 1

    def test_room_page_with_a_garbage_day_falls_back_to_today(self, employee_client, room):
        response = employee_client.get(reverse("rooms:detail", args=[room.pk]), {"day": "31-31-2020"})
        assert response.status_code == 200
        assert response.context_data["day"] == timezone.localdate()

    def test_missing_room_is_404(self, employee_client):
        assert employee_client.get(reverse("rooms:detail", args=[999])).status_code == 404
        assert employee_client.get(reverse("rooms:book", args=[999])).status_code == 404
        assert employee_client.post(reverse("rooms:book", args=[999]), book_data()).status_code == 404


class TestBookingForm:
    def test_prefills_the_next_free_half_hour(self, employee_client, room):
        response = employee_client.get(reverse("rooms:book", args=[room.pk]))
        initial = response.context_data["form"].initial
        start = timezone.make_aware(timezone.datetime.combine(initial["date"], initial["start_time"]))
        assert start >= timezone.now()
        assert start - timezone.now() <= timedelta(minutes=30)
        assert start.minute in (0, 30)

    def test_prefill_skips_a_booking_in_the_way(self, employee_client, room):
        from rooms.forms import ceil_half_hour

        slot = ceil_half_hour(timezone.localtime())
        BookingFactory(room=room, start=slot, end=slot + timedelta(minutes=45))
        response = employee_client.get(reverse("rooms:book", args=[room.pk]))
        initial = response.context_data["form"].initial
        assert initial["start_time"] == timezone.localtime(slot + timedelta(minutes=60)).time()

    def test_books_in_the_users_time_zone(self, client, room):
        user = UserFactory(timezone="Asia/Tokyo")
        client.force_login(user)
        day = timezone.localdate() + timedelta(days=2)
        response = client.post(
            reverse("rooms:book", args=[room.pk]),
            {"title": "Tokyo sync", "date": day.isoformat(), "start_time": "09:00", "end_time": "10:00"},
        )
        assert response.status_code == 302
        booking = Booking.objects.get()
        import zoneinfo

        local = booking.start.astimezone(zoneinfo.ZoneInfo("Asia/Tokyo"))
        assert (local.date(), local.hour, local.minute) == (day, 9, 0)
        assert booking.end - booking.start == timedelta(hours=1)
        page = client.get(reverse("rooms:my_bookings")).content.decode()
        assert "09:00–10:00" in page

    def test_success_message_and_redirect(self, employee_client, room):
        response = employee_client.post(reverse("rooms:book", args=[room.pk]), book_data(), follow=True)
        assert response.redirect_chain[-1][0] == reverse("rooms:my_bookings")
        assert "Cedar is booked" in response.content.decode()

    def test_conflict_is_shown_and_nothing_saved(self, employee_client, room, other_employee):
        BookingFactory(room=room, user=other_employee, title="Board meeting")
        response = employee_client.post(reverse("rooms:book", args=[room.pk]), book_data(start="10:30", end="11:30"))
        assert response.status_code == 200
        html = response.content.decode()
        assert "The room is already booked" in html and "Board meeting" in html and "Oscar Other" in html
        assert Booking.objects.count() == 1

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"date": "not-a-date"}, "Enter a valid date."),
            ({"date": "2026-02-31"}, "Enter a valid date."),
            ({"start_time": "25:99"}, "Enter a valid time."),
            ({"end_time": ""}, "This field is required."),
            ({"title": ""}, "This field is required."),
            ({"start_time": "11:00", "end_time": "10:00"}, "The end must be after the start."),
            ({"start_time": "10:00", "end_time": "10:05"}, "at least 15 minutes"),
        ],
    )
    def test_bad_input_gets_a_message_and_saves_nothing(self, employee_client, room, data, message):
        response = employee_client.post(reverse("rooms:book", args=[room.pk]), {**book_data(), **data})
        assert response.status_code == 200
        assert message in response.content.decode()
        assert Booking.objects.count() == 0

    def test_past_date_is_refused(self, employee_client, room):
        response = employee_client.post(reverse("rooms:book", args=[room.pk]), book_data(day_offset=-1))
        assert "A booking cannot start in the past." in response.content.decode()
        assert Booking.objects.count() == 0

    def test_time_skipped_by_a_clock_change_is_refused(self, client, room, settings):
        settings.BOOKING_HORIZON_DAYS = 3650
        user = UserFactory(timezone="Europe/Berlin")
        client.force_login(user)
        year = timezone.localdate().year + 1
        response = client.post(
            reverse("rooms:book", args=[room.pk]),
            {
                "title": "x",
                "date": f"{year}-03-{_last_sunday(year, 3):02d}",
                "start_time": "02:30",
                "end_time": "04:00",
            },
        )
        assert "does not exist on that day" in response.content.decode()
        assert Booking.objects.count() == 0

    def test_inactive_room_form_refuses(self, employee_client):
        room = RoomFactory(is_active=False)
        response = employee_client.post(reverse("rooms:book", args=[room.pk]), book_data())
        assert "This room is not available for booking." in response.content.decode()


def _last_sunday(year: int, month: int) -> int:
    import calendar

    last = calendar.monthrange(year, month)[1]
    return max(day for day in range(last - 6, last + 1) if calendar.weekday(year, month, day) == 6)


class TestMyBookings:
    def test_upcoming_first_then_past_and_cancelled(self, employee_client, employee, room):
        later = BookingFactory(user=employee, room=room, title="Later", start=tomorrow_at(15), end=tomorrow_at(16))
        sooner = BookingFactory(user=employee, room=room, title="Sooner", start=tomorrow_at(9), end=tomorrow_at(10))
        start = timezone.now() - timedelta(days=2)
        past = BookingFactory(user=employee, room=room, title="Yesterday", start=start, end=start + timedelta(hours=1))
        cancelled = BookingFactory(user=employee, title="Called off", cancelled_at=timezone.now())
        BookingFactory(title="Not mine")
        response = employee_client.get(reverse("rooms:my_bookings"))
        assert list(response.context_data["upcoming"]) == [sooner, later]
        assert set(response.context_data["page_obj"].object_list) == {past, cancelled}
        html = response.content.decode()
        assert "Not mine" not in html
        assert html.index("Sooner") < html.index("Later") < html.index("Yesterday")


class TestEditAndCancel:
    def test_owner_edits(self, employee_client, employee, room):
        booking = BookingFactory(user=employee, room=room)
        url = reverse("rooms:booking_edit", args=[booking.pk])
        assert employee_client.get(url).status_code == 200
        data = {**book_data(start="13:00", end="14:30", title="Moved"), "room": room.pk}
        response = employee_client.post(url, data)
        assert response.status_code == 302
        booking.refresh_from_db()
        assert booking.title == "Moved"
        assert booking.end - booking.start == timedelta(hours=1, minutes=30)

    def test_edit_conflict_is_shown(self, employee_client, employee, room):
        BookingFactory(room=room, title="Blocker", start=tomorrow_at(13), end=tomorrow_at(14))
        booking = BookingFactory(user=employee, room=room)
        data = {**book_data(start="13:30", end="14:30"), "room": room.pk}
        response = employee_client.post(reverse("rooms:booking_edit", args=[booking.pk]), data)
        assert response.status_code == 200
        assert "Blocker" in response.content.decode()

    def test_edit_with_a_missing_room_is_a_form_error(self, employee_client, employee):
        booking = BookingFactory(user=employee)
        data = {**book_data(), "room": 99999}
        response = employee_client.post(reverse("rooms:booking_edit", args=[booking.pk]), data)
        assert response.status_code == 200
        assert "Select a valid choice" in response.content.decode()

    @pytest.mark.parametrize("name", ["rooms:booking_edit", "rooms:booking_cancel"])
    def test_someone_elses_booking_is_404(self, other_client, employee, name):
        booking = BookingFactory(user=employee)
        assert other_client.get(reverse(name, args=[booking.pk])).status_code == 404
        assert other_client.post(reverse(name, args=[booking.pk]), book_data()).status_code == 404
        booking.refresh_from_db()
        assert booking.cancelled_at is None

    @pytest.mark.parametrize("name", ["rooms:booking_edit", "rooms:booking_cancel"])
    def test_unknown_booking_is_404(self, employee_client, name):
        assert employee_client.get(reverse(name, args=[424242])).status_code == 404

    def test_get_on_cancel_only_asks(self, employee_client, employee):
        booking = BookingFactory(user=employee)
        response = employee_client.get(reverse("rooms:booking_cancel", args=[booking.pk]))
        assert response.status_code == 200
        assert "Cancel this booking?" in response.content.decode()
        booking.refresh_from_db()
        assert booking.cancelled_at is None

    def test_post_cancels(self, employee_client, employee):
        booking = BookingFactory(user=employee)
        response = employee_client.post(reverse("rooms:booking_cancel", args=[booking.pk]), follow=True)
        assert "has been cancelled" in response.content.decode()
        booking.refresh_from_db()
        assert booking.cancelled_at is not None

    def test_cancel_twice_gets_a_message_not_an_error(self, employee_client, employee):
        booking = BookingFactory(user=employee, cancelled_at=timezone.now())
        response = employee_client.post(reverse("rooms:booking_cancel", args=[booking.pk]), follow=True)
        assert response.status_code == 200
        assert "already cancelled" in response.content.decode()

    def test_cancel_needs_csrf(self, employee):
        from django.test import Client

        client = Client(enforce_csrf_checks=True)
        client.force_login(employee)
        booking = BookingFactory(user=employee)
        assert client.post(reverse("rooms:booking_cancel", args=[booking.pk])).status_code == 403
        booking.refresh_from_db()
        assert booking.cancelled_at is None

    def test_admin_edits_and_cancels_anyones(self, admin_client_, employee, room):
        booking = BookingFactory(user=employee, room=room)
        data = {**book_data(title="Admin fix"), "room": room.pk}
        assert admin_client_.post(reverse("rooms:booking_edit", args=[booking.pk]), data).status_code == 302
        assert admin_client_.post(reverse("rooms:booking_cancel", args=[booking.pk])).status_code == 302
        booking.refresh_from_db()
        assert booking.title == "Admin fix" and booking.cancelled_at is not None

    def test_ended_booking_cannot_be_edited(self, employee_client, employee):
        start = timezone.now() - timedelta(days=1)
        booking = BookingFactory(user=employee, start=start, end=start + timedelta(hours=1))
        response = employee_client.get(reverse("rooms:booking_edit", args=[booking.pk]), follow=True)
        assert "A booking that has ended cannot be changed." in response.content.decode()


class TestQueryCounts:
    def _count(self, client, url) -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        return len(queries)

    def test_room_list_is_constant(self, employee_client):
        room = RoomFactory()
        BookingFactory(room=room, start=timezone.now() + timedelta(minutes=1), end=timezone.now() + timedelta(hours=1))
        one = self._count(employee_client, reverse("rooms:list"))
        for _ in range(49):
            other = RoomFactory()
            BookingFactory(
                room=other, start=timezone.now() + timedelta(minutes=1), end=timezone.now() + timedelta(hours=1)
            )
        assert self._count(employee_client, reverse("rooms:list")) == one

    def test_my_bookings_is_constant(self, employee_client, employee):
        BookingFactory(user=employee)
        start = timezone.now() - timedelta(days=3)
        BookingFactory(user=employee, start=start, end=start + timedelta(hours=1))
        one = self._count(employee_client, reverse("rooms:my_bookings"))
        for day in range(2, 27):
            BookingFactory(
                user=employee, room=RoomFactory(), start=tomorrow_at(10, days=day), end=tomorrow_at(11, days=day)
            )
            past = timezone.now() - timedelta(days=day + 3)
            BookingFactory(user=employee, room=RoomFactory(), start=past, end=past + timedelta(hours=1))
        assert self._count(employee_client, reverse("rooms:my_bookings")) == one

    def test_room_page_is_constant(self, employee_client, room):
        BookingFactory(room=room)
        one = self._count(employee_client, reverse("rooms:detail", args=[room.pk]))
        for hour in range(8, 20):
            BookingFactory(
                room=room, user=UserFactory(), start=tomorrow_at(hour, days=3), end=tomorrow_at(hour, 30, days=3)
            )
        assert self._count(employee_client, reverse("rooms:detail", args=[room.pk])) == one


class TestHealth:
    @pytest.mark.django_db(transaction=True)
    def test_503_when_the_database_does_not_answer(self, client):
        settings_dict = connection.settings_dict
        saved = {key: settings_dict.get(key) for key in ("NAME", "PORT", "HOST")}
        connection.close()
        if connection.vendor == "sqlite":
            settings_dict["NAME"] = "/nonexistent-dir/db.sqlite3"
        else:
            settings_dict["HOST"], settings_dict["PORT"] = "127.0.0.1", "1"
        try:
            response = client.get("/healthz")
        finally:
            connection.close()
            settings_dict.update(saved)
        assert response.status_code == 503
        assert client.get("/healthz").status_code == 200
