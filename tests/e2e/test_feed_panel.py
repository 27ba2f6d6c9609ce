"""The profile's calendar subscription panel in Chromium: Copy puts the https address on
the clipboard, the how-tos open from the keyboard, the reset asks first, and the panel
fits a phone in English and Russian."""

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}


def open_profile(browser, live_server, user, viewport, language="en"):
    context = browser.new_context(viewport=viewport, locale=language, timezone_id="Europe/Moscow")
    context.set_default_timeout(15000)
    client = Client()
    client.force_login(user)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            },
            {"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url},
        ]
    )
    page = context.new_page()
    page.goto(live_server.url + "/accounts/profile/")
    return context, page


def test_copy_puts_the_https_address_on_the_clipboard(browser, live_server):
    erin = UserFactory(email="erin@example.com")
    context, page = open_profile(browser, live_server, erin, DESKTOP)
    try:
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
        address = page.locator("#feed-url").input_value()
        assert address == f"{live_server.url}/calendar/{erin.calendar_token}.ics"
        copy = page.get_by_role("button", name="Copy")
        expect(copy).to_be_visible()
        copy.click()
        expect(page.locator("#feed-copy-status")).to_have_text("Copied")
        assert page.evaluate("navigator.clipboard.readText()") == address
        expect(copy).to_have_text("Copy", timeout=5000)  # and back
        expect(page.locator("#feed-subscribe")).to_have_attribute("href", "webcal" + address[address.index("://") :])
    finally:
        context.close()


def test_how_tos_open_from_the_keyboard(browser, live_server):
    context, page = open_profile(browser, live_server, UserFactory(), DESKTOP)
    try:
        google = page.locator("#howto-google")
        expect(google).not_to_have_attribute("open", "")
        expect(google.get_by_text("From URL")).to_be_hidden()
        google.locator("summary").focus()
        page.keyboard.press("Enter")
        expect(google).to_have_attribute("open", "")
        expect(google.get_by_text("From URL")).to_be_visible()
    finally:
        context.close()


def test_the_reset_asks_first_and_does_nothing_when_declined(browser, live_server):
    erin = UserFactory()
    old = erin.calendar_token
    context, page = open_profile(browser, live_server, erin, DESKTOP)
    try:
        reset = page.get_by_role("button", name="Reset the address")
        page.once("dialog", lambda dialog: dialog.dismiss())
        reset.click()
        page.wait_for_timeout(300)
        erin.refresh_from_db()
        assert erin.calendar_token == old
        page.once("dialog", lambda dialog: dialog.accept())
        with page.expect_navigation():
            reset.click()
        erin.refresh_from_db()
        assert erin.calendar_token != old
        expect(page.locator("#feed-url")).to_have_value(f"{live_server.url}/calendar/{erin.calendar_token}.ics")
    finally:
        context.close()


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_panel_fits_a_phone_with_every_how_to_open(browser, live_server, language):
    context, page = open_profile(browser, live_server, UserFactory(language=language), PHONE, language)
    try:
        page.eval_on_selector_all("#feed-howto details", "els => els.forEach(el => { el.open = true; })")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        panel = page.locator("#calendar-feed").bounding_box()
        qr = page.locator("#feed-qr svg").bounding_box()
        assert panel["x"] <= qr["x"] and qr["x"] + qr["width"] <= panel["x"] + panel["width"]
        copy = page.locator("#feed-copy").bounding_box()
        assert copy["x"] + copy["width"] <= panel["x"] + panel["width"]
        assert page.locator("#feed-url").bounding_box()["width"] >= 120, "room to see the address"
    finally:
        context.close()
