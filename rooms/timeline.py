"""Placing bookings on a one-day strip for the room page."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import islice

from django.utils import timezone

from rooms.models import Booking

DAY_START_HOUR = 8
DAY_END_HOUR = 20


@dataclass(slots=True)
class Block:
    booking: Booking
    left: float
    width: float
    style: str = ""

    def __post_init__(self) -> None:
        self.style = f"left: {self.left:.3f}%; width: {self.width:.3f}%"


@dataclass(slots=True)
class Slot:
    """A half hour of the strip; its strings are made once, when it is built."""

    start: datetime
    left: float
    width: float
    free: bool
    style: str = ""
    query: str = ""
    label: str = ""
    key: str = ""

    def __post_init__(self) -> None:
        self.style = f"left: {self.left:.3f}%; width: {self.width:.3f}%"
        day, self.label = f"{self.start:%Y-%m-%d}", f"{self.start:%H:%M}"
        self.query = f"date={day}&start={self.label}"
        self.key = f"{day}T{self.label}"


@dataclass
class DayTimeline:
    day: date
    start: datetime
    end: datetime
    hours: list[tuple[float, datetime]]
    blocks: list[Block]
    slots: list[Slot]
    now_left: float | None


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
) -> DayTimeline:
    """The strip for ``day`` in the active time zone, over ``window`` (by default
    ``day_window(day, bookings)``; a grid passes one window for all its rows)."""
    now = now or timezone.now()
    zone = timezone.get_current_timezone()
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
    hours = []
    moment = start
    while moment < end:
        hours.append((_percent(moment, start, total), timezone.localtime(moment, zone)))
        moment += timedelta(hours=1)
    slots = []
    spans = sorted((b.start, b.end) for b in bookings)
    moment, index = start, 0
    while moment < end:
        slot_end = moment + timedelta(minutes=30)
        while index < len(spans) and spans[index][1] <= moment:
            index += 1
        busy = False
        for b_start, b_end in islice(spans, index, None):
            if b_start >= slot_end:
                break
            if b_end > moment:
                busy = True
                break
        left = _percent(moment, start, total)
        slots.append(
            Slot(
                timezone.localtime(max(moment, now) if moment < now < slot_end else moment, zone),
                left,
                _percent(slot_end, start, total) - left,
                slot_end > now and not busy,
            )
        )
        moment = slot_end
    now_left = _percent(now, start, total) if start <= now < end else None
    return DayTimeline(day, start, end, hours, blocks, slots, now_left)
