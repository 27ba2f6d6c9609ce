import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.factories import BookingFactory, UserFactory, tomorrow_at

pytestmark = pytest.mark.django_db


def test_create_user_by_email():
    user = User.objects.create_user(email="New.Person@Example.COM", password="s3cret-pass-123")
    assert user.email == "New.Person@example.com"
    assert user.check_password("s3cret-pass-123")
    assert not user.is_staff
    assert user.timezone == "Europe/Moscow"
    assert str(user) == user.email


def test_create_superuser_is_staff():
    admin = User.objects.create_superuser(email="boss@example.com", password="x-very-secret-1")
    assert admin.is_staff and admin.is_superuser


def test_email_is_unique_regardless_of_case():
    UserFactory(email="same@example.com")
    with pytest.raises(ValidationError):
        User(email="SAME@example.com", name="Twin").full_clean(exclude=["password"])


def test_unknown_time_zone_is_refused():
    user = UserFactory.build(timezone="Mars/Olympus_Mons")
    with pytest.raises(ValidationError) as caught:
        user.full_clean(exclude=["password"])
    assert "timezone" in caught.value.message_dict


def test_signup_with_name_and_time_zone_then_login(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("account_signup"),
            {
                "email": "newbie@example.com",
                "password1": "a-long-unusual-password-42",
                "password2": "a-long-unusual-password-42",
                "name": "Nina Newbie",
                "timezone": "Asia/Novosibirsk",
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == reverse("account_email_verification_sent")
    user = User.objects.get(email="newbie@example.com")
    assert (user.name, user.timezone) == ("Nina Newbie", "Asia/Novosibirsk")
    [confirmation] = mail.outbox
    assert client.get(reverse("home")).status_code == 302  # not in before the address is confirmed
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", confirmation.body).group(0)
    client.post(urlsplit(link).path)
    response = client.post(
        reverse("account_login"), {"login": "NEWBIE@example.com", "password": "a-long-unusual-password-42"}
    )
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200


def test_signup_answers_the_same_for_a_taken_address(client, employee, django_capture_on_commit_callbacks):
    """No one learns from the sign-up page who has an account: the owner gets a mail instead."""
    fields = {"password1": "a-long-unusual-password-42", "password2": "a-long-unusual-password-42", "name": "X"}
    with django_capture_on_commit_callbacks(execute=True):
        taken = client.post(reverse("account_signup"), {**fields, "email": employee.email, "timezone": "UTC"})
        fresh = Client().post(reverse("account_signup"), {**fields, "email": "fresh@example.com", "timezone": "UTC"})
    assert taken.status_code == fresh.status_code == 302
    assert taken["Location"] == fresh["Location"]
    assert User.objects.filter(email__iexact=employee.email).count() == 1
    to_owner = [message for message in mail.outbox if message.to == [employee.email]]
    assert len(to_owner) == 1 and "already" in to_owner[0].body.lower()


def test_signup_with_bad_input_says_why(client):
    response = client.post(
        reverse("account_signup"),
        {"email": "not-an-email", "password1": "short", "password2": "other", "name": "", "timezone": "Nowhere"},
    )
    assert response.status_code == 200
    assert User.objects.count() == 0
    form = response.context_data["form"]
    assert {"email", "name", "timezone"} <= set(form.errors)


def test_wrong_password_is_refused(client, employee):
    response = client.post(reverse("account_login"), {"login": employee.email, "password": "wrong"})
    assert response.status_code == 200
    assert "not correct" in response.content.decode()


def test_password_reset_sends_mail(client, employee, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_reset_password"), {"email": employee.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert employee.email in mail.outbox[0].to


def test_password_change(employee_client, employee, password):
    response = employee_client.post(
        reverse("account_change_password"),
        {"oldpassword": password, "password1": "brand-new-password-77", "password2": "brand-new-password-77"},
    )
    assert response.status_code == 302
    employee.refresh_from_db()
    assert employee.check_password("brand-new-password-77")


def test_profile_changes_name_and_time_zone(employee_client, employee):
    url = reverse("accounts:profile")
    assert employee_client.get(url).status_code == 200
    response = employee_client.post(
        url, {"name": "Erin E.", "timezone": "America/New_York", "language": "ru"}, follow=True
    )
    assert "Профиль сохранён." in response.content.decode(), "the page answers in the language just chosen"
    employee.refresh_from_db()
    assert (employee.name, employee.timezone, employee.language) == ("Erin E.", "America/New_York", "ru")


def test_profile_refuses_an_unknown_time_zone(employee_client, employee):
    response = employee_client.post(reverse("accounts:profile"), {"name": "x", "timezone": "Nowhere/Land"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    employee.refresh_from_db()
    assert employee.timezone == "Europe/Moscow"


def test_pages_show_times_in_the_users_time_zone(client, room):
    booking = BookingFactory(room=room, start=tomorrow_at(10), end=tomorrow_at(11))  # Moscow wall time
    viewer = UserFactory(timezone="Europe/London")
    client.force_login(viewer)
    html = client.get(reverse("rooms:detail", args=[room.pk]), {"day": booking.start.date()}).content.decode()
    assert "07:00–08:00" in html
    assert "Europe/London" in html


def test_language_switch_to_russian(employee_client):
    response = employee_client.post(reverse("set_language"), {"language": "ru", "next": "/rooms/"}, follow=True)
    assert response.status_code == 200
    assert "Переговорные" in response.content.decode()


def test_admin_manages_users(admin_client_, employee):
    assert admin_client_.get(reverse("admin:accounts_user_changelist"), {"q": "erin"}).status_code == 200
    assert admin_client_.get(reverse("admin:accounts_user_change", args=[employee.pk])).status_code == 200
    response = admin_client_.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "added@example.com",
            "name": "Added",
            "usable_password": "true",
            "password1": "a-long-unusual-password-42",
            "password2": "a-long-unusual-password-42",
        },
    )
    assert response.status_code == 302
    assert User.objects.filter(email="added@example.com").exists()


def test_employee_cannot_open_the_admin(employee_client):
    response = employee_client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_deleting_a_user_with_bookings_is_prevented(admin_client_, employee):
    BookingFactory(user=employee)
    response = admin_client_.post(reverse("admin:accounts_user_delete", args=[employee.pk]), {"post": "yes"})
    assert response.status_code == 200
    assert "Cannot delete user" in response.content.decode()
    assert User.objects.filter(pk=employee.pk).exists()


def test_get_on_post_only_urls_changes_nothing(employee_client):
    response = employee_client.get(reverse("set_language"), {"language": "ru", "next": "/rooms/"})
    assert response.status_code in (200, 204, 302)
    assert "django_language" not in response.cookies
    response = employee_client.get(reverse("account_logout"))
    assert response.status_code == 200
    assert employee_client.get(reverse("home")).status_code == 200


def test_logout_by_post(employee_client):
    assert employee_client.post(reverse("account_logout")).status_code == 302
    assert employee_client.get(reverse("home")).status_code == 302


def test_repeated_failed_logins_are_throttled(client, employee, password):
    from django.core.cache import cache

    cache.clear()
    pages = [
        client.post(reverse("account_login"), {"login": employee.email, "password": "wrong"}).content.decode()
        for _ in range(6)
    ]
    right = client.post(reverse("account_login"), {"login": employee.email, "password": password})
    cache.clear()
    assert "Too many failed login attempts" not in pages[0]
    assert "Too many failed login attempts" in pages[-1]
    assert right.status_code == 200
    assert "Too many failed login attempts" in right.content.decode()
