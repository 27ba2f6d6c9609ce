"""Every kind of mail goes out in its recipient's language and zone, names the
site, and links to SITE_URL whatever address the request came in by."""

import re
from datetime import timedelta

import pytest
from django.contrib.sites.models import Site
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.services import sync_site
from events import services as event_services
from rooms import services as room_services
from tests.factories import RoomFactory, UserFactory, next_weekday_at, tomorrow_at

pytestmark = pytest.mark.django_db
BASE = "https://rooms.example.org"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = BASE
    settings.SITE_NAME = "Acme rooms"
    settings.ALLOWED_HOSTS = ["*"]
    sync_site()  # what every migrate does with the deployment's settings
    yield
    Site.objects.clear_cache()  # the row goes back with the test's transaction


def _links(message) -> list[str]:
    return re.findall(r"https?://[^\s]+", message.body)


def _check(message, *, russian: bool) -> None:
    links = _links(message)
    assert links and all(link.startswith(BASE) for link in links), links
    assert "Acme rooms" in message.body or "Acme rooms" in message.subject
    cyrillic = bool(re.search("[а-яА-Я]", message.subject + message.body))
    assert cyrillic is russian, (message.subject, message.body[:300])


@pytest.mark.parametrize("kind", ["booked", "changed", "cancelled"])
def test_booking_mails(kind, django_capture_on_commit_callbacks):
    holder = UserFactory(language="ru", timezone="Asia/Tokyo")
    with django_capture_on_commit_callbacks(execute=True):
        booking = room_services.book_room(
            room=RoomFactory(), user=holder, title="Review", start=tomorrow_at(10), end=tomorrow_at(11)
        )
        if kind == "changed":
            room_services.change_booking(booking=booking, actor=holder, title="Review 2")
        if kind == "cancelled":
            room_services.cancel_booking(booking=booking, actor=holder)
    message = mail.outbox[-1]
    _check(message, russian=True)
    tokyo = f"{booking.start.astimezone(__import__('zoneinfo').ZoneInfo('Asia/Tokyo')):%H:%M}"
    assert tokyo in message.body and "Asia/Tokyo" in message.body


def test_invitation_and_answer_each_in_their_readers_language(django_capture_on_commit_callbacks):
    organizer = UserFactory(language="en")
    invitee = UserFactory(language="ru")
    event = event_services.create_event(
        organizer=organizer, title="Planning", start=next_weekday_at(11), end=next_weekday_at(12)
    )
    with django_capture_on_commit_callbacks(execute=True):
        [invitation] = event_services.invite(event=event, invited_by=organizer, invitees=[invitee]).sent
    [to_invitee] = mail.outbox
    assert to_invitee.to == [invitee.email]
    _check(to_invitee, russian=True)
    with django_capture_on_commit_callbacks(execute=True):
        event_services.accept_invitation(invitation=invitation, actor=invitee)
    to_organizer = mail.outbox[-1]
    assert to_organizer.to == [organizer.email]
    _check(to_organizer, russian=False)


def test_password_reset_mail_in_the_owners_language_on_site_url(django_capture_on_commit_callbacks):
    owner = UserFactory(language="ru")
    with django_capture_on_commit_callbacks(execute=True):
        Client(HTTP_ACCEPT_LANGUAGE="en").post(
            reverse("account_reset_password"), {"email": owner.email}, HTTP_HOST="10.0.0.5:8101"
        )
    [message] = mail.outbox
    _check(message, russian=True)


def test_allauth_mail_names_the_default_site_in_the_readers_language(settings, django_capture_on_commit_callbacks):
    settings.SITE_NAME = "Office booking"
    owner = UserFactory(language="ru")
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(reverse("account_reset_password"), {"email": owner.email})
    [message] = mail.outbox
    assert "Бронирование офиса" in message.subject + message.body
    assert "Office booking" not in message.subject + message.body


def test_sign_up_confirmation_on_site_url_named_after_the_site(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        Client(HTTP_ACCEPT_LANGUAGE="ru").post(
            reverse("account_signup"),
            {
                "email": "new@example.com",
                "password1": "a-long-unusual-password-42",
                "password2": "a-long-unusual-password-42",
                "name": "Nova",
                "timezone": "UTC",
            },
            HTTP_HOST="127.0.0.1:8101",
        )
    [message] = mail.outbox
    _check(message, russian=True)
    assert "127.0.0.1:8101" not in message.subject + message.body


def test_an_overnight_booking_mail_names_both_days(django_capture_on_commit_callbacks):
    holder = UserFactory(language="en")
    start = tomorrow_at(22)
    with django_capture_on_commit_callbacks(execute=True):
        room_services.book_room(
            room=RoomFactory(), user=holder, title="Late", start=start, end=start + timedelta(hours=3)
        )
    body = mail.outbox[-1].body
    assert "22:00" in body and "01:00" in body and body.count(f"{(start + timedelta(hours=3)).day}") >= 1
