"""Is a person at work for the whole of a span of time?"""

import zoneinfo
from collections.abc import Iterable
from datetime import datetime

from django.utils import formats
from django.utils.translation import gettext as _

from accounts.models import User, Weekday, WorkingHours


def _zone(user: User) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(user.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def working_hours_problem(
    user: User, start: datetime, end: datetime, hours: Iterable[WorkingHours] | None = None
) -> str | None:
    """Why ``user`` is not at work for the whole of [start, end), or None if they are.

    The span is read in the user's own time zone. It must lie inside one working
    day (a weekday with hours), between that day's start and end, and must not
    touch the break: [break_start, break_end) is half-open, so a span may end
    exactly when the break starts. ``hours`` may pass prefetched rows.
    """
    zone = _zone(user)
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    name = user.display_name
    if local_start.date() != local_end.date():
        return _("%(name)s's working day does not cross midnight (%(zone)s).") % {"name": name, "zone": user.timezone}
    weekday = local_start.weekday()
    rows = hours if hours is not None else user.working_hours.all()
    day = next((row for row in rows if row.weekday == weekday), None)
    day_name = Weekday(weekday).label
    date_text = formats.date_format(local_start, "DATE_FORMAT")
    if day is None:
        return _("%(name)s does not work on %(weekday)s (%(date)s).") % {
            "name": name,
            "weekday": day_name,
            "date": date_text,
        }
    wall_start, wall_end = local_start.time(), local_end.time()
    inside_day = day.start <= wall_start and wall_end <= day.end
    in_break = (
        day.break_start is not None
        and day.break_end is not None
        and wall_start < day.break_end
        and day.break_start < wall_end
    )
    if inside_day and not in_break:
        return None
    return _("%(name)s works %(hours)s on %(weekday)s (%(zone)s); %(span)s is outside that.") % {
        "name": name,
        "hours": day.describe(),
        "weekday": day_name,
        "zone": user.timezone,
        "span": f"{wall_start:%H:%M}–{wall_end:%H:%M}",
    }


def is_at_work(user: User, start: datetime, end: datetime, hours: Iterable[WorkingHours] | None = None) -> bool:
    return working_hours_problem(user, start, end, hours) is None
