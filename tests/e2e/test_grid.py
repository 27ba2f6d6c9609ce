"""The grid as the main way to book: click, drag, keyboard, a booking's details."""

import re
from datetime import datetime, timedelta
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from playwright.sync_api import expect

from rooms.models import Booking
from tests.e2e.test_booking_flow import log_in
from tests.factories import BookingFactory, RoomFactory, UserFactory, tomorrow_at

pytestmark = pytest.mark.django_db(transaction=True)


def _span_on_form(page) -> tuple[str, str, str, str]:
    return (
        page.locator("input[name=date]").input_value(),
        page.locator("input[name=start_time]").input_value(),
        page.locator("input[name=end_date]").input_value(),
        page.locator("input[name=end_time]").input_value(),
    )


def _drag(page, source, target) -> None:
    box, end = source.bounding_box(), target.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + end["height"] / 2, steps=8)
    page.mouse.up()


@pytest.mark.parametrize("view", ["day", "week"])
def test_a_click_books_that_half_hour_and_a_drag_books_the_span(live_server, new_page, shot, view):
    room = RoomFactory(name="Beta", capacity=10)
    user = UserFactory(email="grid@example.com")
    day = (timezone.localdate() + timedelta(days=1)).isoformat()
    page = new_page()
    log_in(page, live_server.url, user.email)
    grid = f"/timeline/?day={day}" if view == "day" else f"/rooms/{room.pk}/week/?day={day}"
    page.goto(f"{live_server.url}{grid}")
    page.click(f"a[data-slot='{day}T14:00']")
    expect(page.locator("h1")).to_contain_text("Book Beta")
    assert _span_on_form(page) == (day, "14:00", day, "14:30")
    page.fill("input[name=title]", "One half hour")
    page.click("#booking-form button[type=submit]")
    expect(page.locator(".alert-success")).to_contain_text("Beta is booked")

    page.goto(f"{live_server.url}{grid}")
    _drag(page, page.locator(f"a[data-slot='{day}T10:00']"), page.locator(f"a[data-slot='{day}T11:30']"))
    expect(page.locator("h1")).to_contain_text("Book Beta")
    assert _span_on_form(page) == (day, "10:00", day, "12:00")
    shot(page, f"{view}-drag-form")
    page.fill("input[name=title]", "Dragged")
    page.click("#booking-form button[type=submit]")
    expect(page.locator(".alert-success")).to_contain_text("Beta is booked")
    dragged = Booking.objects.get(title="Dragged")
    assert dragged.end - dragged.start == timedelta(hours=2)
    assert f"{timezone.localtime(dragged.start):%H:%M}" == "10:00"


def test_a_drag_stops_at_a_booking_in_the_way(live_server, new_page):
    room = RoomFactory(name="Gamma")
    BookingFactory(room=room, start=tomorrow_at(11), end=tomorrow_at(12))
    user = UserFactory(email="stop@example.com")
    day = tomorrow_at(0).date().isoformat()
    page = new_page()
    log_in(page, live_server.url, user.email)
    page.goto(f"{live_server.url}/timeline/?day={day}")
    _drag(page, page.locator(f"a[data-slot='{day}T10:00']"), page.locator(f"a[data-slot='{day}T13:00']"))
    assert _span_on_form(page) == (day, "10:00", day, "11:00")


def test_open_my_booking_from_the_grid_and_cancel_it(live_server, new_page, shot):
    room = RoomFactory(name="Delta")
    me = UserFactory(name="Mia Mine", email="mia@example.com")
    mine = BookingFactory(room=room, user=me, title="My sync", start=tomorrow_at(10), end=tomorrow_at(11))
    BookingFactory(room=room, title="Their talk", start=tomorrow_at(13), end=tomorrow_at(14))
    day = tomorrow_at(0).date().isoformat()
    page = new_page()
    log_in(page, live_server.url, me.email)
    page.goto(f"{live_server.url}/timeline/?day={day}")
    page.click(".timeline-block:has-text('Their talk')")
    dialog = page.locator("#booking-details")
    expect(dialog).to_be_visible()
    expect(dialog.locator("[data-field=title]")).to_have_text("Their talk")
    expect(dialog.locator("[data-form=cancel]")).to_be_hidden()
    dialog.locator("[data-close]").click()
    page.click(".timeline-block:has-text('My sync')")
    expect(dialog.locator("[data-field=when]")).to_have_text(
        f"{tomorrow_at(0):%a}, {date_format(tomorrow_at(0).date(), 'DATE_FORMAT')}, 10:00–11:00"
    )
    expect(dialog.locator("[data-field=holder]")).to_have_text("Mia Mine")
    shot(page, "booking-details")
    dialog.locator("[data-form=cancel] button").click()
    expect(page.locator(".alert-success")).to_contain_text("has been cancelled")
    mine.refresh_from_db()
    assert mine.cancelled_at is not None


def test_the_keyboard_moves_through_the_grid_and_books(live_server, new_page):
    RoomFactory(name="Echo")
    RoomFactory(name="Fox")
    user = UserFactory(email="keys@example.com")
    day = (timezone.localdate() + timedelta(days=1)).isoformat()
    page = new_page()
    log_in(page, live_server.url, user.email)
    page.goto(f"{live_server.url}/timeline/?day={day}")
    tab_stops = page.evaluate("document.querySelectorAll('#day-grid [tabindex=\"0\"]').length")
    assert tab_stops == 1, "the grid is one tab stop"
    page.focus("#day-grid [tabindex='0']")
    page.keyboard.press("End")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowDown")
    focused = page.evaluate("document.activeElement.dataset.slot")
    assert focused == f"{day}T19:00"
    assert page.evaluate("document.activeElement.closest('.grid-row').dataset.room") == "Fox"
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_contain_text("Book Fox")
    start = datetime.fromisoformat(f"{day}T19:00")
    assert _span_on_form(page)[1:] == (f"{start:%H:%M}", day, "19:30")


def test_a_drag_leftwards_keeps_the_half_hour_it_started_on(live_server, new_page):
    room = RoomFactory(name="Kappa")
    BookingFactory(room=room, start=tomorrow_at(10), end=tomorrow_at(10, 30))
    user = UserFactory(email="left@example.com")
    day = tomorrow_at(0).date().isoformat()
    page = new_page()
    log_in(page, live_server.url, user.email)
    page.goto(f"{live_server.url}/rooms/{room.pk}/week/?day={day}")
    _drag(page, page.locator(f"a[data-slot='{day}T11:00']"), page.locator(f"a[data-slot='{day}T09:00']"))
    expect(page.locator("h1")).to_contain_text("Book Kappa")
    assert _span_on_form(page) == (day, "10:30", day, "11:30")


def test_cancelling_from_the_grid_returns_to_the_grid(live_server, new_page):
    room = RoomFactory(name="Lambda")
    me = UserFactory(email="back@example.com")
    day = tomorrow_at(0).date().isoformat()
    page = new_page()
    log_in(page, live_server.url, me.email)
    for grid in (f"/timeline/?day={day}", f"/rooms/{room.pk}/week/?day={day}", f"/rooms/{room.pk}/?day={day}"):
        booking = BookingFactory(room=room, user=me, title="Short sync", start=tomorrow_at(10), end=tomorrow_at(11))
        page.goto(f"{live_server.url}{grid}")
        page.click(".timeline-block:has-text('Short sync')")
        page.locator("#booking-details [data-form=cancel] button").click()
        expect(page.locator(".alert-success")).to_contain_text("has been cancelled")
        assert page.url == f"{live_server.url}{grid}"
        booking.refresh_from_db()
        assert booking.cancelled_at is not None


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)", ""])
def test_cancelling_goes_only_to_a_next_on_this_site(client, target):
    me = UserFactory()
    client.force_login(me)
    booking = BookingFactory(user=me)
    url = reverse("rooms:booking_cancel", args=[booking.pk])
    page = client.get(url, {"next": target}).content.decode()
    assert '<input type="hidden" name="next"' not in page and f'href="{reverse("rooms:my_bookings")}"' in page
    response = client.post(url, {"next": target})
    assert response.status_code == 302 and response.url == reverse("rooms:my_bookings")
    booking.refresh_from_db()
    assert booking.cancelled_at is not None


def test_the_room_pages_confirm_flow_returns_to_the_room(client):
    me = UserFactory()
    client.force_login(me)
    booking = BookingFactory(user=me)
    room_page = booking.room.get_absolute_url()
    html = client.get(room_page).content.decode()
    [link] = re.findall(rf'href="({reverse("rooms:booking_cancel", args=[booking.pk])}[^"]*)"', html)
    link = unescape(link)
    assert parse_qs(urlsplit(link).query) == {"next": [room_page]}
    page = client.get(link).content.decode()
    assert f'<input type="hidden" name="next" value="{room_page}">' in page
    assert f'href="{room_page}">Keep it' in page
    response = client.post(link, {"next": room_page})
    assert response.status_code == 302 and response.url == room_page
    booking.refresh_from_db()
    assert booking.cancelled_at is not None
    response = client.post(reverse("rooms:booking_cancel", args=[BookingFactory(user=me).pk]))
    assert response.url == reverse("rooms:my_bookings"), "no next: the bookings list, as before"


@pytest.mark.parametrize("page", ["room", "week"])
def test_the_breadcrumb_is_named_in_the_persons_language(client, page):
    client.force_login(UserFactory(language="ru"))
    room = RoomFactory()
    url = room.get_absolute_url() if page == "room" else reverse("rooms:week", args=[room.pk])
    html = client.get(url).content.decode()
    assert '<nav aria-label="Навигационная цепочка">' in html
