"""Every URL of the site and the API, every method, for anonymous, employee,
owner and admin, against an answer written down here. A new URL without an entry
fails ``test_every_url_has_an_entry``."""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.services import issue_api_token
from events import services as event_services
from tests.factories import BookingFactory, EventFactory, RoomFactory, UserFactory, next_weekday_at

ROLES = ("anonymous", "employee", "owner", "admin")

# name -> (arguments, {method: "anonymous employee owner admin" statuses})
# The owner holds the booking, organizes the event, is invited, and owns the token and feed.
MATRIX: dict[str, tuple[str, dict[str, str]]] = {
    "home": ("", {"GET": "302 200 200 200", "POST": "302 405 405 405"}),
    "health": ("", {"GET": "200 200 200 200", "POST": "405 405 405 405"}),
    "admin_login": ("", {"GET": "302 302 302 302", "POST": "302 302 302 302"}),
    "set_language": ("", {"GET": "302 302 302 302", "POST": "302 302 302 302"}),
    "accounts:profile": ("", {"GET": "302 200 200 200", "POST": "302 200 200 200"}),
    "accounts:token_create": ("", {"GET": "302 405 405 405", "POST": "302 302 302 302"}),
    "accounts:token_revoke": ("token", {"GET": "302 405 405 405", "POST": "302 404 302 404"}),
    "rooms:list": ("", {"GET": "302 200 200 200", "POST": "302 405 405 405"}),
    "rooms:find": ("", {"GET": "302 200 200 200", "POST": "302 405 405 405"}),
    "rooms:timeline": ("", {"GET": "302 200 200 200", "POST": "302 405 405 405"}),
    "rooms:usage_report": ("", {"GET": "302 404 404 200", "POST": "302 404 404 404"}),
    "rooms:detail": ("room", {"GET": "302 200 200 200", "POST": "302 405 405 405"}),
    "rooms:week": ("room", {"GET": "302 200 200 200", "POST": "302 405 405 405"}),
    "rooms:book": ("room", {"GET": "302 200 200 200", "POST": "302 200 200 200"}),
    "rooms:my_bookings": ("", {"GET": "302 200 200 200", "POST": "302 405 405 405"}),
    "rooms:booking_edit": ("booking", {"GET": "302 404 200 200", "POST": "302 404 200 200"}),
    "rooms:booking_cancel": ("booking", {"GET": "302 404 200 200", "POST": "302 404 302 302"}),
    "rooms:booking_ics": ("booking", {"GET": "302 404 200 200", "POST": "302 405 405 405"}),
    "events:list": ("", {"GET": "302 200 200 200", "POST": "302 405 405 405"}),
    "events:create": ("", {"GET": "302 200 200 200", "POST": "302 200 200 200"}),
    "events:detail": ("event", {"GET": "302 200 200 200", "POST": "302 405 405 405"}),
    "events:edit": ("event", {"GET": "302 404 200 200", "POST": "302 404 200 200"}),
    "events:cancel": ("event", {"GET": "302 404 200 200", "POST": "302 404 302 302"}),
    "events:register": ("event", {"GET": "302 405 405 405", "POST": "302 302 302 302"}),
    "events:unregister": ("event", {"GET": "302 405 405 405", "POST": "302 302 302 302"}),
    "events:invite": ("event", {"GET": "302 404 200 200", "POST": "302 404 200 200"}),
    "events:event_ics": ("event", {"GET": "302 200 200 200", "POST": "302 405 405 405"}),
    "events:invitations": ("", {"GET": "302 200 200 200", "POST": "302 405 405 405"}),
    "events:invitation_accept": ("invitation", {"GET": "302 405 405 405", "POST": "302 404 302 404"}),
    "events:invitation_decline": ("invitation", {"GET": "302 405 405 405", "POST": "302 404 302 404"}),
    "events:user_feed": ("feed", {"GET": "200 200 200 200", "POST": "405 405 405 405"}),
    "events:room_feed": ("feed room", {"GET": "200 200 200 200", "POST": "405 405 405 405"}),
    "events:calendar_reset": ("", {"GET": "302 405 405 405", "POST": "302 302 302 302"}),
    "api:schema": ("", {"GET": "200 200 200 200", "POST": "405 405 405 405"}),
    "api:docs": ("", {"GET": "200 200 200 200", "POST": "405 405 405 405"}),
    "api:me": ("", {"GET": "401 200 200 200", "POST": "401 405 405 405", "PATCH": "401 200 200 200"}),
    "api:working_hours": ("", {"GET": "401 200 200 200", "PUT": "401 400 400 400"}),
    "api:room-list": ("", {"GET": "401 200 200 200", "POST": "401 403 403 400"}),
    "api:room-detail": ("room", {"GET": "401 200 200 200", "PATCH": "401 403 403 200", "DELETE": "401 403 403 204"}),
    "api:room-bookings": ("room", {"GET": "401 200 200 200", "POST": "401 405 405 405"}),
    "api:booking-list": ("", {"GET": "401 200 200 200", "POST": "401 400 400 400"}),
    "api:booking-detail": (
        "booking",
        {"GET": "401 404 200 200", "PATCH": "401 404 200 200", "DELETE": "401 405 405 405"},
    ),
    "api:booking-cancel": ("booking", {"GET": "401 405 405 405", "POST": "401 404 200 200"}),
    "api:event-list": ("", {"GET": "401 200 200 200", "POST": "401 400 400 400"}),
    "api:event-detail": ("event", {"GET": "401 200 200 200", "PATCH": "401 403 200 200", "DELETE": "401 405 405 405"}),
    "api:event-cancel": ("event", {"POST": "401 403 200 200"}),
    "api:event-register": ("event", {"POST": "401 201 201 201"}),
    "api:event-unregister": ("event", {"POST": "401 400 400 400"}),
    "api:invitation-list": ("", {"GET": "401 200 200 200", "POST": "401 400 400 400"}),
    "api:invitation-detail": ("invitation", {"GET": "401 404 200 200"}),
    "api:invitation-accept": ("invitation", {"POST": "401 404 200 404"}),
    "api:invitation-decline": ("invitation", {"POST": "401 404 200 404"}),
    "api:person-list": ("", {"GET": "401 200 200 200", "POST": "401 405 405 405"}),
    "api:person-detail": ("person", {"GET": "401 200 200 200"}),
}


def our_url_names() -> set[str]:
    def walk(patterns, namespace=None):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = namespace
                if pattern.namespace:
                    inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
                yield from walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield f"{namespace}:{pattern.name}" if namespace else pattern.name

    return {
        name
        for name in walk(get_resolver().url_patterns)
        if not name.startswith(("admin:", "account_"))  # Django's admin and allauth's own pages
    }


def test_every_url_has_an_entry():
    assert our_url_names() - set(MATRIX) == set(), "add the new URLs to MATRIX"
    assert set(MATRIX) - our_url_names() == set()


CASES = [
    (name, method, role, int(statuses.split()[index]))
    for name, (_args, methods) in MATRIX.items()
    for method, statuses in methods.items()
    for index, role in enumerate(ROLES)
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "method", "role", "expected"), CASES, ids=[f"{n}-{m}-{r}" for n, m, r, _e in CASES])
def test_permission_matrix(name, method, role, expected):
    owner = UserFactory(name="Owner")
    employee = UserFactory(name="Employee")
    admin = UserFactory(name="Admin", is_staff=True, is_superuser=True)
    room = RoomFactory()
    booking = BookingFactory(room=room, user=owner)
    event = EventFactory(
        organizer=owner, start=next_weekday_at(11, after_days=3), end=next_weekday_at(12, after_days=3)
    )
    inviter = UserFactory()
    event_services.register(event=event, user=inviter)
    [invitation] = event_services.invite(event=event, invited_by=inviter, invitees=[owner]).sent
    token, _raw = issue_api_token(user=owner, name="matrix")
    values = {
        "room": room.pk,
        "booking": booking.pk,
        "event": event.pk,
        "invitation": invitation.pk,
        "token": token.pk,
        "feed": owner.calendar_token,
        "person": employee.pk,
    }
    spec = MATRIX[name][0].split()
    url = reverse(name, args=[values[key] for key in spec])
    client = Client()
    user = {"employee": employee, "owner": owner, "admin": admin}.get(role)
    if user is not None:
        client.force_login(user)
    body = {"content_type": "application/json", "data": "{}"} if name.startswith("api:") and method != "GET" else {}
    response = getattr(client, method.lower())(url, **body)
    assert response.status_code == expected, f"{method} {url} as {role}: {response.status_code}"
    assert response.status_code < 500


# The Django admin, per model: (changelist, add, change, delete) statuses on GET
# for an admin; everyone else is sent to the admin's login page.
ADMIN_MATRIX = {
    "rooms_room": "200 200 200 200",
    "rooms_booking": "200 200 200 403",
    "events_event": "200 200 200 403",
    "events_registration": "200 200 200 200",
    "events_invitation": "200 200 200 403",
    "accounts_user": "200 200 200 200",
}


def test_every_admin_model_has_an_entry():
    from django.contrib import admin

    registered = {f"{model._meta.app_label}_{model._meta.model_name}" for model in admin.site._registry}
    ours = {name for name in registered if name.split("_")[0] in ("rooms", "events", "accounts")}
    assert ours == set(ADMIN_MATRIX)


ADMIN_CASES = [
    (model, view, role)
    for model in ADMIN_MATRIX
    for view in ("changelist", "add", "change", "delete")
    for role in ROLES
]


@pytest.mark.django_db
@pytest.mark.parametrize(("model", "view", "role"), ADMIN_CASES, ids=[f"{m}-{v}-{r}" for m, v, r in ADMIN_CASES])
def test_admin_matrix(model, view, role):
    owner = UserFactory(name="Owner")
    employee = UserFactory(name="Employee")
    admin_user = UserFactory(name="Admin", is_staff=True, is_superuser=True)
    room = RoomFactory()
    booking = BookingFactory(room=room, user=owner)
    event = EventFactory(
        organizer=owner, start=next_weekday_at(11, after_days=3), end=next_weekday_at(12, after_days=3)
    )
    registration = event_services.register(event=event, user=employee)
    [invitation] = event_services.invite(event=event, invited_by=owner, invitees=[UserFactory()]).sent
    objects = {
        "rooms_room": RoomFactory(),  # without bookings, so it can be deleted
        "rooms_booking": booking,
        "events_event": event,
        "events_registration": registration,
        "events_invitation": invitation,
        "accounts_user": UserFactory(),
    }
    args = [] if view in ("changelist", "add") else [objects[model].pk]
    url = reverse(f"admin:{model}_{view}", args=args)
    client = Client()
    user = {"employee": employee, "owner": owner, "admin": admin_user}.get(role)
    if user is not None:
        client.force_login(user)
    response = client.get(url)
    if role == "admin":
        expected = int(ADMIN_MATRIX[model].split()[("changelist", "add", "change", "delete").index(view)])
        assert response.status_code == expected, f"GET {url}: {response.status_code}"
    else:
        login = "/accounts/login/" if role == "anonymous" else "/admin/login/"
        assert response.status_code == 302 and response["Location"].startswith(login)
