"""Writes on people: their working week."""

from datetime import time

from django.db import transaction

from accounts.models import DEFAULT_HOURS, DEFAULT_WORKING_DAYS, User, WorkingHours

DayHours = tuple[time, time, time | None, time | None]


def give_default_working_hours(user: User) -> None:
    """Mon-Fri 10:00-18:00 with a 12:00-13:00 break, for a user who has none."""
    if user.working_hours.exists():
        return
    WorkingHours.objects.bulk_create(
        [WorkingHours(user=user, weekday=weekday, **DEFAULT_HOURS) for weekday in DEFAULT_WORKING_DAYS]
    )


def set_working_hours(*, user: User, week: dict[int, DayHours | None]) -> list[WorkingHours]:
    """Replace ``user``'s working week: ``week[weekday]`` is (start, end, break
    start, break end), or None for a day off. Every day is validated before any
    is written; a ``ValidationError`` leaves the week as it was."""
    rows = []
    for weekday in sorted(week):
        hours = week[weekday]
        if hours is None:
            continue
        start, end, break_start, break_end = hours
        row = WorkingHours(
            user=user, weekday=weekday, start=start, end=end, break_start=break_start, break_end=break_end
        )
        row.full_clean(exclude=["user"], validate_unique=False, validate_constraints=False)
        rows.append(row)
    with transaction.atomic():
        WorkingHours.objects.filter(user=user).delete()
        WorkingHours.objects.bulk_create(rows)
    return rows
