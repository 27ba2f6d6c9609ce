"""The Jinja2 environment of the read pages (timeline, week, room, lists).

A profile showed Django's template engine to be most of those pages' cost
(``docs/benchmark.md``); Jinja2 compiles templates to Python and renders the same
markup several times faster. Pages with forms (crispy), allauth's pages and
the admin stay Django templates; each page uses one language throughout.

Strings are marked ``_("...")`` so that ``makemessages`` finds them (it reads
``{{ _("...") }}`` in any template); plurals and contexts come from Python.
"""

from collections.abc import Callable
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from django.contrib.messages import get_messages
from django.http import HttpRequest
from django.template.defaultfilters import linebreaks_filter
from django.templatetags.static import static
from django.utils import formats, timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext, pgettext
from jinja2 import Environment

from booking_site.paths import path
from rooms.timeline import slots_html


def local(value: datetime) -> datetime:
    return timezone.localtime(value) if timezone.is_aware(value) else value


#: Formats that show only the calendar date, so that one day's text can be reused.
DATE_ONLY = frozenset({"DATE_FORMAT", "D", "l", "j M", "Y-m-d"})


@lru_cache(maxsize=4096)
def _format_day(day: date, format_name: str, language: str) -> str:
    return formats.date_format(day, format_name)


def date_filter(value: date | datetime | None, format_name: str = "DATE_FORMAT") -> str:
    """Django's ``date`` filter: a format name or a format string, in the active
    zone and language. A list shows the same few days many times, so the text of
    a day is kept per format and language."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = local(value)
        if format_name not in DATE_ONLY:
            return formats.date_format(value, format_name)
        value = value.date()
    return _format_day(value, format_name, translation.get_language())


@lru_cache(maxsize=4096)
def _day_label(day: date, language: str) -> str:
    return f"{formats.date_format(day, 'D')}, {formats.date_format(day, 'DATE_FORMAT')}"


def day_label(day: date) -> str:
    """ "Fri, Nov. 27, 2026": a grid block's day in its details."""
    return _day_label(day, translation.get_language())


@lru_cache(maxsize=8192)
def _translated(message: str, language: str) -> str:
    return gettext(message)


def translate(message: str) -> str:
    """``gettext``, kept per language: a list page asks for the same words on every row."""
    return _translated(message, translation.get_language())


def hm(value: datetime | None) -> str:
    """ "14:30" in the active time zone."""
    return "" if value is None else f"{local(value):%H:%M}"


def days_between(start: datetime, end: datetime) -> int:
    """How many calendar days after ``start``'s the day of ``end`` is, on the viewer's clock."""
    return (local(end).date() - local(start).date()).days


def end_hm(end: datetime, start: datetime) -> str:
    """ "01:30 (+1 day)": the end's time, marked when it falls on a later day than the start."""
    days = days_between(start, end)
    return f"{hm(end)} {plural('days_later', days)}" if days > 0 else hm(end)


def moment(value: datetime, now: datetime | None = None) -> str:
    """A time near now: "14:30" today, "tomorrow 00:30", else the date and time."""
    days = days_between(now or timezone.now(), value)
    if days == 0:
        return hm(value)
    if days == 1:
        return gettext("tomorrow %(time)s") % {"time": hm(value)}
    return f"{date_filter(value, 'j M')}, {hm(value)}"


def pagination_query(request: HttpRequest, page_key: str = "page") -> str:
    """The page's query string without ``page_key``, ready for ``page_key=N`` to follow."""
    query = request.GET.copy()
    query.pop(page_key, None)
    encoded = query.urlencode()
    return f"{encoded}&" if encoded else ""


#: Counted phrases of the Jinja2 pages, here so that ``makemessages`` finds them.
PLURALS: dict[str, Callable[[int], str]] = {
    "seats": lambda n: ngettext("%(capacity)s seat", "%(capacity)s seats", n) % {"capacity": n},
    "rooms_free": lambda n: ngettext("%(counter)s room is free", "%(counter)s rooms are free", n) % {"counter": n},
    "registered": lambda n: ngettext("%(counter)s registered", "%(counter)s registered", n) % {"counter": n},
    "days_later": lambda n: ngettext("(+%(days)s day)", "(+%(days)s days)", n) % {"days": n},
    "coming": lambda n: ngettext("%(counter)s person is coming", "%(counter)s people are coming", n) % {"counter": n},
    "were_coming": lambda n: (
        ngettext("%(counter)s person was registered", "%(counter)s people were registered", n) % {"counter": n}
    ),
}


def plural(name: str, count: int) -> str:
    return PLURALS[name](count)


def environment(**options: Any) -> Environment:
    env = Environment(**options)
    env.globals.update(
        {
            "_": translate,
            "gettext": translate,
            "ngettext": ngettext,
            "pgettext": pgettext,
            "url": path,
            "static": static,
            "get_messages": get_messages,
            "language_code": translation.get_language,
            "pagination_query": pagination_query,
            "plural": plural,
            "crispy_field": as_crispy_field,
            "slots_html": slots_html,
            "day_label": day_label,
        }
    )
    env.filters.update(
        {
            "date": date_filter,
            "hm": hm,
            "end_hm": end_hm,
            "moment": moment,
            "capfirst": capfirst,
            "linebreaks": linebreaks_filter,
        }
    )
    return env
