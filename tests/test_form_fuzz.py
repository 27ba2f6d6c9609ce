"""Hypothesis throws random input at the booking, event, invitation and
working-hours forms: every answer is a page or a redirect, never a 500."""

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import EventFactory

pytestmark = pytest.mark.django_db

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

values = st.one_of(
    st.text(max_size=40),
    st.dates().map(str),
    st.times().map(lambda t: t.strftime("%H:%M")),
    st.integers(min_value=-(10**12), max_value=10**12).map(str),
    st.sampled_from(["", "0", "-1", "24:00", "2026-02-30", "9999-12-31", "1900-01-01", "\x00", "' OR 1=1 --"]),
)


def form_data(fields: list[str]) -> st.SearchStrategy[dict[str, str]]:
    return st.fixed_dictionaries({}, optional={name: values for name in fields})


@FUZZ
@given(data=form_data(["title", "date", "start_time", "end_time"]))
def test_booking_form(employee_client, room, data):
    response = employee_client.post(reverse("rooms:book", args=[room.pk]), data)
    assert response.status_code in (200, 302)


@FUZZ
@given(data=form_data(["title", "description", "date", "start_time", "end_time", "capacity", "room"]))
def test_event_form(employee_client, data):
    response = employee_client.post(reverse("events:create"), data)
    assert response.status_code in (200, 302)


@FUZZ
@given(invitees=st.lists(values, max_size=4))
def test_invitation_form(employee_client, employee, invitees):
    event = EventFactory(organizer=employee)
    response = employee_client.post(reverse("events:invite", args=[event.pk]), {"invitees": invitees})
    assert response.status_code in (200, 302)


@FUZZ
@given(
    data=form_data(
        [f"d{day}_{part}" for day in range(7) for part in ("works", "start", "end", "break_start", "break_end")]
    )
)
def test_working_hours_form(employee_client, data):
    response = employee_client.post(reverse("accounts:profile"), {"save_hours": "1", **data})
    assert response.status_code in (200, 302)


@FUZZ
@given(data=form_data(["date", "start_time", "end_time", "people", "equipment", "day"]))
def test_finder_and_timeline(employee_client, data):
    expected = 400 if any("\x00" in value for value in data.values()) else 200  # NUL: refused up front
    assert employee_client.get(reverse("rooms:find"), data).status_code == expected
    assert employee_client.get(reverse("rooms:timeline"), data).status_code == expected
