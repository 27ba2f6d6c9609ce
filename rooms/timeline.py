"""Placing bookings on strips of a day: the day timeline, a room's week and its page.

The axis runs on real instants and is labelled on the viewer's clock, so a day
whose clocks change is drawn as it is lived: when they spring forward the skipped
hour has no column and no mark, when they fall back the repeated hour has two.
Half hours whose wall time does not name one instant (the repeated hour) are drawn
but not offered for booking, since a time typed in a form could not tell them apart.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import cached_property
from itertools import islice
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext
from markupsafe import Markup, escape

SLOT = timedelta(minutes=30)
DAY_START_HOUR = 8
DAY_END_HOUR = 20


def wall_time_is_unique(moment: datetime, zone: tzinfo) -> bool:
    """Whether the wall time of ``moment`` in ``zone`` happens once that day."""
    naive = moment.astimezone(zone).replace(tzinfo=None)
    return naive.replace(tzinfo=zone, fold=0).utcoffset() == naive.replace(tzinfo=zone, fold=1).utcoffset()


def _percent(moment: datetime, start: datetime, total: float) -> float:
    return round((moment - start).total_seconds() / total * 100, 3)


@dataclass(slots=True)
class Column:
    """A half hour of a grid's window (real instants, in UTC), shared by every row
    that uses the window. Its strings are made once, ready for HTML; ``query`` is
    the booking form's prefill for exactly this half hour (or, for the one holding
    ``now``, for what is left of it from the next five minutes). ``key`` names the
    half hour itself, so it is unique in the window even when the prefill starts
    later."""

    start: datetime
    end: datetime
    left: float
    width: float
    open: bool
    bookable: bool
    style: str = ""
    query: str = ""
    label: str = ""
    key: str = ""
    span: str = ""

    def fill(self, zone: tzinfo, book_start: datetime) -> None:
        """Prefill [``book_start``, the half hour's end): never beyond the half
        hour, which may be booked, or joined to the next one by a drag."""
        local_start, local_end = book_start.astimezone(zone), self.end.astimezone(zone)
        day, self.label = f"{local_start:%Y-%m-%d}", f"{local_start:%H:%M}"
        end_day, end_label = f"{local_end:%Y-%m-%d}", f"{local_end:%H:%M}"
        self.style = f"left: {self.left:.3f}%; width: {self.width:.3f}%"
        self.query = f"date={day}&amp;start={self.label}&amp;end={end_label}"
        if end_day != day:
            self.query += f"&amp;end_date={end_day}"
        self.key = f"{self.start.astimezone(zone):%Y-%m-%dT%H:%M}"
        self.span = f'data-start="{day}T{self.label}" data-end="{end_day}T{end_label}"'


@dataclass(slots=True)
class Slot:
    """A half hour of one row: its column, and whether it can be booked."""

    column: Column
    free: bool

    @property
    def start(self) -> datetime:
        return self.column.start.astimezone(timezone.get_current_timezone())


def _ceil_five_minutes(moment: datetime) -> datetime:
    rounded = moment.replace(second=0, microsecond=0)
    if rounded < moment:
        rounded += timedelta(minutes=1)
    return rounded + timedelta(minutes=-rounded.minute % 5)


def columns(window: tuple[datetime, datetime], now: datetime) -> list[Column]:
    """The half hours of ``window``, stepped on real time, labelled in the active zone.
    The one holding ``now`` is offered from the next five minutes to its end, if
    that leaves the shortest booking allowed (``BOOKING_MIN_MINUTES``)."""
    zone = timezone.get_current_timezone()
    shortest = timedelta(minutes=settings.BOOKING_MIN_MINUTES)
    start, end = (moment.astimezone(UTC) for moment in window)
    total = (end - start).total_seconds()
    result = []
    moment = start
    while moment < end:
        slot_end = min(moment + SLOT, end)
        left = _percent(moment, start, total)
        book_start = _ceil_five_minutes(now) if moment < now < slot_end else moment
        column = Column(
            moment,
            slot_end,
            left,
            _percent(slot_end, start, total) - left,
            slot_end > now and slot_end - book_start >= shortest,
            wall_time_is_unique(moment, zone) and wall_time_is_unique(slot_end, zone),
        )
        column.fill(zone, book_start)
        result.append(column)
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
                f'data-slot="{column.key}" {column.span}></a></div>'
            )
        else:
            cells.append(f'<div class="timeline-slot" style="{column.style}"></div>')
    return Markup("".join(cells))


@dataclass(slots=True)
class Block:
    """A booking on a strip, cut to the strip's window; its times are its own."""

    booking: Any
    left: float
    width: float
    style: str = ""
    starts: str = ""
    ends: str = ""
    next_day: bool = False
    start_day: date | None = None

    def __post_init__(self) -> None:
        self.style = f"left: {self.left:.3f}%; width: {self.width:.3f}%"
        local_start, local_end = timezone.localtime(self.booking.start), timezone.localtime(self.booking.end)
        self.starts, self.ends = f"{local_start:%H:%M}", f"{local_end:%H:%M}"
        self.next_day = local_end.date() > local_start.date()
        self.start_day = local_start.date()


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
        """The hour marks: every real instant in the window at a whole hour of the
        viewer's clock (none for a skipped hour, two for a repeated one)."""
        zone = timezone.get_current_timezone()
        start, end = self.start.astimezone(UTC), self.end.astimezone(UTC)
        total = (end - start).total_seconds()
        marks = []
        moment = start
        while moment < end:
            local = moment.astimezone(zone)
            if local.minute == 0:
                marks.append((_percent(moment, start, total), local))
            moment += SLOT
        return marks


def day_window(day: date, bookings: list[Any]) -> tuple[datetime, datetime]:
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
            local = timezone.localtime(b_start, zone)
            start = local - timedelta(minutes=local.minute, seconds=local.second, microseconds=local.microsecond)
        if b_end > end:
            local = timezone.localtime(b_end, zone)
            rounded = local - timedelta(minutes=local.minute, seconds=local.second, microseconds=local.microsecond)
            if rounded < local:
                rounded = (rounded.astimezone(UTC) + timedelta(hours=1)).astimezone(zone)
            end = min(next_midnight, rounded)
    return start, end


def build_day_timeline(
    day: date,
    bookings: list[Any],
    now: datetime | None = None,
    window: tuple[datetime, datetime] | None = None,
    grid: list[Column] | None = None,
) -> DayTimeline:
    """The strip for ``day`` in the active time zone, over ``window`` (by default
    ``day_window(day, bookings)``; a grid passes one window, and its ``columns``,
    for all its rows)."""
    now = now or timezone.now()
    start, end = window or day_window(day, bookings)
    start_utc, end_utc = start.astimezone(UTC), end.astimezone(UTC)
    total = (end_utc - start_utc).total_seconds()
    blocks = []
    for booking in bookings:
        b_start, b_end = max(booking.start, start_utc), min(booking.end, end_utc)
        if b_start < b_end:
            left = _percent(b_start, start_utc, total)
            blocks.append(Block(booking, left, _percent(b_end, start_utc, total) - left))
    slots = []
    spans = sorted((b.start, b.end) for b in bookings)
    index = 0
    for column in grid or columns((start, end), now):
        while index < len(spans) and spans[index][1] <= column.start:
            index += 1
        busy = False
        for b_start, b_end in islice(spans, index, None):
            if b_start >= column.end:
                break
            if b_end > column.start:
                busy = True
                break
        slots.append(Slot(column, column.open and column.bookable and not busy))
    now_left = _percent(now, start_utc, total) if start_utc <= now < end_utc else None
    return DayTimeline(day, start, end, blocks, slots, now_left)
