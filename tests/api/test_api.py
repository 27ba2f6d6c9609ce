import json
import threading
import urllib.error
import urllib.request
from datetime import time, timedelta

import pytest
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.services import issue_api_token
from events import services as event_services
from events.models import Event, Invitation, Registration
from rooms.models import Booking, Room
from tests.factories import BookingFactory, EventFactory, RoomFactory, UserFactory, next_weekday_at, tomorrow_at

pytestmark = pytest.mark.django_db


def api_for(user) -> APIClient:
    client = APIClient()
    _token, raw = issue_api_token(user=user, name="tests")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.fixture
def api(employee) -> APIClient:
    return api_for(employee)


@pytest.fixture
def other_api(other_employee) -> APIClient:
    return api_for(other_employee)


@pytest.fixture
def admin_api(admin_user) -> APIClient:
    return api_for(admin_user)


def iso(moment) -> str:
    return moment.isoformat()


class TestAuthentication:
    def test_anonymous_gets_401(self, client):
        for url in ("/api/rooms/", "/api/bookings/", "/api/events/", "/api/invitations/", "/api/me/"):
            response = client.get(url)
            assert response.status_code == 401, url
            assert response.json() == {"detail": "Authentication credentials were not provided."}
            assert response["WWW-Authenticate"].startswith("Bearer")

    def test_bad_and_revoked_tokens(self, employee):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION="Bearer nope")
        assert client.get("/api/me/").status_code == 401
        token, raw = issue_api_token(user=employee, name="old")
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        assert client.get("/api/me/").json()["email"] == employee.email
        token.revoked_at = timezone.now()
        token.save()
        assert client.get("/api/me/").status_code == 401

    def test_only_the_hash_is_stored(self, employee):
        token, raw = issue_api_token(user=employee, name="x")
        assert raw not in (token.key_hash, token.hint) and len(token.key_hash) == 64
        assert ApiToken.objects.filter(key_hash=ApiToken.hash(raw)).exists()
        token.refresh_from_db()
        assert token.last_used_at is None
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        client.get("/api/me/")
        token.refresh_from_db()
        assert token.last_used_at is not None

    def test_session_reads_and_writes_need_csrf(self, employee, room):
        client = Client(enforce_csrf_checks=True)
        client.force_login(employee)
        assert client.get("/api/me/").status_code == 200
        body = {"room": room.pk, "title": "x", "start": iso(tomorrow_at(10)), "end": iso(tomorrow_at(11))}
        response = client.post("/api/bookings/", body, content_type="application/json")
        assert response.status_code == 403 and "CSRF" in response.json()["detail"]
        assert Booking.objects.count() == 0
        client.get("/accounts/profile/")
        csrf = client.cookies["csrftoken"].value
        response = client.post("/api/bookings/", body, content_type="application/json", HTTP_X_CSRFTOKEN=csrf)
        assert response.status_code == 201

    def test_profile_page_creates_shows_once_and_revokes_tokens(self, employee_client, employee):
        employee_client.post("/accounts/tokens/", {"name": "door panel"})
        page = employee_client.get("/accounts/profile/").content.decode()
        token = ApiToken.objects.get(user=employee)
        assert "bk_" in page and token.hint in page
        again = employee_client.get("/accounts/profile/").content.decode()
        assert 'id="new-token"' not in again
        employee_client.post(f"/accounts/tokens/{token.pk}/revoke/")
        token.refresh_from_db()
        assert token.revoked_at is not None

    def test_someone_elses_token_cannot_be_revoked(self, other_client, employee):
        token, _raw = issue_api_token(user=employee, name="mine")
        assert other_client.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 404
        assert other_client.get(f"/accounts/tokens/{token.pk}/revoke/").status_code == 405


class TestRooms:
    def test_list_filters(self, api):
        RoomFactory(name="Small", capacity=4, equipment=["video"])
        big = RoomFactory(name="Big", capacity=20, equipment=["video", "projector"])
        busy = RoomFactory(name="Busy", capacity=30, equipment=["video"])
        RoomFactory(name="Off", capacity=30, equipment=["video"], is_active=False)
        BookingFactory(room=busy, start=tomorrow_at(10), end=tomorrow_at(11))
        response = api.get(
            "/api/rooms/",
            {
                "min_capacity": 10,
                "equipment": "video",
                "free_start": iso(tomorrow_at(10, 30)),
                "free_end": iso(tomorrow_at(12)),
            },
        )
        assert [room["name"] for room in response.json()["results"]] == ["Big"]
        assert response.json()["results"][0]["id"] == big.pk

    @pytest.mark.parametrize(
        "params",
        [
            {"min_capacity": "lots"},
            {"equipment": "teleporter"},
            {"free_start": "yesterday", "free_end": "x"},
            {"free_start": "2027-01-01T10:00"},
        ],
    )
    def test_bad_filters_are_400(self, api, params):
        response = api.get("/api/rooms/", params)
        assert response.status_code == 400
        assert response.json()["detail"] == "Invalid input." and response.json()["errors"]

    def test_employees_read_admins_write(self, api, admin_api, room):
        assert api.get(f"/api/rooms/{room.pk}/").json()["name"] == "Cedar"
        assert api.post("/api/rooms/", {"name": "New", "capacity": 3}, format="json").status_code == 403
        assert api.patch(f"/api/rooms/{room.pk}/", {"capacity": 3}, format="json").status_code == 403
        assert api.delete(f"/api/rooms/{room.pk}/").status_code == 403
        created = admin_api.post("/api/rooms/", {"name": "New", "capacity": 3, "equipment": ["video"]}, format="json")
        assert created.status_code == 201 and created.json()["equipment"] == ["video"]
        duplicate = admin_api.post("/api/rooms/", {"name": "NEW", "capacity": 3}, format="json")
        assert duplicate.status_code == 400
        assert "A room with this name already exists." in json.dumps(duplicate.json(), ensure_ascii=False)
        assert admin_api.patch(f"/api/rooms/{room.pk}/", {"capacity": 12}, format="json").json()["capacity"] == 12
        assert admin_api.delete(f"/api/rooms/{room.pk}/").status_code == 204
        room.refresh_from_db()
        assert room.is_active is False

    def test_room_bookings_between_two_times(self, api, room):
        inside = BookingFactory(room=room, start=tomorrow_at(10), end=tomorrow_at(11))
        BookingFactory(room=room, start=tomorrow_at(15), end=tomorrow_at(16))
        BookingFactory(room=room, start=tomorrow_at(12), end=tomorrow_at(13), cancelled_at=timezone.now())
        response = api.get(
            f"/api/rooms/{room.pk}/bookings/", {"start": iso(tomorrow_at(9)), "end": iso(tomorrow_at(14))}
        )
        assert [b["id"] for b in response.json()["results"]] == [inside.pk]
        assert len(api.get(f"/api/rooms/{room.pk}/bookings/").json()["results"]) == 2
        assert api.get("/api/rooms/999/bookings/").status_code == 404

    def test_missing_room_is_404(self, api):
        assert api.get("/api/rooms/999/").status_code == 404
        assert api.get("/api/rooms/abc/").status_code == 404


class TestBookings:
    def test_book_with_naive_and_aware_times(self, api, room, employee):
        naive = api.post(
            "/api/bookings/",
            {"room": room.pk, "title": "Naive", "start": "2030-01-01T10:00", "end": "2030-01-01T11:00"},
            format="json",
        )
        assert naive.status_code == 400  # beyond the horizon
        day = (timezone.localdate() + timedelta(days=3)).isoformat()
        naive = api.post(
            "/api/bookings/",
            {"room": room.pk, "title": "Naive", "start": f"{day}T10:00", "end": f"{day}T11:00"},
            format="json",
        )
        assert naive.status_code == 201
        assert naive.json()["start"] == f"{day}T10:00:00+03:00"
        aware = api.post(
            "/api/bookings/",
            {"room": room.pk, "title": "Aware", "start": f"{day}T08:00:00Z", "end": f"{day}T09:00:00Z"},
            format="json",
        )
        assert aware.status_code == 201 and aware.json()["start"] == f"{day}T11:00:00+03:00"

    def test_overlap_gets_the_same_message_as_the_pages(self, api, room, other_employee):
        BookingFactory(room=room, user=other_employee, title="Board", start=tomorrow_at(10), end=tomorrow_at(11))
        response = api.post(
            "/api/bookings/",
            {"room": room.pk, "title": "x", "start": iso(tomorrow_at(10, 30)), "end": iso(tomorrow_at(12))},
            format="json",
        )
        assert response.status_code == 400
        [message] = response.json()["errors"]["non_field_errors"]
        assert message.startswith("The room is already booked") and "“Board” by Oscar Other" in message

    @pytest.mark.parametrize(
        "body",
        [
            {},
            {"room": 999, "title": "x", "start": "2030-01-01T10:00", "end": "2030-01-01T11:00"},
            {"room": "abc", "title": "x", "start": "garbage", "end": None},
            {"room": 1, "title": "", "start": "2030-13-45T99:00", "end": "2030-01-01T11:00"},
        ],
    )
    def test_garbage_is_400(self, api, body):
        response = api.post("/api/bookings/", body, format="json")
        assert response.status_code == 400 and "errors" in response.json()
        assert Booking.objects.count() == 0

    def test_non_json_is_415_or_400(self, api):
        response = api.post("/api/bookings/", "not json", content_type="application/json")
        assert response.status_code == 400
        response = api.post("/api/bookings/", "a=b", content_type="application/x-www-form-urlencoded")
        assert response.status_code == 415

    def test_mine_all_and_detail_permissions(self, api, other_api, admin_api, employee, other_employee):
        mine = BookingFactory(user=employee)
        theirs = BookingFactory(user=other_employee, start=tomorrow_at(13), end=tomorrow_at(14))
        assert [b["id"] for b in api.get("/api/bookings/").json()["results"]] == [mine.pk]
        assert [b["id"] for b in api.get("/api/bookings/", {"scope": "all"}).json()["results"]] == [mine.pk]
        assert {b["id"] for b in admin_api.get("/api/bookings/", {"scope": "all"}).json()["results"]} == {
            mine.pk,
            theirs.pk,
        }
        assert api.get(f"/api/bookings/{theirs.pk}/").status_code == 404
        assert api.patch(f"/api/bookings/{theirs.pk}/", {"title": "x"}, format="json").status_code == 404
        assert api.post(f"/api/bookings/{theirs.pk}/cancel/").status_code == 404
        assert admin_api.get(f"/api/bookings/{theirs.pk}/").status_code == 200
        assert api.get("/api/bookings/", {"when": "sometime"}).status_code == 400

    def test_change_and_cancel(self, api, admin_api, employee, room):
        booking = BookingFactory(user=employee, room=room)
        response = api.patch(
            f"/api/bookings/{booking.pk}/",
            {"title": "Moved", "start": iso(tomorrow_at(14)), "end": iso(tomorrow_at(15))},
            format="json",
        )
        assert response.status_code == 200 and response.json()["title"] == "Moved"
        assert (
            api.patch(f"/api/bookings/{booking.pk}/", {"end": iso(tomorrow_at(13))}, format="json").status_code == 400
        )
        assert api.post(f"/api/bookings/{booking.pk}/cancel/").json()["cancelled_at"] is not None
        again = api.post(f"/api/bookings/{booking.pk}/cancel/")
        assert again.status_code == 400 and again.json()["errors"]["non_field_errors"] == [
            "This booking is already cancelled."
        ]
        other = BookingFactory(user=employee, start=tomorrow_at(16), end=tomorrow_at(17))
        assert admin_api.post(f"/api/bookings/{other.pk}/cancel/").status_code == 200

    def test_delete_and_put_are_not_allowed(self, api, employee):
        booking = BookingFactory(user=employee)
        assert api.delete(f"/api/bookings/{booking.pk}/").status_code == 405
        assert api.put(f"/api/bookings/{booking.pk}/", {}, format="json").status_code == 405


class TestEvents:
    def test_create_in_a_room_and_detail(self, api, other_api, room, other_employee):
        start = next_weekday_at(11)
        response = api.post(
            "/api/events/",
            {
                "title": "Demo",
                "start": iso(start),
                "end": iso(start + timedelta(hours=1)),
                "room": room.pk,
                "capacity": 5,
            },
            format="json",
        )
        assert response.status_code == 201, response.json()
        event = Event.objects.get()
        assert event.booking.room == room and response.json()["room"] == room.pk
        assert other_api.post(f"/api/events/{event.pk}/register/").status_code == 201
        detail = api.get(f"/api/events/{event.pk}/").json()
        assert detail["registration_count"] == 1 and detail["has_registrations"] is True
        assert detail["registrations"][0]["user"]["email"] == other_employee.email
        listed = api.get("/api/events/").json()["results"][0]
        assert listed["registration_count"] == 1 and listed["has_registrations"] is True

    def test_taken_room_is_400_and_nothing_is_created(self, api, room, other_employee):
        start = next_weekday_at(11)
        BookingFactory(room=room, user=other_employee, title="Held", start=start, end=start + timedelta(hours=1))
        response = api.post(
            "/api/events/",
            {"title": "x", "start": iso(start), "end": iso(start + timedelta(hours=1)), "room": room.pk},
            format="json",
        )
        assert response.status_code == 400 and "“Held” by Oscar Other" in json.dumps(
            response.json(), ensure_ascii=False
        )
        assert Event.objects.count() == 0

    def test_outside_own_hours_warns(self, api):
        start = next_weekday_at(19)
        response = api.post(
            "/api/events/",
            {"title": "Late", "start": iso(start), "end": iso(start + timedelta(hours=1))},
            format="json",
        )
        assert response.status_code == 201 and response.json()["warning"].startswith("Saved, but note:")

    def test_change_and_cancel_by_organizer_only(self, api, other_api, admin_api, employee):
        event = EventFactory(organizer=employee)
        assert other_api.patch(f"/api/events/{event.pk}/", {"title": "Mine"}, format="json").status_code == 403
        assert other_api.post(f"/api/events/{event.pk}/cancel/").status_code == 403
        assert api.patch(f"/api/events/{event.pk}/", {"title": "Renamed"}, format="json").json()["title"] == "Renamed"
        assert admin_api.post(f"/api/events/{event.pk}/cancel/").json()["cancelled_at"] is not None

    def test_register_full_and_unregister(self, api, other_api, employee):
        event = EventFactory(capacity=1)
        assert api.post(f"/api/events/{event.pk}/register/").status_code == 201
        assert api.post(f"/api/events/{event.pk}/register/").status_code == 400
        full = other_api.post(f"/api/events/{event.pk}/register/")
        assert full.status_code == 400 and full.json()["errors"]["non_field_errors"] == ["Sorry, this event is full."]
        assert api.post(f"/api/events/{event.pk}/unregister/").status_code == 200
        assert api.post(f"/api/events/{event.pk}/unregister/").status_code == 400
        assert api.get("/api/events/999/").status_code == 404


class TestInvitations:
    def test_send_several_report_refusals_and_answer(self, api, other_api, employee, other_employee):
        from accounts.services import set_working_hours

        event = EventFactory(organizer=employee, start=next_weekday_at(11), end=next_weekday_at(12))
        late = UserFactory(name="Late Lena")
        set_working_hours(user=late, week={d: (time(14), time(22), None, None) for d in range(7)})
        response = api.post(
            "/api/invitations/", {"event": event.pk, "invitees": [other_employee.pk, late.pk]}, format="json"
        )
        assert response.status_code == 201
        body = response.json()
        assert [i["invitee"]["id"] for i in body["sent"]] == [other_employee.pk]
        assert body["refused"][0]["invitee"]["name"] == "Late Lena"
        assert body["refused"][0]["messages"][0].startswith("Late Lena works 14:00–22:00")
        only_refused = api.post("/api/invitations/", {"event": event.pk, "invitees": [late.pk]}, format="json")
        assert only_refused.status_code == 400
        incoming = other_api.get("/api/invitations/", {"direction": "incoming"}).json()["results"]
        [invitation] = incoming
        assert api.post(f"/api/invitations/{invitation['id']}/accept/").status_code == 404
        accepted = other_api.post(f"/api/invitations/{invitation['id']}/accept/")
        assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
        assert Registration.objects.filter(event=event, user=other_employee).exists()
        outgoing = api.get("/api/invitations/", {"direction": "outgoing"}).json()["results"]
        assert outgoing[0]["status"] == "accepted"

    def test_strangers_cannot_invite_and_bad_input(self, other_api, employee):
        event = EventFactory(organizer=employee)
        assert (
            other_api.post(
                "/api/invitations/", {"event": event.pk, "invitees": [employee.pk]}, format="json"
            ).status_code
            == 403
        )
        assert (
            other_api.post("/api/invitations/", {"event": event.pk, "invitees": []}, format="json").status_code == 400
        )
        assert other_api.post("/api/invitations/", {"event": 999, "invitees": [1]}, format="json").status_code == 400
        assert other_api.get("/api/invitations/", {"direction": "sideways"}).status_code == 400

    def test_decline(self, api, other_api, employee, other_employee):
        event = EventFactory(organizer=employee)
        [invitation] = event_services.invite(event=event, invited_by=employee, invitees=[other_employee]).sent
        assert other_api.post(f"/api/invitations/{invitation.pk}/decline/").json()["status"] == "declined"
        assert Invitation.objects.get().status == "declined"


def test_people_search(api, other_employee):
    UserFactory(name="Hidden", is_active=False)
    names = [p["name"] for p in api.get("/api/people/", {"search": "oscar"}).json()["results"]]
    assert names == ["Oscar Other"]
    assert "Hidden" not in json.dumps(api.get("/api/people/").json())
    assert api.get(f"/api/people/{other_employee.pk}/").json()["email"] == other_employee.email


class TestMe:
    def test_profile_and_time_zone(self, api, employee):
        assert api.get("/api/me/").json() == {
            "id": employee.pk,
            "email": employee.email,
            "name": employee.name,
            "timezone": "Europe/Moscow",
            "language": "",
            "is_staff": False,
        }
        assert api.patch("/api/me/", {"language": "ru"}, format="json").json()["language"] == "ru"
        assert api.patch("/api/me/", {"language": "xx"}, format="json").status_code == 400
        assert api.patch("/api/me/", {"timezone": "Asia/Tokyo"}, format="json").json()["timezone"] == "Asia/Tokyo"
        assert api.patch("/api/me/", {"timezone": "Mars/Base"}, format="json").status_code == 400
        assert api.patch("/api/me/", {"is_staff": True}, format="json").json()["is_staff"] is False

    def test_working_hours(self, api, employee):
        assert len(api.get("/api/me/working-hours/").json()["days"]) == 5
        body = {
            "days": [
                {"weekday": 0, "start": "09:00", "end": "17:00"},
                {"weekday": 2, "start": "08:00", "end": "12:00", "break_start": "10:00", "break_end": "10:15"},
            ]
        }
        response = api.put("/api/me/working-hours/", body, format="json")
        assert response.status_code == 200 and [d["weekday"] for d in response.json()["days"]] == [0, 2]
        bad = {"days": [{"weekday": 1, "start": "09:00", "end": "17:00", "break_start": "18:00", "break_end": "19:00"}]}
        response = api.put("/api/me/working-hours/", bad, format="json")
        assert response.status_code == 400 and "The break must lie inside the working day." in json.dumps(
            response.json()
        )
        assert employee.working_hours.count() == 2


class TestQueryCounts:
    def _count(self, client, url) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    def test_lists_are_constant(self, api, employee):
        def grow(n: int) -> None:
            for i in range(n):
                room = RoomFactory()
                BookingFactory(
                    user=employee, room=room, start=tomorrow_at(8, days=1 + i), end=tomorrow_at(9, days=1 + i)
                )
                event = EventFactory(
                    organizer=UserFactory(),
                    booking=BookingFactory(
                        room=room, start=tomorrow_at(12, days=1 + i), end=tomorrow_at(13, days=1 + i)
                    ),
                )
                Registration.objects.create(event=event, user=UserFactory())
                Invitation.objects.create(event=event, invited_by=event.organizer, invitee=employee)

        api.get("/api/me/")  # the token's first use records last_used_at
        grow(1)
        urls = ["/api/rooms/", "/api/bookings/", "/api/events/", "/api/invitations/", "/api/people/"]
        before = {url: self._count(api, url) for url in urls}
        grow(15)
        assert {url: self._count(api, url) for url in urls} == before


@pytest.mark.django_db(transaction=True)
def test_many_concurrent_api_posts_for_one_slot_give_exactly_one_201(live_server):
    room = RoomFactory(name="Contested")
    tokens = [issue_api_token(user=UserFactory(), name="race")[1] for _ in range(20)]
    body = json.dumps(
        {"room": room.pk, "title": "Race", "start": iso(tomorrow_at(10)), "end": iso(tomorrow_at(11))}
    ).encode()
    barrier = threading.Barrier(len(tokens))
    codes: list = [None] * len(tokens)

    def post(index: int) -> None:
        request = urllib.request.Request(
            f"{live_server.url}/api/bookings/",
            data=body,
            headers={"Authorization": f"Bearer {tokens[index]}", "Content-Type": "application/json"},
            method="POST",
        )
        barrier.wait(timeout=30)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                codes[index] = (response.status, json.load(response))
        except urllib.error.HTTPError as error:
            codes[index] = (error.code, json.load(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(tokens))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    statuses = sorted(code for code, _body in codes)
    assert statuses == [201] + [400] * 19, codes
    for code, payload in codes:
        if code == 400:
            assert payload["errors"]["non_field_errors"][0].startswith("The room is already booked")
    assert Booking.objects.active().filter(room=room).count() == 1
    assert Room.objects.count() == 1


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("0001-01-01T00:00", "0001-01-01T01:00"),
        ("0001-01-01T00:00+14:00", "0001-01-01T01:00+14:00"),
        ("9999-12-31T22:00", "9999-12-31T23:59"),
    ],
)
def test_times_at_the_edge_of_the_calendar_are_400(api, room, start, end):
    for response in (
        api.post("/api/bookings/", {"room": room.pk, "title": "x", "start": start, "end": end}, format="json"),
        api.post("/api/events/", {"title": "x", "start": start, "end": end}, format="json"),
        api.get("/api/rooms/", {"free_start": start, "free_end": end}),
        api.get(f"/api/rooms/{room.pk}/bookings/", {"start": start, "end": end}),
    ):
        assert response.status_code == 400
        assert "between the years 2000 and 2999" in json.dumps(response.json())
    assert Booking.objects.count() == 0 and Event.objects.count() == 0


def test_events_have_a_horizon(api, settings):
    settings.EVENT_HORIZON_DAYS = 30
    start = timezone.now() + timedelta(days=40)
    response = api.post(
        "/api/events/", {"title": "x", "start": iso(start), "end": iso(start + timedelta(hours=1))}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"]["start"] == ["Events can be planned at most 30 days ahead."]


def test_admin_refuses_times_at_the_edge_of_the_calendar(admin_client_, room, employee):
    response = admin_client_.post(
        "/admin/rooms/booking/add/",
        {
            "room": room.pk,
            "user": employee.pk,
            "title": "x",
            "start_0": "0001-01-01",
            "start_1": "00:00:00",
            "end_0": "0001-01-01",
            "end_1": "01:00:00",
        },
    )
    assert response.status_code == 200
    assert Booking.objects.count() == 0


def test_room_fast_representation_matches_the_declared_fields(db):
    from rest_framework import serializers as drf

    from api.serializers import RoomSerializer

    room = RoomFactory(description="By the window", equipment=["projector", "video"])
    serializer = RoomSerializer()
    assert serializer.to_representation(room) == drf.ModelSerializer.to_representation(serializer, room)


def test_fast_representations_match_the_declared_fields(db, settings):
    """Each hand-written ``to_representation`` says what DRF's generic one would, in another zone too."""
    from rest_framework import serializers as drf

    from api import serializers as ours

    organizer = UserFactory(name="Olga")
    event = event_services.create_event(
        organizer=organizer,
        title="Review",
        description="All hands",
        start=next_weekday_at(11),
        end=next_weekday_at(12),
        capacity=3,
        room=RoomFactory(),
    )
    event_services.register(event=event, user=UserFactory())
    [invitation] = event_services.invite(event=event, invited_by=organizer, invitees=[UserFactory()]).sent
    cancelled = BookingFactory(cancelled_at=timezone.now())
    for zone in ("Europe/Moscow", "UTC", "America/Los_Angeles"):
        with timezone.override(zone):
            detail = Event.objects.with_registration_counts().select_related("organizer", "booking").get(pk=event.pk)
            for serializer, instance in (
                (ours.PersonSerializer(), organizer),
                (ours.BookingSerializer(), event.booking),
                (ours.BookingSerializer(), Booking.objects.select_related("event").get(pk=cancelled.pk)),
                (ours.EventSerializer(), detail),
                (ours.EventDetailSerializer(), detail),
                (ours.InvitationSerializer(), invitation),
            ):
                generic = drf.ModelSerializer.to_representation(serializer, instance)
                assert serializer.to_representation(instance) == generic, type(serializer).__name__
