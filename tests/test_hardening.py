"""The findings of the hostile audit (issue 11), each pinned by a test that failed before its fix."""

import csv
import io
import json
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.test import APIClient

from accounts.services import issue_api_token
from events import services as event_services
from notifications.models import OutgoingMail
from rooms import reports
from rooms.models import Booking, Room
from tests.factories import RoomFactory, UserFactory, next_weekday_at, tomorrow_at

pytestmark = pytest.mark.django_db


def api_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_api_token(user=user, name='audit')[1]}")
    return client


# 3: an event's booking is moved or cancelled only with its event


def test_an_events_booking_stays_held_whatever_the_api_is_asked(employee, other_employee):
    room = RoomFactory()
    event = event_services.create_event(
        organizer=employee, title="Town hall", start=next_weekday_at(11), end=next_weekday_at(12), room=room
    )
    api = api_for(employee)
    moved = api.patch(
        f"/api/bookings/{event.booking_id}/",
        {"start": next_weekday_at(15).isoformat(), "end": next_weekday_at(16).isoformat()},
        format="json",
    )
    cancelled = api.post(f"/api/bookings/{event.booking_id}/cancel/")
    assert moved.status_code == cancelled.status_code == 400
    taken = api_for(other_employee).post(
        "/api/bookings/",
        {"room": room.pk, "title": "Mine now", "start": event.start.isoformat(), "end": event.end.isoformat()},
        format="json",
    )
    assert taken.status_code == 400 and "Town hall" in json.dumps(taken.json(), ensure_ascii=False)
    assert Booking.objects.active().filter(room=room).count() == 1


# 6, 7: a newline in a title or a name


SINGLE_LINE = "Use one line, without line breaks or control characters."


@pytest.mark.parametrize("title", ["Standup\nweekly", "Standup\rweekly", "Tab\x0bbed", "Line\u2028break"])
def test_a_title_on_two_lines_is_refused_at_every_door(employee_client, employee, admin_client_, room, title):
    api = api_for(employee)
    answer = api.post(
        "/api/bookings/",
        {"room": room.pk, "title": title, "start": tomorrow_at(10).isoformat(), "end": tomorrow_at(11).isoformat()},
        format="json",
    )
    assert answer.status_code == 400 and SINGLE_LINE in json.dumps(answer.json())
    day = tomorrow_at(10).date().isoformat()
    page = employee_client.post(
        reverse("rooms:book", args=[room.pk]), {"title": title, "date": day, "start_time": "10:00", "end_time": "11:00"}
    )
    assert page.status_code == 200 and SINGLE_LINE in page.content.decode()
    event = api.post(
        "/api/events/",
        {"title": title, "start": next_weekday_at(11).isoformat(), "end": next_weekday_at(12).isoformat()},
        format="json",
    )
    assert event.status_code == 400
    assert not Booking.objects.exists()


def test_a_name_on_two_lines_is_refused(employee_client, employee):
    response = employee_client.post(
        reverse("accounts:profile"), {"name": "Eve\nBcc: victim@example.com", "timezone": "UTC"}
    )
    assert response.status_code == 200 and SINGLE_LINE in response.content.decode()
    answer = api_for(employee).patch("/api/me/", {"name": "Eve\r\nX"}, format="json")
    assert answer.status_code == 400
    employee.refresh_from_db()
    assert "\n" not in employee.name


def test_signup_refuses_a_name_on_two_lines(client):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "new@example.com",
            "password1": "a-long-enough-password-42",
            "password2": "a-long-enough-password-42",
            "name": "New\nPerson",
            "timezone": "UTC",
        },
    )
    assert response.status_code == 200 and SINGLE_LINE in response.content.decode()


# 8: NUL bytes


@pytest.mark.parametrize(
    ("url", "who"),
    [
        ("/calendar/%00.ics", None),
        ("/calendar/%00/rooms/1.ics", None),
        ("/api/people/?search=%00", "api"),
        ("/admin/autocomplete/?app_label=rooms&model_name=booking&field_name=user&term=%00", "admin"),
        ("/rooms/?capacity=%00", "page"),
    ],
)
def test_a_nul_byte_is_a_bad_request(url, who, employee, admin_user):
    if who == "api":
        client = api_for(employee)
    else:
        client = Client()
        if who:
            client.force_login(admin_user if who == "admin" else employee)
    assert client.get(url).status_code == 400


# 9: malformed JSON


@pytest.mark.parametrize("body", ["null", "[]", '"x"', "1", "[1,2]", "[" * 100_000 + "]" * 100_000, "{"])
def test_malformed_json_is_a_bad_request(employee, body):
    event = event_services.create_event(
        organizer=employee, title="Retro", start=next_weekday_at(11), end=next_weekday_at(12)
    )
    api = api_for(employee)
    for method, url in (("patch", f"/api/events/{event.pk}/"), ("post", "/api/bookings/"), ("patch", "/api/me/")):
        response = getattr(api, method)(url, body, content_type="application/json")
        assert response.status_code == 400, (url, response.status_code)
        assert response.json()["detail"]


# 13: formulas in exports


def test_exports_never_run_a_formula(db):
    start = tomorrow_at(10)
    evil = RoomFactory(name='=HYPERLINK("http://evil.example","x")', location="+cmd|' /C calc'!A0")
    Booking.objects.create(room=evil, user=UserFactory(), title="x", start=start, end=start + timedelta(hours=1))
    report = reports.usage_report(start.date(), start.date(), [evil])
    rows = list(csv.reader(io.StringIO(reports.to_csv(report))))
    assert rows[1][0] == "'" + evil.name and rows[1][1] == "'" + evil.location
    sheet = load_workbook(io.BytesIO(reports.to_xlsx(report))).active
    assert sheet["A2"].value == evil.name and sheet["A2"].data_type == "s"
    assert sheet["B2"].data_type == "s"
    assert Room.objects.filter(pk=evil.pk).exists()


# 4, 5: login throttling that a Host header or the admin cannot get around


def _failures(client: Client, url: str, hosts: list[str], email: str) -> list[str]:
    pages = []
    for host in hosts:
        response = client.post(url, {"login": email, "password": "wrong"}, HTTP_HOST=host, follow=True)
        pages.append(response.content.decode())
    return pages


def test_login_throttling_counts_every_host_and_port_as_one_site(settings, employee, password):
    settings.ALLOWED_HOSTS = ["*"]
    client = Client()
    pages = _failures(client, reverse("account_login"), [f"127.0.0.1:{8100 + n}" for n in range(6)], employee.email)
    assert "Too many failed login attempts" not in pages[0]
    assert "Too many failed login attempts" in pages[-1]
    right = client.post(
        reverse("account_login"), {"login": employee.email, "password": password}, HTTP_HOST="127.0.0.1:9999"
    )
    assert right.status_code == 200 and "_auth_user_id" not in client.session


def test_the_admin_signs_in_behind_the_same_limits(admin_user, password):
    client = Client()
    response = client.get("/admin/login/?next=/admin/rooms/room/")
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
    assert "next=%2Fadmin%2Frooms%2Froom%2F" in response["Location"]
    for _attempt in range(8):
        client.post("/admin/login/", {"username": admin_user.email, "password": "wrong"})
    pages = _failures(client, reverse("account_login"), ["testserver"] * 6, admin_user.email)
    assert "Too many failed login attempts" in pages[-1]
    assert client.post("/admin/login/", {"username": admin_user.email, "password": password}).status_code == 302
    assert client.get("/admin/").status_code == 302  # the admin login form logs nobody in


def test_mailed_links_use_site_url_whatever_the_host_header(
    settings, mailoutbox, employee, django_capture_on_commit_callbacks
):
    settings.ALLOWED_HOSTS = ["*"]
    settings.SITE_URL = "https://booking.example.com"
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(reverse("account_reset_password"), {"email": employee.email}, HTTP_HOST="evil.example:8101")
    [mail] = mailoutbox
    assert "https://booking.example.com/accounts/password/reset/key/" in mail.body
    assert "evil.example" not in mail.body


# API rate limits


def test_the_api_limits_each_token_and_each_address(settings, employee, other_employee):
    settings.API_RATE_PER_TOKEN = "3/min"
    settings.API_RATE_PER_ADDRESS = "6/min"
    first, second = api_for(employee), api_for(other_employee)
    assert [first.get("/api/rooms/").status_code for _ in range(4)] == [200, 200, 200, 429]
    limited = first.get("/api/rooms/")
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0
    assert [second.get("/api/rooms/").status_code for _ in range(2)] == [200, 429]  # the address's sixth and seventh
    other_address = api_for(other_employee)
    assert other_address.get("/api/rooms/", REMOTE_ADDR="10.1.2.3").status_code == 200


# 14: the rest


def test_a_new_password_moves_the_feed_and_offers_to_revoke_tokens(employee_client, employee, password):
    issue_api_token(user=employee, name="laptop")
    old_feed = employee.calendar_token
    response = employee_client.post(
        reverse("account_change_password"),
        {"oldpassword": password, "password1": "another-long-password-77", "password2": "another-long-password-77"},
        follow=True,
    )
    employee.refresh_from_db()
    assert employee.calendar_token != old_feed
    assert Client().get(f"/calendar/{old_feed}.ics").status_code == 404
    page = response.content.decode()
    assert "Your calendar feed has a new address" in page and "revoke them on your profile" in page


def test_the_access_log_never_shows_a_feed_token():
    from types import SimpleNamespace

    from gunicorn.config import Config

    from booking_site.gunicorn import RedactingLogger

    logger = RedactingLogger(Config())
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/calendar/SECRETtoken123.ics",
        "PATH_INFO": "/calendar/SECRETtoken123.ics",
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "10.0.0.1",
    }
    request = SimpleNamespace(
        headers=[],
        method="GET",
        uri="/calendar/SECRETtoken123.ics",
        path="/calendar/SECRETtoken123.ics",
        query="",
        version=(1, 1),
    )
    response = SimpleNamespace(status="200 OK", sent=10, headers=[])
    atoms = logger.atoms(response, request, environ, timedelta(seconds=0.01))
    assert "SECRETtoken123" not in repr(atoms)
    assert atoms["U"] == "/calendar/….ics"


def test_seed_demo_refuses_production_settings(settings):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo")
    assert not Room.objects.exists()


def test_working_hours_times_match_their_schema(employee):
    api = api_for(employee)
    days = api.get("/api/me/working-hours/").json()["days"]
    assert days[0]["start"] == "10:00" and days[0]["break_end"] == "13:00"
    schema = api.get("/api/schema/?format=json").json()
    start = schema["components"]["schemas"]["WorkingHours"]["properties"]["start"]
    assert start.get("format") != "time" and start["pattern"]


def test_a_mail_that_cannot_be_sent_never_fails_the_request(
    employee_client, employee, other_employee, settings, django_capture_on_commit_callbacks, caplog
):
    """Whatever the mail server says, the answer was committed and the person is told so."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 1
    event = event_services.create_event(
        organizer=other_employee, title="Sync", start=next_weekday_at(11), end=next_weekday_at(12)
    )
    [invitation] = event_services.invite(event=event, invited_by=other_employee, invitees=[employee]).sent
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = employee_client.post(reverse("events:invitation_accept", args=[invitation.pk]), follow=True)
    assert callbacks, "the answer's mail was attempted"
    assert response.status_code == 200 and "You accepted" in response.content.decode()
    assert event.registrations.filter(user=employee).exists()
    owed = OutgoingMail.objects.get(kind=OutgoingMail.Kind.ANSWER, object_id=invitation.pk)
    assert (owed.status, owed.attempts, owed.next_attempt_at > timezone.now()) == ("pending", 1, True)
    assert "Connection refused" in owed.last_error and "failed (try 1)" in caplog.text
