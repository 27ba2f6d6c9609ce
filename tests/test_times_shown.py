"""How the read pages write a time near now or an end on another day, on the viewer's clock."""

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone, translation

from booking_site.jinja2 import end_hm, moment

MOSCOW_10 = datetime(2027, 5, 10, 7, tzinfo=UTC)  # 10:00 in Moscow, 00:00 in Los Angeles
MOSCOW_1130 = datetime(2027, 5, 10, 8, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "language", "expected"),
    [
        ("Europe/Moscow", "en", "11:30"),
        ("America/Los_Angeles", "en", "01:30"),
        ("Pacific/Honolulu", "en", "22:30 (+1 day)"),
        ("Pacific/Honolulu", "ru", "22:30 (+1 день)"),
    ],
)
def test_an_end_on_another_day_is_marked(zone, language, expected):
    start = datetime(2027, 5, 10, 9, 30, tzinfo=UTC) if zone == "Pacific/Honolulu" else MOSCOW_10
    end = datetime(2027, 5, 11, 8, 30, tzinfo=UTC) if zone == "Pacific/Honolulu" else MOSCOW_1130
    with timezone.override(ZoneInfo(zone)), translation.override(language):
        assert end_hm(end, start) == expected


def test_several_days_later_is_counted():
    start = datetime(2027, 5, 10, 7, tzinfo=UTC)
    with timezone.override(ZoneInfo("Europe/Moscow")), translation.override("ru"):
        assert end_hm(datetime(2027, 5, 12, 7, tzinfo=UTC), start) == "10:00 (+2 дня)"
        assert end_hm(datetime(2027, 5, 15, 7, tzinfo=UTC), start) == "10:00 (+5 дней)"


def test_a_moment_near_midnight_says_tomorrow():
    late = datetime(2027, 5, 10, 20, 50, tzinfo=UTC)  # 23:50 in Moscow
    with timezone.override(ZoneInfo("Europe/Moscow")), translation.override("en"):
        assert moment(datetime(2027, 5, 10, 20, 55, tzinfo=UTC), late) == "23:55"
        assert moment(datetime(2027, 5, 11, 6, tzinfo=UTC), late) == "tomorrow 09:00"
        assert moment(datetime(2027, 5, 13, 6, tzinfo=UTC), late) == "13 May, 09:00"
    with timezone.override(ZoneInfo("Europe/Moscow")), translation.override("ru"):
        assert moment(datetime(2027, 5, 11, 6, tzinfo=UTC), late) == "завтра в 09:00"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/rooms/", "/accounts/profile/", "/no-such-page/"])
def test_the_site_name_is_in_the_title_bar_and_the_brand(settings, employee, client, path):
    """Both layouts (Jinja2 read pages, Django forms, the 404 page) name the site:
    the name an office chose as written, the default one in the reader's language."""
    client.force_login(employee)
    settings.SITE_NAME = "Acme rooms"
    html = client.get(path).content.decode()
    assert re.search(r"<title>[^<]*Acme rooms</title>", html)
    assert re.search(r'class="navbar-brand[^"]*"[^>]*>Acme rooms<', html)
    settings.SITE_NAME = "Office booking"
    employee.language = "ru"
    employee.save(update_fields=["language"])
    html = client.get(path).content.decode()
    assert re.search(r"<title>[^<]*Бронирование офиса</title>", html)
