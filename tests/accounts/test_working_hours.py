from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.models import User, WorkingHours
from accounts.services import set_working_hours
from accounts.worktime import is_at_work, working_hours_problem
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MOSCOW = ZoneInfo("Europe/Moscow")
BERLIN = ZoneInfo("Europe/Berlin")


def at(zone: ZoneInfo, year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=zone)


def test_new_users_get_mon_to_fri_ten_to_six_with_a_lunch_break():
    user = User.objects.create_user(email="fresh@example.com", password="x-long-password-1")
    rows = list(user.working_hours.order_by("weekday"))
    assert [row.weekday for row in rows] == [0, 1, 2, 3, 4]
    assert {(row.start, row.end, row.break_start, row.break_end) for row in rows} == {
        (time(10), time(18), time(12), time(13))
    }


# 2027-03-01 is a Monday; Berlin moves its clocks forward on 2027-03-28 (02:00 -> 03:00)
# and back on 2027-10-31.
@pytest.mark.parametrize(
    ("user_zone", "start", "end", "expected"),
    [
        ("Europe/Moscow", at(MOSCOW, 2027, 3, 1, 10), at(MOSCOW, 2027, 3, 1, 12), True),
        ("Europe/Moscow", at(MOSCOW, 2027, 3, 1, 13), at(MOSCOW, 2027, 3, 1, 18), True),
        ("Europe/Moscow", at(MOSCOW, 2027, 3, 1, 9, 30), at(MOSCOW, 2027, 3, 1, 10, 30), False),
        ("Europe/Moscow", at(MOSCOW, 2027, 3, 1, 17, 30), at(MOSCOW, 2027, 3, 1, 18, 30), False),
        ("Europe/Moscow", at(MOSCOW, 2027, 3, 1, 11, 30), at(MOSCOW, 2027, 3, 1, 12, 30), False),  # into the break
        ("Europe/Moscow", at(MOSCOW, 2027, 3, 1, 12, 15), at(MOSCOW, 2027, 3, 1, 12, 45), False),  # inside the break
        ("Europe/Moscow", at(MOSCOW, 2027, 3, 1, 11), at(MOSCOW, 2027, 3, 1, 14), False),  # across the break
        ("Europe/Moscow", at(MOSCOW, 2027, 3, 6, 11), at(MOSCOW, 2027, 3, 6, 12), False),  # Saturday, a day off
        ("Europe/Moscow", at(MOSCOW, 2027, 3, 1, 23), at(MOSCOW, 2027, 3, 2, 1), False),  # crosses midnight
        # The organizer is in Moscow, the invitee in Berlin (two hours behind in winter).
        ("Europe/Berlin", at(MOSCOW, 2027, 3, 1, 12), at(MOSCOW, 2027, 3, 1, 13), True),  # 10-11 in Berlin
        ("Europe/Berlin", at(MOSCOW, 2027, 3, 1, 10), at(MOSCOW, 2027, 3, 1, 11), False),  # 8-9 in Berlin
        ("Europe/Berlin", at(MOSCOW, 2027, 3, 1, 14), at(MOSCOW, 2027, 3, 1, 15), False),  # Berlin's lunch
        # Across DST changes the working day stays 10-18 on the wall clock.
        ("Europe/Berlin", at(BERLIN, 2027, 3, 29, 10), at(BERLIN, 2027, 3, 29, 11), True),
        ("Europe/Berlin", at(MOSCOW, 2027, 3, 29, 11), at(MOSCOW, 2027, 3, 29, 12), True),  # 10-11 CEST
        ("Europe/Berlin", at(MOSCOW, 2027, 3, 26, 11), at(MOSCOW, 2027, 3, 26, 12), False),  # 9-10 CET
        ("Europe/Berlin", at(BERLIN, 2027, 11, 1, 17), at(BERLIN, 2027, 11, 1, 18), True),
        ("Europe/Berlin", at(MOSCOW, 2027, 11, 1, 19), at(MOSCOW, 2027, 11, 1, 20), True),  # 17-18 CET
    ],
)
def test_is_at_work(user_zone, start, end, expected):
    user = UserFactory(timezone=user_zone)
    assert is_at_work(user, start, end) is expected


def test_the_problem_names_the_person_and_their_hours():
    user = UserFactory(name="Ivan", timezone="Europe/Moscow")
    problem = working_hours_problem(user, at(MOSCOW, 2027, 3, 1, 11, 30), at(MOSCOW, 2027, 3, 1, 12, 30))
    assert (
        problem == "Ivan works 10:00–18:00, break 12:00–13:00 on Monday (Europe/Moscow); 11:30–12:30 is outside that."
    )
    day_off = working_hours_problem(user, at(MOSCOW, 2027, 3, 7, 11), at(MOSCOW, 2027, 3, 7, 12))
    assert day_off.startswith("Ivan does not work on Sunday")


def test_a_day_without_a_break():
    user = UserFactory(timezone="Europe/Moscow")
    set_working_hours(user=user, week={0: (time(9), time(17), None, None)})
    assert is_at_work(user, at(MOSCOW, 2027, 3, 1, 12), at(MOSCOW, 2027, 3, 1, 13))
    assert not is_at_work(user, at(MOSCOW, 2027, 3, 2, 12), at(MOSCOW, 2027, 3, 2, 13))


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ((time(18), time(10), None, None), "The working day must end after it starts."),
        ((time(10), time(18), time(12), None), "Give both the start and the end of the break, or neither."),
        ((time(10), time(18), time(13), time(12)), "The break must end after it starts."),
        ((time(10), time(18), time(9), time(11)), "The break must lie inside the working day."),
        ((time(10), time(18), time(17), time(19)), "The break must lie inside the working day."),
    ],
)
def test_bad_hours_are_refused_and_the_week_kept(hours, message):
    user = UserFactory()
    with pytest.raises(ValidationError) as caught:
        set_working_hours(user=user, week={0: (time(9), time(17), None, None), 1: hours})
    assert message in caught.value.messages
    assert user.working_hours.count() == 5


def test_the_database_refuses_a_break_outside_the_day():
    user = UserFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        WorkingHours.objects.create(
            user=user, weekday=6, start=time(10), end=time(12), break_start=time(11), break_end=time(13)
        )


def test_profile_page_edits_the_week(employee_client, employee):
    data = {"save_hours": "1"}
    for weekday in range(7):
        data.update({f"d{weekday}_start": "09:00", f"d{weekday}_end": "17:00"})
        data.update({f"d{weekday}_break_start": "", f"d{weekday}_break_end": ""})
    data.update({"d0_works": "on", "d2_works": "on", "d2_break_start": "12:30", "d2_break_end": "13:00"})
    response = employee_client.post(reverse("accounts:profile"), data, follow=True)
    assert "Your working hours have been saved." in response.content.decode()
    rows = list(employee.working_hours.order_by("weekday"))
    assert [(r.weekday, r.start, r.end, r.break_start) for r in rows] == [
        (0, time(9), time(17), None),
        (2, time(9), time(17), time(12, 30)),
    ]


def test_profile_page_reports_a_bad_day_and_changes_nothing(employee_client, employee):
    data = {"save_hours": "1", "d0_works": "on", "d0_start": "18:00", "d0_end": "10:00"}
    response = employee_client.post(reverse("accounts:profile"), data)
    assert response.status_code == 200
    assert "The working day must end after it starts." in response.content.decode()
    data = {"save_hours": "1", "d1_works": "on", "d1_start": "garbage", "d1_end": "10:00"}
    response = employee_client.post(reverse("accounts:profile"), data)
    assert response.status_code == 200
    assert "Enter a valid time." in response.content.decode()
    assert employee.working_hours.count() == 5


def test_admin_edits_working_hours_inline(admin_client_, employee):
    html = admin_client_.get(reverse("admin:accounts_user_change", args=[employee.pk])).content.decode()
    assert "working_hours-TOTAL_FORMS" in html


def test_admin_inline_refuses_a_bad_break(admin_client_, employee):
    url = reverse("admin:accounts_user_change", args=[employee.pk])
    rows = list(employee.working_hours.order_by("weekday"))
    data = {
        "email": employee.email,
        "name": employee.name,
        "timezone": employee.timezone,
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "10:00:00",
        "working_hours-TOTAL_FORMS": str(len(rows)),
        "working_hours-INITIAL_FORMS": str(len(rows)),
        "working_hours-MIN_NUM_FORMS": "0",
        "working_hours-MAX_NUM_FORMS": "7",
    }
    for index, row in enumerate(rows):
        data.update(
            {
                f"working_hours-{index}-id": row.pk,
                f"working_hours-{index}-user": employee.pk,
                f"working_hours-{index}-weekday": row.weekday,
                f"working_hours-{index}-start": "10:00",
                f"working_hours-{index}-end": "18:00",
                f"working_hours-{index}-break_start": "12:00",
                f"working_hours-{index}-break_end": "13:00",
            }
        )
    data["working_hours-0-break_end"] = "19:00"
    response = admin_client_.post(url, data)
    assert response.status_code == 200
    assert "The break must lie inside the working day." in response.content.decode()
    data["working_hours-0-break_end"] = "12:30"
    assert admin_client_.post(url, data).status_code == 302
    assert employee.working_hours.get(weekday=rows[0].weekday).break_end == time(12, 30)
