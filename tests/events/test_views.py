import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from events import services
from events.models import Event, Invitation, Registration
from tests.factories import BookingFactory, EventFactory, RoomFactory, UserFactory, next_weekday_at

pytestmark = pytest.mark.django_db


def event_data(start=None, **extra) -> dict:
    start = timezone.localtime(start or next_weekday_at(11))
    data = {
        "title": "Product demo",
        "description": "Show and tell",
        "date": start.date().isoformat(),
        "start_time": start.strftime("%H:%M"),
        "end_time": (start + timedelta(hours=1)).strftime("%H:%M"),
        "capacity": "",
        "room": "",
    }
    data.update(extra)
    return data


class TestAnonymousAndMethods:
    @pytest.mark.parametrize(
        "url", ["/events/", "/events/new/", "/events/1/", "/events/1/invite/", "/invitations/", "/events/1/edit/"]
    )
    def test_anonymous_goes_to_login(self, client, url):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    @pytest.mark.parametrize(
        "name", ["events:register", "events:unregister", "events:invitation_accept", "events:invitation_decline"]
    )
    def test_get_on_post_only_urls_is_405(self, employee_client, name):
        event = EventFactory()
        assert employee_client.get(reverse(name, args=[event.pk])).status_code == 405
        assert Registration.objects.count() == 0

    def test_unknown_event_is_404(self, employee_client):
        for name in ("events:detail", "events:edit", "events:cancel", "events:invite"):
            assert employee_client.get(reverse(name, args=[9999])).status_code == 404
        assert employee_client.post(reverse("events:register", args=[9999])).status_code == 404


class TestCreate:
    def test_create_in_a_room(self, employee_client, employee):
        room = RoomFactory(name="Atrium", capacity=30)
        response = employee_client.post(reverse("events:create"), event_data(room=room.pk, capacity="20"), follow=True)
        event = Event.objects.get()
        assert response.redirect_chain[-1][0] == event.get_absolute_url()
        assert event.booking.room == room and event.organizer == employee and event.capacity == 20
        assert "has been created" in response.content.decode()

    def test_room_taken_shows_the_holder_and_creates_nothing(self, employee_client, other_employee):
        room = RoomFactory(name="Atrium")
        start = next_weekday_at(11)
        BookingFactory(
            room=room, user=other_employee, title="Offsite prep", start=start, end=start + timedelta(hours=1)
        )
        response = employee_client.post(reverse("events:create"), event_data(room=room.pk))
        assert response.status_code == 200
        assert "Offsite prep" in response.content.decode() and "Oscar Other" in response.content.decode()
        assert Event.objects.count() == 0

    def test_outside_own_hours_warns(self, employee_client):
        response = employee_client.post(reverse("events:create"), event_data(start=next_weekday_at(19)), follow=True)
        assert Event.objects.count() == 1
        assert "Saved, but note:" in response.content.decode()

    @pytest.mark.parametrize(
        ("extra", "message"),
        [
            ({"date": "soon"}, "Enter a valid date."),
            ({"capacity": "0"}, "Capacity must be at least 1."),
            ({"capacity": "many"}, "Enter a whole number."),
            ({"room": "99999"}, "Select a valid choice."),
            ({"title": ""}, "This field is required."),
        ],
    )
    def test_bad_input(self, employee_client, extra, message):
        response = employee_client.post(reverse("events:create"), event_data(**extra))
        assert response.status_code == 200
        assert message in response.content.decode()
        assert Event.objects.count() == 0


class TestDetailAndRegistration:
    def test_lists_everyone_registered(self, employee_client, employee):
        event = EventFactory(title="Lunch talk")
        services.register(event=event, user=UserFactory(name="Zoe", email="zoe@example.com"))
        html = employee_client.get(event.get_absolute_url()).content.decode()
        assert "Zoe" in html and "zoe@example.com" in html
        assert 'id="register"' in html

    def test_register_and_unregister_by_post(self, employee_client, employee):
        event = EventFactory()
        response = employee_client.post(reverse("events:register", args=[event.pk]), follow=True)
        assert "You are registered" in response.content.decode()
        assert Registration.objects.filter(event=event, user=employee).exists()
        response = employee_client.post(reverse("events:register", args=[event.pk]), follow=True)
        assert "already registered" in response.content.decode()
        employee_client.post(reverse("events:unregister", args=[event.pk]))
        assert not Registration.objects.exists()

    def test_full_event_says_so(self, employee_client):
        event = EventFactory(capacity=1)
        services.register(event=event, user=UserFactory())
        response = employee_client.post(reverse("events:register", args=[event.pk]), follow=True)
        assert "Sorry, this event is full." in response.content.decode()

    def test_invitations_are_shown_to_the_organizer_and_admins_only(self, client, employee, admin_user, other_employee):
        event = EventFactory(organizer=employee)
        services.invite(event=event, invited_by=employee, invitees=[other_employee])
        for user, shown in ((employee, True), (admin_user, True), (UserFactory(), False)):
            client.force_login(user)
            html = client.get(event.get_absolute_url()).content.decode()
            assert ('id="invitations"' in html) is shown

    def test_edit_and_cancel_for_organizer_only(self, employee_client, other_client, employee):
        event = EventFactory(organizer=employee)
        assert other_client.get(reverse("events:edit", args=[event.pk])).status_code == 404
        assert other_client.post(reverse("events:cancel", args=[event.pk])).status_code == 404
        response = employee_client.post(reverse("events:edit", args=[event.pk]), event_data(title="Renamed"))
        assert response.status_code == 302
        employee_client.post(reverse("events:cancel", args=[event.pk]))
        event.refresh_from_db()
        assert event.title == "Renamed" and event.is_cancelled


class TestInviteAndAnswer:
    def test_invite_page_reports_each_refusal_and_sends_the_rest(self, employee_client, employee):
        from datetime import time

        from accounts.services import set_working_hours

        event = EventFactory(organizer=employee, start=next_weekday_at(11), end=next_weekday_at(12))
        ok = UserFactory(name="Olga")
        late = UserFactory(name="Larry")
        set_working_hours(user=late, week={d: (time(13), time(21), None, None) for d in range(7)})
        response = employee_client.post(reverse("events:invite", args=[event.pk]), {"invitees": [ok.pk, late.pk]})
        html = response.content.decode()
        assert response.status_code == 200
        assert "Larry works 13:00–21:00" in html
        assert response.context_data["form"].initial == {"invitees": [late.pk]}
        assert "Invitations sent to Olga." in html
        assert list(Invitation.objects.values_list("invitee__name", flat=True)) == ["Olga"]

    def test_invite_needs_someone(self, employee_client, employee):
        event = EventFactory(organizer=employee)
        response = employee_client.post(reverse("events:invite", args=[event.pk]), {})
        assert "Pick at least one colleague." in response.content.decode()

    def test_strangers_cannot_invite(self, other_client, employee):
        event = EventFactory(organizer=employee)
        assert other_client.get(reverse("events:invite", args=[event.pk])).status_code == 404

    def test_invitee_accepts_from_the_list(self, client, employee, other_employee):
        event = EventFactory(organizer=employee)
        [invitation] = services.invite(event=event, invited_by=employee, invitees=[other_employee]).sent
        client.force_login(other_employee)
        home = client.get("/").content.decode()
        assert event.title in home
        assert event.title in client.get(reverse("events:invitations")).content.decode()
        response = client.post(reverse("events:invitation_accept", args=[invitation.pk]), follow=True)
        assert "are registered" in response.content.decode()
        assert Registration.objects.filter(event=event, user=other_employee).exists()
        client.force_login(employee)
        sent = client.get(reverse("events:invitations")).content.decode()
        assert "Accepted" in sent

    def test_someone_elses_invitation_is_404(self, client, employee, other_employee, admin_user):
        event = EventFactory(organizer=employee)
        [invitation] = services.invite(event=event, invited_by=employee, invitees=[other_employee]).sent
        for user in (employee, admin_user, UserFactory()):
            client.force_login(user)
            assert client.post(reverse("events:invitation_accept", args=[invitation.pk])).status_code == 404
            assert client.post(reverse("events:invitation_decline", args=[invitation.pk])).status_code == 404
        invitation.refresh_from_db()
        assert invitation.status == Invitation.Status.PENDING


class TestLists:
    def test_list_marks_registrations_and_full(self, employee_client):
        empty = EventFactory(title="Nobody yet")
        popular = EventFactory(title="Popular", capacity=2, start=next_weekday_at(14), end=next_weekday_at(15))
        for _ in range(2):
            services.register(event=popular, user=UserFactory())
        start = timezone.now() - timedelta(days=2)
        EventFactory(title="Old news", start=start, end=start + timedelta(hours=1))
        html = employee_client.get(reverse("events:list")).content.decode()
        assert "No one registered yet" in html and "2 registered" in html and "Full" in html
        assert "Old news" not in html and empty.title in html
        assert "Old news" in employee_client.get(reverse("events:list"), {"when": "past"}).content.decode()

    def _count(self, client, url) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    def test_event_list_queries_do_not_grow(self, employee_client):
        services.register(event=EventFactory(booking=BookingFactory()), user=UserFactory())
        one = self._count(employee_client, reverse("events:list"))
        for hour in range(20):
            event = EventFactory(
                organizer=UserFactory(),
                booking=BookingFactory(start=next_weekday_at(8) + timedelta(days=hour % 5, hours=hour)),
            )
            for _ in range(3):
                services.register(event=event, user=UserFactory())
        assert self._count(employee_client, reverse("events:list")) == one

    def test_event_page_queries_do_not_grow(self, client, employee):
        event = EventFactory(organizer=employee, booking=BookingFactory())
        services.register(event=event, user=UserFactory())
        services.invite(event=event, invited_by=employee, invitees=[UserFactory()])
        client.force_login(employee)
        one = self._count(client, event.get_absolute_url())
        for _ in range(25):
            services.register(event=event, user=UserFactory())
            services.invite(event=event, invited_by=employee, invitees=[UserFactory()])
        assert self._count(client, event.get_absolute_url()) == one


@pytest.mark.django_db(transaction=True)
def test_more_people_than_places_registering_at_once_never_overfill():
    event = EventFactory(capacity=5)
    people = [UserFactory() for _ in range(20)]
    barrier = threading.Barrier(len(people))
    outcomes: list = [None] * len(people)

    def attempt(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            outcomes[index] = services.register(event=event, user=people[index])
        except Exception as exc:
            outcomes[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(len(people))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    registered = [o for o in outcomes if isinstance(o, Registration)]
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(registered) == 5, outcomes
    assert len(refused) == 15 and all(o.messages == ["Sorry, this event is full."] for o in refused), outcomes
    assert Registration.objects.filter(event=event).count() == 5


def test_an_invitation_to_a_cancelled_event_no_longer_waits_for_an_answer(client, employee, other_employee, room):
    event = services.create_event(
        organizer=other_employee, title="Called off", start=next_weekday_at(10), end=next_weekday_at(11), room=room
    )
    services.invite(event=event, invited_by=other_employee, invitees=[employee])
    services.register(event=event, user=UserFactory())
    client.force_login(employee)
    assert "Called off" in client.get("/").content.decode()
    services.cancel_event(event=event, actor=other_employee)
    page = client.get(reverse("events:invitations")).content.decode()
    assert 'id="pending-invitations"' not in page and "No invitations are waiting for you." in page
    answered = page[page.index('id="answered-invitations"') :]
    assert "Called off" in answered and "Event cancelled" in answered
    assert "Called off" not in client.get("/").content.decode()
    detail = client.get(event.get_absolute_url()).content.decode()
    assert "1 person was registered" in detail and "(released)" in detail
