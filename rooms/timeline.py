"""Placing bookings on a one-day strip for the room page."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cached_property
from itertools import islice

from django.utils import timezone
from django.utils.translation import gettext
from markupsafe import Markup, escape

from rooms.models import Booking

DAY_START_HOUR = 8
DAY_END_HOUR = 20


@dataclass(slots=True)
class Block:
    booking: Booking
    left: float
    width: float
    style: str = ""
    starts: str = ""
    ends: str = ""

    def __post_init__(self) -> None:
        self.style = f"left: {self.left:.3f}%; width: {self.width:.3f}%"
        self.starts = f"{timezone.localtime(self.booking.start):%H:%M}"
        self.ends = f"{timezone.localtime(self.booking.end):%H:%M}"


@dataclass(slots=True)
class Column:
    """A half hour of a grid's window, shared by every row that uses the window;
    its strings are made once, ready for HTML. The half hour holding ``now``
    starts at ``now``."""

    start: datetime
    end: datetime
    left: float
    width: float
    open: bool
    style: str = ""
    query: str = ""
    label: str = ""
    key: str = ""

    def __post_init__(self) -> None:
        self.style = f"left: {self.left:.3f}%; width: {self.width:.3f}%"
        day, self.label = f"{self.start:%Y-%m-%d}", f"{self.start:%H:%M}"
        self.query = f"date={day}&amp;start={self.label}"
        self.key = f"{day}T{self.label}"


@dataclass(slots=True)
class Slot:
    """A half hour of one row: its column, and whether it can be booked."""

    column: Column
    free: bool

    @property
    def start(self) -> datetime:
        return self.column.start


def columns(window: tuple[datetime, datetime], now: datetime) -> list[Column]:
    """The half hours of ``window`` in the active time zone."""
    zone = timezone.get_current_timezone()
    start, end = window
    total = (end - start).total_seconds()
    result = []
    moment = start
    while moment < end:
        slot_end = moment + timedelta(minutes=30)
        left = _percent(moment, start, total)
        shown = max(moment, now) if moment < now < slot_end else moment
        result.append(
            Column(
                timezone.localtime(shown, zone),
                slot_end,
                left,
                _percent(slot_end, start, total) - left,
                slot_end > now,
            )
        )
        moment = slot_end
    return result


def slots_html(slots: list[Slot], book_url: str, room_name: str) -> Markup:
    """The cells of one row: a link to the booking form for each free half hour.

    A day grid has some 600 of them; one f-string each costs a fraction of a
    template's per-cell work (``docs/benchmark.md``). Only ``book_url`` and
    ``room_name`` come from outside, and they are escaped here; the columns'
    strings are digits, times and dates."""
    book_from = gettext("Book from")
    url, prefix, label = escape(book_url), escape(book_from), escape(f"{room_name}: {book_from}")
    cells = []
    for slot in slots:
        column = slot.column
        if slot.free:
            cells.append(
                f'<div class="timeline-slot free" style="{column.style}"><a href="{url}?{column.query}" '
                f'title="{prefix} {column.label}" aria-label="{label} {column.label}" '
                f'data-slot="{column.key}"></a></div>'
            )
        else:
            cells.append(f'<div class="timeline-slot" style="{column.style}"></div>')
    return Markup("".join(cells))


@dataclass
class DayTimeline:
    day: date
    start: datetime
    end: datetime
    blocks: list[Block]
    slots: list[Slot]
    now_left: float | None

    @cached_property
    def hours(self) -> list[tuple[float, datetime]]:
        """The hour marks of the strip (only the header of a grid shows them)."""
        zone = timezone.get_current_timezone()
        total = (self.end - self.start).total_seconds()
        hours = []
        moment = self.start
        while moment < self.end:
            hours.append((_percent(moment, self.start, total), timezone.localtime(moment, zone)))
            moment += timedelta(hours=1)
        return hours


def _percent(moment: datetime, start: datetime, total: float) -> float:
    return round((moment - start).total_seconds() / total * 100, 3)


def day_window(day: date, bookings: list[Booking]) -> tuple[datetime, datetime]:
    """08:00-20:00 of ``day`` in the active zone, widened to whole hours that
    cover any of ``bookings`` on that day."""
    zone = timezone.get_current_timezone()
    midnight = timezone.make_aware(datetime.combine(day, time()), zone)
    next_midnight = timezone.make_aware(datetime.combine(day + timedelta(days=1), time()), zone)
    start = timezone.make_aware(datetime.combine(day, time(DAY_START_HOUR)), zone)
    end = timezone.make_aware(datetime.combine(day, time(DAY_END_HOUR)), zone)
    for booking in bookings:
        b_start = max(booking.start, midnight)
        b_end = min(booking.end, next_midnight)
        if b_start >= b_end:
            continue
        if b_start < start:
            start = timezone.localtime(b_start, zone).replace(minute=0, second=0, microsecond=0)
        if b_end > end:
            local_end = timezone.localtime(b_end, zone)
            rounded = local_end.replace(minute=0, second=0, microsecond=0)
            end = min(next_midnight, rounded + timedelta(hours=1) if rounded < local_end else rounded)
    return start, end


def build_day_timeline(
    day: date,
    bookings: list[Booking],
    now: datetime | None = None,
    window: tuple[datetime, datetime] | None = None,
    grid: list[Column] | None = None,
) -> DayTimeline:
    """The strip for ``day`` in the active time zone, over ``window`` (by default
    ``day_window(day, bookings)``; a grid passes one window, and its ``columns``,
    for all its rows)."""
    now = now or timezone.now()
    start, end = window or day_window(day, bookings)
    total = (end - start).total_seconds()
    blocks = []
    for booking in bookings:
        b_start, b_end = max(booking.start, start), min(booking.end, end)
        if b_start < b_end:
            blocks.append(
                Block(
                    booking,
                    _percent(b_start, start, total),
                    _percent(b_end, start, total) - _percent(b_start, start, total),
                )
            )
    slots = []
    spans = sorted((b.start, b.end) for b in bookings)
    index = 0
    for column in grid or columns((start, end), now):
        moment = column.end - timedelta(minutes=30)
        while index < len(spans) and spans[index][1] <= moment:
            index += 1
        busy = False
        for b_start, b_end in islice(spans, index, None):
            if b_start >= column.end:
                break
            if b_end > moment:
                busy = True
                break
        slots.append(Slot(column, column.open and not busy))
    now_left = _percent(now, start, total) if start <= now < end else None
    return DayTimeline(day, start, end, blocks, slots, now_left)
