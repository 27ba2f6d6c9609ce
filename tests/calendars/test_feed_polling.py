"""Calendar apps poll the feeds every few minutes: each answer carries an ETag and a
Last-Modified, and a conditional request for the version the app already has is
answered 304 without writing the feed. The version changes with every change that
concerns the feed's reader, and only then."""

import gzip
from datetime import timedelta

import icalendar
import pytest
from django.test import Client
from django.urls import reverse

from accounts import services as account_services
from events import services as event_services
from events.models import Event
from rooms import services as room_services
from tests.factories import RoomFactory, UserFactory, next_weekday_at, tomorrow_at

pytestmark = pytest.mark.django_db


class Poller:
    """A calendar app subscribed to one feed: it sends back the ETag it was given."""

    def __init__(self, url: str, use: str = "etag") -> None:
        self.client, self.url, self.use = Client(), url, use
        self.etag = self.last_modified = None

    def poll(self) -> int:
        headers = {}
        if self.etag and self.use == "etag":
            headers["If-None-Match"] = self.etag
        if self.last_modified and self.use == "date":
            headers["If-Modified-Since"] = self.last_modified
        response = self.client.get(self.url, headers=headers)
        assert response["ETag"] and response["Last-Modified"]
        if response.status_code == 304:
            assert response.content == b"" and response["ETag"] == self.etag
        else:
            assert response.status_code == 200 and response["ETag"] != self.etag
            self.body = response.content
        self.etag, self.last_modified = response["ETag"], response["Last-Modified"]
        return response.status_code


def feed_url(user) -> str:
    return reverse("events:user_feed", args=[user.calendar_token])


@pytest.fixture
def person(db):
    return UserFactory(timezone="Europe/Berlin", language="en")


def test_the_feed_says_how_often_to_come_back(client, person, room):
    room_services.book_room(room=room, user=person, title="Sync", start=tomorrow_at(10), end=tomorrow_at(11))
    response = client.get(feed_url(person))
    calendar = icalendar.Calendar.from_ical(response.content)
    assert calendar["REFRESH-INTERVAL"].dt == timedelta(minutes=15)
    assert calendar["REFRESH-INTERVAL"].params["VALUE"] == "DURATION"
    assert str(calendar["X-PUBLISHED-TTL"]) == "PT15M"
    assert response["Cache-Control"] == "private, no-cache"


def test_nothing_changed_means_304_and_no_feed(person, room, django_assert_max_num_queries):
    for hour in range(8, 18):
        room_services.book_room(
            room=room, user=person, title="Slot", start=tomorrow_at(hour), end=tomorrow_at(hour + 1)
        )
    app = Poller(feed_url(person))
    assert app.poll() == 200
    # A 304 asks a few aggregate questions whatever the number of items, and writes nothing.
    with django_assert_max_num_queries(6):
        assert app.poll() == 304
    assert app.poll() == 304


def test_a_change_concerning_the_person_and_only_such_a_change_gives_a_new_version(
    person, room, employee, admin_user, django_capture_on_commit_callbacks
):
    app = Poller(feed_url(person))
    assert app.poll() == 200
    booking = room_services.book_room(room=room, user=person, title="Sync", start=tomorrow_at(10), end=tomorrow_at(11))
    event = event_services.create_event(
        organizer=employee, title="Planning", start=next_weekday_at(14), end=next_weekday_at(15), room=RoomFactory()
    )
    other_event = event_services.create_event(
        organizer=employee, title="Elsewhere", start=next_weekday_at(12), end=next_weekday_at(13)
    )
    someone = UserFactory()

    changes = [
        ("a booking of theirs", True, lambda: None),
        (
            "someone else's booking in the same room",
            False,
            lambda: room_services.book_room(
                room=room, user=someone, title="Other", start=tomorrow_at(12), end=tomorrow_at(13)
            ),
        ),
        (
            "an event they have nothing to do with",
            False,
            lambda: event_services.change_event(
                event=other_event, actor=employee, title="Elsewhere 2", start=other_event.start, end=other_event.end
            ),
        ),
        ("they register", True, lambda: event_services.register(event=event, user=person)),
        (
            "someone else registers for the same event",
            False,
            lambda: event_services.register(event=event, user=someone),
        ),
        (
            "the organizer moves it",
            True,
            lambda: event_services.change_event(
                event=event,
                actor=employee,
                title="Planning",
                start=next_weekday_at(15),
                end=next_weekday_at(16),
                room=Event.objects.get(pk=event.pk).room,
            ),
        ),
        (
            "their booking's title",
            True,
            lambda: room_services.change_booking(booking=booking, actor=person, title="Weekly sync"),
        ),
        (
            "their booking moves",
            True,
            lambda: room_services.change_booking(
                booking=booking, actor=person, start=tomorrow_at(16), end=tomorrow_at(17)
            ),
        ),
        ("its room is renamed", True, lambda: room_services.change_room(room=room, actor=admin_user, name="Oak")),
        (
            "they are invited",
            True,
            lambda: event_services.invite(event=other_event, invited_by=employee, invitees=[person]),
        ),
        ("they change their zone", True, lambda: account_services.change_profile(user=person, timezone="Europe/Paris")),
        ("they unregister", True, lambda: event_services.unregister(event=event, user=person)),
        ("their booking is cancelled", True, lambda: room_services.cancel_booking(booking=booking, actor=person)),
        (
            "someone else cancels their own booking",
            False,
            lambda: room_services.cancel_booking(booking=room.bookings.get(title="Other"), actor=someone),
        ),
    ]
    for what, concerns, change in changes:
        with django_capture_on_commit_callbacks(execute=True):
            change()
        assert app.poll() == (200 if concerns else 304), what
        assert app.poll() == 304, what


def test_if_modified_since_alone_sees_every_change(person, room):
    app = Poller(feed_url(person), use="date")
    assert app.poll() == 200
    assert app.poll() == 304
    booking = room_services.book_room(room=room, user=person, title="Sync", start=tomorrow_at(10), end=tomorrow_at(11))
    assert app.poll() == 200
    room_services.cancel_booking(booking=booking, actor=person)
    assert app.poll() == 200
    assert app.poll() == 304


def test_the_room_feed_changes_with_its_own_bookings_only(person, room):
    app = Poller(reverse("events:room_feed", args=[person.calendar_token, room.pk]))
    assert app.poll() == 200
    room_services.book_room(
        room=RoomFactory(), user=person, title="Elsewhere", start=tomorrow_at(10), end=tomorrow_at(11)
    )
    assert app.poll() == 304
    room_services.book_room(room=room, user=UserFactory(), title="Here", start=tomorrow_at(10), end=tomorrow_at(11))
    assert app.poll() == 200
    assert b"Here" in app.body
    assert app.poll() == 304


def test_a_reset_address_stops_answering(client, person):
    old = feed_url(person)
    assert client.get(old).status_code == 200
    account_services.reset_calendar_token(user=person)
    assert client.get(old).status_code == 404
    assert client.get(feed_url(person)).status_code == 200


def test_swapping_registrations_between_as_many_events_changes_the_version(person, employee):
    """Events 1 and 4 given up for 2 and 3 (the same count and sum of ids, the same
    latest change): the version still changes, as the registrations do."""
    events = [
        event_services.create_event(
            organizer=employee,
            title=f"Talk {number}",
            start=next_weekday_at(9 + number),
            end=next_weekday_at(10 + number),
        )
        for number in range(5)
    ]
    for event in (events[0], events[3], events[4]):
        event_services.register(event=event, user=person)
    app = Poller(feed_url(person))
    assert app.poll() == 200
    for event in (events[0], events[3]):
        event_services.unregister(event=event, user=person)
    for event in (events[1], events[2]):
        event_services.register(event=event, user=person)
    assert app.poll() == 200
    assert b"Talk 1" in app.body and b"Talk 0" not in app.body


def test_each_version_is_written_once_however_many_apps_fetch_it(person, employee, client):
    """A second app fetching without a condition gets the feed as first written: an
    organizer's new display name (which the version does not follow) shows only with
    the next change that concerns the person."""
    event = event_services.create_event(
        organizer=employee, title="Review", start=next_weekday_at(10), end=next_weekday_at(11)
    )
    event_services.register(event=event, user=person)
    first = client.get(feed_url(person))
    account_services.change_profile(user=employee, name="Renamed Organizer")
    again = Client().get(feed_url(person))
    assert again.status_code == 200 and again.content == first.content
    assert again["ETag"] == first["ETag"]
    assert b"Renamed Organizer" not in again.content
    event_services.change_event(
        event=event, actor=employee, title="Review", start=next_weekday_at(12), end=next_weekday_at(13)
    )
    changed = Client().get(feed_url(person))
    assert changed["ETag"] != first["ETag"] and b"Renamed Organizer" in changed.content


def test_an_app_that_accepts_gzip_gets_the_kept_file_as_it_is(person, room):
    room_services.book_room(room=room, user=person, title="Sync", start=tomorrow_at(10), end=tomorrow_at(11))
    plain = Client().get(feed_url(person))
    app = Client(headers={"Accept-Encoding": "gzip, deflate"})
    zipped = app.get(feed_url(person))
    assert zipped["Content-Encoding"] == "gzip" and "Content-Encoding" not in plain
    assert gzip.decompress(zipped.content) == plain.content and len(zipped.content) < len(plain.content)
    assert "Accept-Encoding" in zipped["Vary"] and "Accept-Encoding" in plain["Vary"]
    assert zipped["ETag"] == f"W/{plain['ETag']}"
    again = app.get(feed_url(person), headers={"If-None-Match": zipped["ETag"]})
    assert again.status_code == 304 and again["ETag"] == zipped["ETag"]
