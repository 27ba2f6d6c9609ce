"""An organizer creates an event in a room, people register and are invited."""

from datetime import time

import pytest
from playwright.sync_api import expect

from accounts.services import set_working_hours
from events.models import Event, Registration
from tests.e2e.test_booking_flow import log_in
from tests.factories import RoomFactory, UserFactory, next_weekday_at

pytestmark = pytest.mark.django_db(transaction=True)


def test_event_in_a_room_registration_and_invitations(live_server, new_page, shot):
    room = RoomFactory(name="Atrium", capacity=20)
    organizer = UserFactory(name="Olga Organizer", email="olga@example.com")
    attendee = UserFactory(name="Artem Attendee", email="artem@example.com")
    night_owl = UserFactory(name="Nikita Night", email="nikita@example.com")
    set_working_hours(user=night_owl, week={day: (time(15), time(23), None, None) for day in range(7)})
    colleague = UserFactory(name="Kira Colleague", email="kira@example.com")
    start = next_weekday_at(11)

    page = new_page()
    log_in(page, live_server.url, organizer.email)
    page.goto(f"{live_server.url}/events/new/")
    page.fill("input[name=title]", "Quarterly demo")
    page.fill("textarea[name=description]", "Teams show what they built.")
    page.fill("input[name=date]", start.date().isoformat())
    page.fill("input[name=start_time]", "11:00")
    page.fill("input[name=end_time]", "12:00")
    page.select_option("select[name=room]", label="Atrium")
    page.fill("input[name=capacity]", "10")
    page.click("#event-form button[type=submit]")
    expect(page.locator(".alert-success")).to_contain_text("has been created")
    event = Event.objects.get(title="Quarterly demo")
    assert event.booking.room == room

    other = new_page()
    log_in(other, live_server.url, attendee.email)
    other.goto(f"{live_server.url}/events/")
    expect(other.locator("#event-list")).to_contain_text("No one registered yet")
    other.click("text=Quarterly demo")
    other.click("#register")
    expect(other.locator("#attendees")).to_contain_text("Artem Attendee")

    page.goto(f"{live_server.url}/events/{event.pk}/invite/")
    page.fill("#people-filter", "Nikita")
    page.check("label:has-text('Nikita Night')")
    page.fill("#people-filter", "")
    page.check("label:has-text('Kira Colleague')")
    page.click("#invite-form button[type=submit]")
    expect(page.locator("#invite-errors")).to_contain_text("Nikita Night works 15:00–23:00")
    expect(page.locator(".alert-success")).to_contain_text("Invitations sent to Kira Colleague")
    shot(page, "invite-refusal")

    invitee = new_page(locale="ru-RU")
    log_in(invitee, live_server.url, colleague.email)
    expect(invitee.locator("#nav-invitations .badge")).to_have_text("1")
    invitee.goto(f"{live_server.url}/invitations/")
    expect(invitee.locator("h1")).to_have_text("Приглашения")
    invitee.click("#pending-invitations button.btn-success")
    expect(invitee.locator(".alert-success")).to_contain_text("зарегистрированы")
    shot(invitee, "ru-invitations")
    assert Registration.objects.filter(event=event, user=colleague).exists()

    page.goto(f"{live_server.url}/events/{event.pk}/")
    expect(page.locator("#attendees")).to_contain_text("Kira Colleague")
    expect(page.locator("#attendees")).to_contain_text("Artem Attendee")
    expect(page.locator("#invitations")).to_contain_text("Accepted")
    shot(page, "event-page")
    page.goto(f"{live_server.url}/events/")
    expect(page.locator("#event-list")).to_contain_text("2 registered")
