"""The day view, the free-room finder and the usage report, as people use them."""

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import expect

from rooms.models import Booking
from tests.e2e.test_booking_flow import log_in
from tests.factories import BookingFactory, RoomFactory, UserFactory, tomorrow_at

pytestmark = pytest.mark.django_db(transaction=True)


def test_day_view_click_a_free_slot_and_book_it(live_server, new_page, shot):
    RoomFactory(name="Alpha", capacity=6)
    RoomFactory(name="Beta", capacity=10)
    user = UserFactory(name="Tina Timeline", email="tina@example.com")
    day = (timezone.localdate() + timedelta(days=1)).isoformat()
    page = new_page()
    log_in(page, live_server.url, user.email)
    page.goto(f"{live_server.url}/timeline/?day={day}")
    page.click(f".grid-row[data-room='Beta'] a[data-slot='{day}T14:00']")
    expect(page.locator("h1")).to_contain_text("Book Beta")
    expect(page.locator("input[name=start_time]")).to_have_value("14:00")
    page.fill("input[name=title]", "Grid booking")
    page.fill("input[name=end_time]", "15:00")
    page.click("#booking-form button[type=submit]")
    expect(page.locator(".alert-success")).to_contain_text("Beta is booked")
    page.goto(f"{live_server.url}/timeline/?day={day}")
    expect(page.locator(".grid-row[data-room='Beta'] .timeline-block")).to_contain_text("Grid booking")
    expect(page.locator(".grid-row[data-room='Alpha'] .timeline-block")).to_have_count(0)
    shot(page, "day-view")
    page.click("#next-day")
    expect(page.locator(".timeline-block")).to_have_count(0)
    assert Booking.objects.get(title="Grid booking").room.name == "Beta"


def test_find_a_room_for_eight(live_server, new_page, shot):
    RoomFactory(name="Phone booth", capacity=2)
    RoomFactory(name="Team room", capacity=8)
    busy = RoomFactory(name="Board room", capacity=12)
    RoomFactory(name="Hall", capacity=40)
    BookingFactory(room=busy, start=tomorrow_at(10), end=tomorrow_at(12))
    user = UserFactory(email="finn@example.com")
    page = new_page()
    log_in(page, live_server.url, user.email)
    page.click("nav >> text=Find a room")
    page.fill("input[name=date]", tomorrow_at(0).date().isoformat())
    page.fill("input[name=start_time]", "10:30")
    page.fill("input[name=end_time]", "11:30")
    page.fill("input[name=people]", "8")
    page.click("#finder-form button[type=submit]")
    results = page.locator("#finder-results .list-group-item")
    expect(results).to_have_count(2)
    expect(results.nth(0)).to_contain_text("Team room")
    expect(results.nth(1)).to_contain_text("Hall")
    shot(page, "finder")
    results.nth(0).locator("text=Book").click()
    expect(page.locator("input[name=start_time]")).to_have_value("10:30")
    expect(page.locator("input[name=end_time]")).to_have_value("11:30")


def test_admin_downloads_the_usage_report(live_server, new_page, shot):
    room = RoomFactory(name="Reported")
    start = timezone.now() - timedelta(days=2)
    BookingFactory(room=room, start=start, end=start + timedelta(hours=2))
    admin = UserFactory(email="boss@example.com", is_staff=True, is_superuser=True)
    page = new_page()
    log_in(page, live_server.url, admin.email)
    page.click("nav >> text=Reports")
    expect(page.locator("#usage-table")).to_contain_text("Reported")
    shot(page, "usage-report")
    with page.expect_download() as download_info:
        page.click("#download-xlsx")
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    with open(download.path(), "rb") as saved:
        sheet = load_workbook(io.BytesIO(saved.read())).active
    rows = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True) if row and row[0]}
    assert rows["Reported"][3] == 1 and rows["Reported"][4] == 2.0


def test_report_rooms_are_ticked_from_a_filtered_list(live_server, new_page):
    for name in ("Alder", "Birch", "Cedar hall", "Cedar nook"):
        room = RoomFactory(name=name)
        start = timezone.now() - timedelta(days=1)
        BookingFactory(room=room, start=start, end=start + timedelta(hours=1))
    admin = UserFactory(email="picker@example.com", is_staff=True, is_superuser=True)
    page = new_page()
    log_in(page, live_server.url, admin.email)
    page.click("nav >> text=Reports")
    page.fill("#report-rooms-filter", "cedar")
    expect(page.locator("#report-rooms [data-filter-item]:visible")).to_have_count(2)
    page.check("#report-rooms label:has-text('Cedar nook')")
    page.fill("#report-rooms-filter", "birch")
    page.check("#report-rooms label:has-text('Birch')")
    page.click("#report-form button[type=submit]")
    table = page.locator("#usage-table tbody")
    expect(table).to_contain_text("Cedar nook")
    expect(table).to_contain_text("Birch")
    expect(table).not_to_contain_text("Alder")
    expect(table).not_to_contain_text("Cedar hall")
