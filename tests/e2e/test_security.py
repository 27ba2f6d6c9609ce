"""The Content Security Policy holds on every kind of page: nothing is blocked."""

import pytest
from playwright.sync_api import expect

from tests.e2e.test_booking_flow import log_in
from tests.factories import BookingFactory, EventFactory, RoomFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_pages_run_under_the_csp_without_violations(live_server, new_page):
    room = RoomFactory(name="Secure")
    BookingFactory(room=room)
    event = EventFactory()
    admin = UserFactory(email="csp@example.com", is_staff=True, is_superuser=True)
    page = new_page()
    violations: list[str] = []
    page.on(
        "console",
        lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None,
    )
    page.on("pageerror", lambda error: violations.append(str(error)))
    page.goto(f"{live_server.url}/accounts/login/")
    log_in(page, live_server.url, admin.email)
    for path in (
        "/",
        "/rooms/",
        f"/rooms/{room.pk}/",
        f"/rooms/{room.pk}/book/",
        "/timeline/",
        "/rooms/find/",
        "/bookings/",
        "/events/",
        f"/events/{event.pk}/",
        f"/events/{event.pk}/invite/",
        "/accounts/profile/",
        "/reports/usage/",
        "/admin/",
        "/admin/rooms/booking/add/",
    ):
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        assert "content-security-policy" in response.headers, path
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    page.goto(f"{live_server.url}/rooms/")
    page.select_option("#language-select", "ru")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    assert violations == []
