"""Placing bookings on a one-day strip for the room page."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from rooms.models import Booking

DAY_START_HOUR = 8
DAY_END_HOUR = 20


@dataclass
class Block:
    booking: Booking
    left: float
    width: float

    @property
    def style(self) -> str:
        return f"left: {self.left:.3f}%; width: {self.width:.3f}%"


@dataclass
class Slot:
    start: datetime
    left: float
    width: float
    free: bool

    @property
    def style(self) -> str:
        return f"left: {self.left:.3f}%; width: {self.width:.3f}%"

    @property
    def query(self) -> str:
        """The booking form's prefill for this half hour, as a query string."""
        return f"date={self.start:%Y-%m-%d}&start={self.start:%H:%M}"

    @property
    def label(self) -> str:
        return f"{self.start:%H:%M}"

    @property
    def key(self) -> str:
        return f"{self.start:%Y-%m-%dT%H:%M}"


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
    moment = start
    while moment < end:
        slot_end = moment + timedelta(minutes=30)
        free = slot_end > now and not any(b.start < slot_end and b.end > moment for b in bookings)
        slots.append(
            Slot(
                timezone.localtime(max(moment, now) if moment < now < slot_end else moment, zone),
                _percent(moment, start, total),
                _percent(slot_end, start, total) - _percent(moment, start, total),
                free,
            )
        )
        moment = slot_end
    now_left = _percent(now, start, total) if start <= now < end else None
    return DayTimeline(day, start, end, hours, blocks, slots, now_left)
