"""A newcomer signs up and books; a colleague clicking the same slot sees why not."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from rooms.models import Booking
from tests.factories import PASSWORD, RoomFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def log_in(page, base: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.click("form button[type=submit]")
    expect(page.locator("#user-menu")).to_be_visible()


def fill_booking(page, title: str, day: str, start: str, end: str) -> None:
    page.fill("input[name=title]", title)
    page.fill("input[name=date]", day)
    page.fill("input[name=end_date]", day)
    page.fill("input[name=start_time]", start)
    page.fill("input[name=end_time]", end)
    page.click("#booking-form button[type=submit]")


def test_sign_up_book_conflict_and_cancel(live_server, new_page, shot):
    RoomFactory(name="Cedar", capacity=8)
    colleague = UserFactory(name="Carl Colleague", email="carl@example.com")
    day = (timezone.localdate() + timedelta(days=1)).isoformat()

    page = new_page()
    page.goto(f"{live_server.url}/accounts/signup/")
    shot(page, "signup")
    page.fill("input[name=email]", "newbie@example.com")
    page.fill("input[name=name]", "Nina Newbie")
    page.fill("input[name=password1]", "a-long-unusual-password-42")
    page.fill("input[name=password2]", "a-long-unusual-password-42")
    page.select_option("select[name=timezone]", "Europe/Moscow")
    page.click("form button[type=submit]")
    expect(page.locator("main")).to_contain_text("Verify Your Email Address")
    shot(page, "verify-email")
    [confirmation] = mail.outbox
    link = re.search(r"https?://\S+(/accounts/confirm-email/\S+/)", confirmation.body).group(1)
    page.goto(f"{live_server.url}{link}")
    page.click("main form button[type=submit]")
    log_in(page, live_server.url, "newbie@example.com", "a-long-unusual-password-42")
    expect(page.locator("#user-menu")).to_have_text("Nina Newbie")

    page.click("nav >> text=Rooms")
    expect(page.locator("#room-table")).to_contain_text("Cedar")
    shot(page, "rooms")
    page.click("#room-table >> text=Book")
    fill_booking(page, "Kick-off", day, "10:00", "11:00")
    expect(page.locator(".alert-success")).to_contain_text("Cedar is booked")
    expect(page.locator("#upcoming-bookings")).to_contain_text("Kick-off")
    shot(page, "my-bookings")

    other = new_page()
    log_in(other, live_server.url, colleague.email)
    other.goto(f"{live_server.url}/rooms/")
    other.click("#room-table >> text=Book")
    fill_booking(other, "Clash", day, "10:30", "11:30")
    error = other.locator("#booking-form .alert-danger")
    expect(error).to_contain_text("The room is already booked")
    expect(error).to_contain_text("Kick-off")
    expect(error).to_contain_text("Nina Newbie")
    shot(other, "conflict")
    assert Booking.objects.filter(title="Clash").count() == 0

    page.click("#upcoming-bookings >> text=Cancel")
    expect(page.locator("h1")).to_have_text("Cancel this booking?")
    page.click("text=Yes, cancel it")
    expect(page.locator(".alert-success")).to_contain_text("has been cancelled")
    assert Booking.objects.get(title="Kick-off").cancelled_at is not None

    fill_day = other.locator("input[name=date]").input_value()
    assert fill_day == day
    other.click("#booking-form button[type=submit]")
    expect(other.locator(".alert-success")).to_contain_text("Cedar is booked")


def test_timeline_click_prefills_and_russian_pages(live_server, new_page, shot):
    room = RoomFactory(name="Birch", capacity=6)
    user = UserFactory(name="Rita", email="rita@example.com")
    tomorrow = timezone.localdate() + timedelta(days=1)
    page = new_page(locale="ru-RU")
    log_in(page, live_server.url, user.email)
    page.select_option("#language-select", "ru")
    expect(page.locator("nav")).to_contain_text("Переговорные")
    page.goto(f"{live_server.url}/rooms/{room.pk}/?day={tomorrow.isoformat()}")
    expect(page.locator("h2").first).to_contain_text(re.compile(r"\d{4}"))
    page.click(".timeline-slot.free a >> nth=4")
    expect(page.locator("input[name=date]")).to_have_value(tomorrow.isoformat())
    expect(page.locator("input[name=start_time]")).to_have_value("10:00")
    page.fill("input[name=title]", "Планёрка")
    page.fill("input[name=end_time]", "10:45")
    page.click("#booking-form button[type=submit]")
    expect(page.locator(".alert-success")).to_contain_text("забронирована")
    shot(page, "ru-my-bookings")
    page.goto(f"{live_server.url}/rooms/{room.pk}/?day={tomorrow.isoformat()}")
    expect(page.locator(".timeline-block")).to_contain_text("Планёрка")
    shot(page, "ru-room")
