"""The usage report: per room, bookings, booked hours and occupancy of the
building's working hours over a period."""

import csv
import io
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Case, Count, DurationField, ExpressionWrapper, F, IntegerField, Q, Sum, Value, When
from django.db.models.functions import (
    ExtractHour,
    ExtractIsoWeekDay,
    ExtractMinute,
    ExtractSecond,
    Greatest,
    Least,
    TruncDate,
)
from django.db.models.lookups import Exact, GreaterThanOrEqual, In, LessThanOrEqual
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from rooms.models import Booking, Room


@dataclass
class RoomUsage:
    room: Room
    bookings: int
    booked_hours: float
    working_hours_booked: float
    occupancy: float

    @property
    def percent(self) -> float:
        return round(self.occupancy * 100, 1)


@dataclass
class UsageReport:
    start: date
    end: date
    working_hours: float
    rows: list[RoomUsage]

    @property
    def total_bookings(self) -> int:
        return sum(row.bookings for row in self.rows)

    @property
    def total_hours(self) -> float:
        return round(sum(row.booked_hours for row in self.rows), 2)

    def table(self) -> list[list[object]]:
        header = [_("Room"), _("Location"), _("Seats"), _("Bookings"), _("Booked hours"), _("Occupancy, %")]
        body = [
            [r.room.name, r.room.location, r.room.capacity, r.bookings, r.booked_hours, r.percent] for r in self.rows
        ]
        return [header, *body]


def _zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.BUILDING_TIME_ZONE)


def working_windows(start: date, end: date) -> list[tuple[datetime, datetime]]:
    """The building's open hours on each working day from ``start`` to ``end`` inclusive."""
    zone = _zone()
    windows = []
    day = start
    while day <= end:
        if day.weekday() in settings.BUILDING_WORKDAYS:
            windows.append(
                (
                    datetime.combine(day, time(settings.BUILDING_OPEN_HOUR), tzinfo=zone),
                    datetime.combine(day, time(settings.BUILDING_CLOSE_HOUR), tzinfo=zone),
                )
            )
        day += timedelta(days=1)
    return windows


def _seconds_of_day(field: str, zone: zoneinfo.ZoneInfo) -> Any:
    """The wall-clock time of ``field`` in ``zone``, in seconds since its midnight."""
    return (
        ExtractHour(field, tzinfo=zone) * 3600
        + ExtractMinute(field, tzinfo=zone) * 60
        + ExtractSecond(field, tzinfo=zone)
    )


def _clip(lower: Any, upper: Any) -> Any:
    """``upper - lower`` when positive, else 0 (integers)."""
    return Greatest(Value(0), upper - lower)


def usage_report(start: date, end: date, rooms: Iterable[Room] | None = None) -> UsageReport:
    """Standing bookings touching [start 00:00, end+1 00:00) in the building's zone.

    A booking counts once in the period it touches; booked hours are clipped to
    the period; occupancy is the booked share of the building's working hours
    (``BUILDING_OPEN_HOUR``-``BUILDING_CLOSE_HOUR`` on ``BUILDING_WORKDAYS``).

    One grouped query computes it in the database, so its cost grows with the
    bookings only inside the database, linearly. A booking lasts at most a day
    (``BOOKING_MAX_HOURS``), so it meets at most two working days: the one it
    starts on, up to its end or midnight, and the next, from midnight. The
    overlap with each day's opening hours is taken on the wall clock.
    """
    zone = _zone()
    period_start = datetime.combine(start, time(), tzinfo=zone)
    period_end = datetime.combine(end + timedelta(days=1), time(), tzinfo=zone)
    chosen = list(rooms) if rooms is not None else list(Room.objects.order_by("name"))
    windows = working_windows(start, end)
    open_seconds = sum((close - open_).total_seconds() for open_, close in windows)
    opens, closes = Value(settings.BUILDING_OPEN_HOUR * 3600), Value(settings.BUILDING_CLOSE_HOUR * 3600)
    workdays = [day + 1 for day in settings.BUILDING_WORKDAYS]  # ISO weekdays
    first_day, last_day = TruncDate("start", tzinfo=zone), TruncDate("end", tzinfo=zone)
    starts, ends = _seconds_of_day("start", zone), _seconds_of_day("end", zone)
    same_day = Exact(first_day, last_day)
    on_first_day = Case(
        When(
            Q(same_day, In(ExtractIsoWeekDay("start", tzinfo=zone), workdays), GreaterThanOrEqual(first_day, start)),
            then=_clip(Greatest(starts, opens), Least(ends, closes)),
        ),
        When(
            Q(In(ExtractIsoWeekDay("start", tzinfo=zone), workdays), GreaterThanOrEqual(first_day, start)),
            then=_clip(Greatest(starts, opens), closes),
        ),
        default=Value(0),
    )
    on_next_day = Case(
        When(
            Q(~Q(same_day), In(ExtractIsoWeekDay("end", tzinfo=zone), workdays), LessThanOrEqual(last_day, end)),
            then=_clip(opens, Least(ends, closes)),
        ),
        default=Value(0),
    )
    clipped = ExpressionWrapper(
        Least(F("end"), Value(period_end)) - Greatest(F("start"), Value(period_start)), output_field=DurationField()
    )
    totals = {
        row["room_id"]: row
        for row in Booking.objects.active()
        .filter(room__in=chosen, start__lt=period_end, end__gt=period_start)
        .order_by()
        .values("room_id")
        .annotate(
            bookings=Count("pk"),
            booked=Sum(clipped),
            working=Sum(on_first_day + on_next_day, output_field=IntegerField()),
        )
    }
    rows = []
    for room in chosen:
        row = totals.get(room.pk, {"bookings": 0, "booked": None, "working": 0})
        booked = row["booked"].total_seconds() if row["booked"] else 0.0
        working = float(row["working"] or 0)
        rows.append(
            RoomUsage(
                room=room,
                bookings=row["bookings"],
                booked_hours=round(booked / 3600, 2),
                working_hours_booked=round(working / 3600, 2),
                occupancy=(working / open_seconds) if open_seconds else 0.0,
            )
        )
    return UsageReport(start=start, end=end, working_hours=round(open_seconds / 3600, 2), rows=rows)


#: A cell starting with one of these is a formula to a spreadsheet program.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert(value: object) -> object:
    """A text cell that a spreadsheet program will show, never run (OWASP's CSV injection advice)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(report: UsageReport) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerows([[inert(cell) for cell in row] for row in report.table()])
    return buffer.getvalue()


def to_xlsx(report: UsageReport) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Usage")[:31]
    for row in report.table():
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text, even when it starts with "="
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for column, width in zip("ABCDEF", (24, 28, 8, 10, 14, 14), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.append([])
    sheet.append([_("Period"), f"{report.start.isoformat()} – {report.end.isoformat()}"])
    sheet.append([_("Working hours per room"), report.working_hours])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
