"""Every page of ours, in English and Russian: axe-core finds no violation, and at
phone width (360 px) no page is wider than the screen (the grid scrolls inside
its own .timeline-scroll). Plus the skip link, focus, and what an invitation
offers for a full or cancelled event.

axe-core comes bundled in axe-playwright-python (PyPI), so nothing is fetched
at run time; AXE_CORE_JS=/path/to/axe.min.js (say, from npm's axe-core) runs
another build instead."""

import os
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.db import OperationalError
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from accounts.services import issue_api_token
from booking_site import views as site_views
from events.models import Invitation, Registration
from tests.factories import BookingFactory, EventFactory, RoomFactory, UserFactory, next_weekday_at, tomorrow_at

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

AXE = Axe.from_file(os.environ["AXE_CORE_JS"]) if os.environ.get("AXE_CORE_JS") else Axe()
LANGUAGES = ["en", "ru"]
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}

# /api/docs/ is Swagger UI: its markup is built in the browser by the
# swagger-ui bundle that drf-spectacular-sidecar ships, which no template of
# ours renders. Only these rules are off there, each for Swagger's own markup:
DOCS_RULES_OFF = {
    # Each operation's summary is a <button> holding the path's <a> and the lock <button>.
    "nested-interactive": "Swagger nests the path link and the lock button inside the summary button",
    # The API title is an <h1> and each tag an <h3>, with no <h2> between.
    "heading-order": "Swagger puts the API title in <h1> and every tag in <h3>",
    # Swagger renders its own <main id="operations"> and leaves the title block
    # outside it; wrapping that block in a landmark would nest <main> in it.
    "region": "Swagger renders its own <main> and leaves the title block outside every landmark",
}


@dataclass(frozen=True)
class Visit:
    name: str
    who: str  # "erin", "ada" (admin) or "" (signed out)
    path: str
    submit: str = ""  # a form to submit (after filling ``fill``), to see its errors
    fill: tuple[tuple[str, str], ...] = ()
    ready: str = ""  # a selector to wait for before checking
    expand: str = ""  # <details> to open before checking (a selector)


def build_world() -> dict[str, Any]:
    """People, rooms, bookings, events and invitations so that every page shows
    its tables, badges and buttons: full, cancelled and open events, an answered
    and a sent invitation, a cancelled and an overnight booking, an API token."""
    erin = UserFactory(name="Erin Employee", email="erin@example.com")
    oscar = UserFactory(name="Oscar Other", email="oscar@example.com")
    ada = UserFactory(name="Ada Admin", email="ada@example.com", is_staff=True, is_superuser=True)
    cedar = RoomFactory(name="Cedar", capacity=8)
    birch = RoomFactory(name="Birch", capacity=4, equipment=["video"])
    hall = RoomFactory(name="Hall", capacity=40, location="Ground floor")

    mine = BookingFactory(room=cedar, user=erin, title="Planning", start=tomorrow_at(10), end=tomorrow_at(11))
    BookingFactory(room=cedar, user=oscar, title="Interview", start=tomorrow_at(12), end=tomorrow_at(13))
    BookingFactory(room=birch, user=oscar, title="Late deploy", start=tomorrow_at(23), end=tomorrow_at(1, days=2))
    BookingFactory(
        room=cedar,
        user=erin,
        title="Old sync",
        start=tomorrow_at(14),
        end=tomorrow_at(15),
        cancelled_at=timezone.now(),
    )
    BookingFactory(room=birch, user=erin, title="Retro", start=tomorrow_at(10, days=-1), end=tomorrow_at(11, days=-1))

    start = next_weekday_at(11)
    hall_booking = BookingFactory(room=hall, user=erin, title="Town hall", start=start, end=start + timedelta(hours=1))
    town_hall = EventFactory(
        title="Town hall",
        organizer=erin,
        capacity=50,
        booking=hall_booking,
        start=start,
        end=start + timedelta(hours=1),
        description="Quarterly news.\nQuestions welcome.",
    )
    Registration.objects.create(event=town_hall, user=oscar)
    Invitation.objects.create(event=town_hall, invited_by=erin, invitee=ada)

    later = next_weekday_at(15)
    hour = timedelta(hours=1)
    full = EventFactory(title="Small workshop", organizer=oscar, capacity=1, start=later, end=later + hour)
    Registration.objects.create(event=full, user=oscar)
    Invitation.objects.create(event=full, invited_by=oscar, invitee=erin)
    cancelled = EventFactory(
        title="Called off", organizer=oscar, start=later, end=later + timedelta(hours=1), cancelled_at=timezone.now()
    )
    Invitation.objects.create(event=cancelled, invited_by=oscar, invitee=erin)
    open_event = EventFactory(title="Book club", organizer=oscar, start=later, end=later + timedelta(hours=1))
    Invitation.objects.create(event=open_event, invited_by=oscar, invitee=erin)
    answered = EventFactory(title="Lunch talk", organizer=oscar, start=start, end=start + timedelta(hours=1))
    Registration.objects.create(event=answered, user=erin)
    Invitation.objects.create(
        event=answered,
        invited_by=oscar,
        invitee=erin,
        status=Invitation.Status.ACCEPTED,
        responded_at=timezone.now(),
    )
    past = timezone.now() - timedelta(days=3)
    EventFactory(title="Kick-off", organizer=oscar, start=past, end=past + timedelta(hours=1))
    issue_api_token(user=erin, name="Reporting script")

    day = tomorrow_at(0).date().isoformat()
    finder = f"/rooms/find/?date={day}&start_time=10:00&end_time=11:00"
    # The Town hall holds the Hall, the only room for 30.
    crowded = f"/rooms/find/?date={start.date().isoformat()}&start_time=11:00&end_time=12:00&people=30"
    return {
        "users": {"erin": erin, "oscar": oscar, "ada": ada},
        "rooms": {"cedar": cedar, "birch": birch, "hall": hall},
        "events": {"full": full, "cancelled": cancelled, "open": open_event, "town_hall": town_hall},
        "visits": [
            Visit("home", "erin", "/"),
            Visit("rooms list", "erin", "/rooms/"),
            Visit("room page", "erin", f"/rooms/{cedar.pk}/"),
            Visit("room page, another day", "erin", f"/rooms/{cedar.pk}/?day={day}"),
            Visit("room week", "erin", f"/rooms/{cedar.pk}/week/"),
            Visit("day timeline", "erin", "/timeline/"),
            Visit("day timeline, tomorrow", "erin", f"/timeline/?day={day}"),
            Visit("finder", "erin", "/rooms/find/"),
            Visit("finder with results", "erin", f"{finder}&people=2"),
            Visit("finder, nothing fits", "erin", crowded),
            Visit("finder, nothing big enough", "erin", f"{finder}&people=500"),
            Visit("my bookings", "erin", "/bookings/"),
            Visit("booking form", "erin", f"/rooms/{cedar.pk}/book/"),
            Visit("booking form with errors", "erin", f"/rooms/{cedar.pk}/book/", submit="#booking-form"),
            Visit("booking edit", "erin", f"/bookings/{mine.pk}/edit/"),
            Visit("booking cancel", "erin", f"/bookings/{mine.pk}/cancel/"),
            Visit("events list", "erin", "/events/"),
            Visit("past events", "erin", "/events/?when=past"),
            Visit("event page (organizer)", "erin", town_hall.get_absolute_url()),
            Visit("event page (full, invited)", "erin", full.get_absolute_url()),
            Visit("event page (cancelled)", "erin", cancelled.get_absolute_url()),
            Visit("event form", "erin", "/events/new/"),
            Visit("event form with errors", "erin", "/events/new/", submit="#event-form"),
            Visit("event edit", "erin", f"/events/{town_hall.pk}/edit/"),
            Visit("event cancel", "erin", f"/events/{town_hall.pk}/cancel/"),
            Visit("invite page", "erin", f"/events/{town_hall.pk}/invite/"),
            Visit("invitations", "erin", "/invitations/"),
            Visit("profile", "erin", "/accounts/profile/"),
            Visit("profile, calendar how-tos open", "erin", "/accounts/profile/", expand="#feed-howto details"),
            Visit("password change", "erin", "/accounts/password/change/"),
            Visit("e-mail addresses", "erin", "/accounts/email/"),
            Visit("logout confirm", "erin", "/accounts/logout/"),
            Visit("API docs", "erin", "/api/docs/", ready=".opblock-summary"),
            Visit("not found", "erin", "/no-such-page/"),
            Visit("usage report", "ada", "/reports/usage/"),
            Visit("usage report with rows", "ada", f"/reports/usage/?start={day}&end={day}"),
            Visit("login", "", "/accounts/login/"),
            Visit(
                "login with errors",
                "",
                "/accounts/login/",
                submit="main form",
                fill=(("input[name=login]", erin.email), ("input[name=password]", "not-the-password")),
            ),
            Visit("sign-up", "", "/accounts/signup/"),
            Visit("password reset", "", "/accounts/password/reset/"),
        ],
    }


class Browsing:
    """One browser context per person and language, signed in through a session
    cookie (no login form, so no login throttling)."""

    def __init__(self, browser, live_server, world: dict[str, Any], language: str, viewport: dict) -> None:
        self.browser, self.base, self.language, self.viewport = browser, live_server.url, language, viewport
        self.world = world
        self.pages: dict[str, Any] = {}
        self.contexts: list[Any] = []
        self.response: Any = None
        for user in world["users"].values():
            user.language = language
            user.save(update_fields=["language"])

    def page_for(self, who: str):
        if who not in self.pages:
            context = self.browser.new_context(
                viewport=self.viewport, locale=self.language, timezone_id="Europe/Moscow"
            )
            context.set_default_timeout(15000)
            cookies = [{"name": settings.LANGUAGE_COOKIE_NAME, "value": self.language, "url": self.base}]
            if who:
                client = Client()
                client.force_login(self.world["users"][who])
                session = client.cookies[settings.SESSION_COOKIE_NAME].value
                cookies.append({"name": settings.SESSION_COOKIE_NAME, "value": session, "url": self.base})
            context.add_cookies(cookies)
            self.contexts.append(context)
            self.pages[who] = context.new_page()
        return self.pages[who]

    def open(self, visit: Visit):
        page = self.page_for(visit.who)
        self.response = page.goto(self.base + visit.path)
        for selector, value in visit.fill:
            page.fill(selector, value)
        if visit.submit:
            with page.expect_navigation():
                page.locator(f"{visit.submit} [type=submit]").first.click()
        if visit.ready:
            page.wait_for_selector(visit.ready)
        if visit.expand:
            opened = page.eval_on_selector_all(
                visit.expand, "els => els.map(el => { el.open = true; return el.open; })"
            )
            assert opened and all(opened), f"{visit.name}: nothing to open at {visit.expand}"
        page.wait_for_load_state("load")
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()


def violations(page, visit: Visit) -> list[str]:
    options: dict[str, Any] = {"resultTypes": ["violations"]}
    if visit.path.startswith("/api/docs/"):
        options["rules"] = {rule: {"enabled": False} for rule in DOCS_RULES_OFF}
    found = AXE.run(page, options=options).response["violations"]
    return [
        f"{visit.name} ({visit.path}): {violation['id']} [{violation['impact']}], {len(violation['nodes'])} at: "
        + "; ".join(f"{node['target']} {node['html'][:100]!r}" for node in violation["nodes"])
        for violation in found
    ]


@pytest.fixture
def world(db) -> dict[str, Any]:
    return build_world()


@pytest.mark.parametrize("language", LANGUAGES)
def test_axe_finds_no_violation_on_any_page(browser, live_server, world, language):
    browsing = Browsing(browser, live_server, world, language, DESKTOP)
    problems: list[str] = []
    try:
        for visit in world["visits"]:
            page = browsing.open(visit)
            problems += violations(page, visit)
            if not visit.path.startswith("/api/docs/"):
                lang = page.evaluate("document.documentElement.lang")
                if lang != language:
                    problems.append(f"{visit.name} ({visit.path}): <html lang={lang!r}>, expected {language!r}")
    finally:
        browsing.close()
    assert not problems, f"{len(problems)} accessibility problems in {language}:\n" + "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_error_pages_have_no_violations(browser, live_server, world, language, monkeypatch):
    """The 500 and 503 pages as the site's own handler serves them."""
    browsing = Browsing(browser, live_server, world, language, DESKTOP)
    problems: list[str] = []
    failures = {
        "server error": (RuntimeError("boom"), 500),
        "database unavailable": (OperationalError("no database"), 503),
    }
    try:
        for name, (error, status) in failures.items():

            def fail(self, error=error, **kwargs):
                raise error

            monkeypatch.setattr(site_views.HomeView, "get_context_data", fail)
            visit = Visit(name, "erin", "/")
            page = browsing.open(visit)
            assert browsing.response.status == status
            expect(page.locator("h1")).to_be_visible()
            problems += violations(page, visit)
            lang = page.evaluate("document.documentElement.lang")
            if lang != language:
                problems.append(f"{name}: <html lang={lang!r}>, expected {language!r}")
            page.set_viewport_size(PHONE)
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > PHONE["width"]:
                problems.append(f"{name}: {width} px wide at {PHONE['width']} px")
            page.set_viewport_size(DESKTOP)
    finally:
        browsing.close()
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_page_is_wider_than_a_phone(browser, live_server, world, language):
    """The page itself never scrolls sideways at 360 px; the grid's own
    .timeline-scroll and .table-responsive scroll inside it."""
    browsing = Browsing(browser, live_server, world, language, PHONE)
    problems: list[str] = []
    try:
        for visit in world["visits"]:
            page = browsing.open(visit)
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > PHONE["width"]:
                culprits = page.evaluate(
                    """(limit) => [...document.querySelectorAll('body *')]
                        .filter(el => !el.closest('.timeline-scroll, .table-responsive'))
                        .filter(el => el.getBoundingClientRect().right > limit + 0.5)
                        .filter(el => ![...el.children].some(c => c.getBoundingClientRect().right > limit + 0.5))
                        .slice(0, 5)
                        .map(el => el.outerHTML.slice(0, 120))""",
                    PHONE["width"],
                )
                problems.append(f"{visit.name} ({visit.path}): {width} px wide; sticking out: {culprits}")
    finally:
        browsing.close()
    assert not problems, f"{len(problems)} pages wider than {PHONE['width']} px in {language}:\n" + "\n".join(problems)


@pytest.mark.parametrize("layout", ["jinja2", "django"])
def test_skip_link_appears_on_focus_and_leads_to_main(browser, live_server, world, layout, shot):
    browsing = Browsing(browser, live_server, world, "en", DESKTOP)
    path = "/" if layout == "jinja2" else f"/rooms/{world['rooms']['cedar'].pk}/book/"
    try:
        page = browsing.open(Visit("skip link", "erin", path))
        skip = page.locator("a.skip-link")
        assert skip.bounding_box()["width"] <= 1  # hidden until focused
        page.keyboard.press("Tab")
        expect(skip).to_be_focused()
        expect(skip).to_have_text("Skip to main content")
        box = skip.bounding_box()
        assert box["width"] > 50 and box["height"] > 20 and box["y"] >= 0
        shot(page, f"skip-link-{layout}")
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main"
        # The next Tab goes on from the content, past the navigation bar.
        page.keyboard.press("Tab")
        assert page.evaluate("!!document.activeElement.closest('main')")

        page.focus(".navbar-brand")
        page.keyboard.press("Tab")  # into the bar, by keyboard, so :focus-visible applies
        style = page.evaluate(
            "(() => { const s = getComputedStyle(document.activeElement); return [s.outlineStyle, s.outlineWidth]; })()"
        )
        assert style[0] == "solid" and style[1] != "0px", style
    finally:
        browsing.close()


@pytest.mark.parametrize("language", LANGUAGES)
def test_menu_and_account_pages_use_the_same_words(browser, live_server, world, language):
    browsing = Browsing(browser, live_server, world, language, DESKTOP)
    try:
        page = browsing.open(Visit("login", "", "/accounts/login/"))
        menu_login = page.locator(".navbar a[href$='/accounts/login/']").inner_text().strip()
        menu_signup = page.locator(".navbar a[href$='/accounts/signup/']").inner_text().strip()
        expect(page.locator("main h1")).to_have_text(menu_login)
        expect(page.locator("main form [type=submit]")).to_have_text(menu_login)
        assert page.title().startswith(menu_login)
        page = browsing.open(Visit("sign-up", "", "/accounts/signup/"))
        expect(page.locator("main h1")).to_have_text(menu_signup)
        expect(page.locator("main form [type=submit]")).to_have_text(menu_signup)

        page = browsing.open(Visit("home", "erin", "/"))
        page.click("#user-menu")
        menu_logout = page.locator(".dropdown-menu form[action$='/accounts/logout/'] button").inner_text().strip()
        page = browsing.open(Visit("logout confirm", "erin", "/accounts/logout/"))
        expect(page.locator("main h1")).to_have_text(menu_logout)
    finally:
        browsing.close()


def test_invitations_offer_accept_only_when_it_can_work(browser, live_server, world):
    """A full event says why instead of offering "Accept"; an invitation to a
    cancelled event leaves the ones waiting for an answer (it is listed with the
    answered ones as "Event cancelled"); a cancelled event offers no calendar download."""
    events = world["events"]
    browsing = Browsing(browser, live_server, world, "en", DESKTOP)
    try:
        for path, rows in (("/invitations/", "#pending-invitations .list-group-item"), ("/", "#home-invitations li")):
            page = browsing.open(Visit("invitations", "erin", path))
            full = page.locator(rows, has_text=events["full"].title)
            expect(full).to_contain_text("Sorry, this event is full.")
            expect(full.get_by_role("button", name="Accept")).to_have_count(0)
            expect(full.get_by_role("button", name="Decline")).to_have_count(1)
            expect(page.locator(rows, has_text=events["cancelled"].title)).to_have_count(0)
            open_row = page.locator(rows, has_text=events["open"].title)
            expect(open_row.get_by_role("button", name="Accept")).to_have_count(1)
        page = browsing.open(Visit("invitations", "erin", "/invitations/"))
        closed = page.locator("#answered-invitations tr", has_text=events["cancelled"].title)
        expect(closed).to_contain_text("Event cancelled")
        expect(closed.get_by_role("button")).to_have_count(0)

        page = browsing.open(Visit("full event", "erin", events["full"].get_absolute_url()))
        expect(page.locator(".alert-info")).to_contain_text("Sorry, this event is full.")
        expect(page.get_by_role("button", name="Accept")).to_have_count(0)
        expect(page.get_by_role("link", name="Add to calendar")).to_have_count(1)

        page = browsing.open(Visit("cancelled event", "erin", events["cancelled"].get_absolute_url()))
        expect(page.get_by_role("link", name="Add to calendar")).to_have_count(0)
        expect(page.get_by_role("button", name="Accept")).to_have_count(0)
        expect(page.locator(".alert-info")).to_contain_text("This event has been cancelled.")

        page = browsing.open(Visit("open event", "erin", events["open"].get_absolute_url()))
        page.get_by_role("button", name="Accept").click()
        expect(page.locator(".alert-success")).to_contain_text("Book club")
    finally:
        browsing.close()
