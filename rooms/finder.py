"""Finding a free room for a span and a group, or the nearest free times."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from rooms.models import Booking, Room, RoomQuerySet
from rooms.timeline import DAY_END_HOUR, DAY_START_HOUR


def fitting_rooms(people: int, equipment: list[str]) -> RoomQuerySet:
    return Room.objects.active().filter(capacity__gte=people).with_equipment(equipment)


def free_rooms_query(start: datetime, end: datetime, people: int, equipment: list[str]) -> RoomQuerySet:
    """Active rooms seating ``people`` with all of ``equipment`` and no standing
    booking touching [start, end); smallest fitting first."""
    busy = Booking.objects.active().touching(start, end).values("room_id")
    return fitting_rooms(people, equipment).exclude(pk__in=busy).order_by("capacity", "name", "pk")


def free_rooms(start: datetime, end: datetime, people: int, equipment: list[str]) -> list[Room]:
    return list(free_rooms_query(start, end, people, equipment))


@dataclass
class Suggestion:
    room: Room
    start: datetime
    end: datetime


def nearest_free_times(
    day: date, start: datetime, end: datetime, people: int, equipment: list[str], limit: int = 6
) -> list[Suggestion]:
    """For fitting rooms, the free spans of the same length on ``day`` (08:00-20:00,
    or wider to cover the request) closest to the requested start, not in the past."""
    zone = timezone.get_current_timezone()
    length = end - start
    open_at = min(start, timezone.make_aware(datetime.combine(day, time(DAY_START_HOUR)), zone))
    close_at = max(end, timezone.make_aware(datetime.combine(day, time(DAY_END_HOUR)), zone))
    now = timezone.now()
    earliest = max(open_at, now)
    rooms = list(fitting_rooms(people, equipment).order_by("capacity", "name"))
    bookings = (
        Booking.objects.active()
        .filter(room__in=rooms)
        .touching(open_at, close_at)
        .order_by("start")
        .values_list("room_id", "start", "end")
    )
    taken: dict[int, list[tuple[datetime, datetime]]] = {}
    for room_id, b_start, b_end in bookings:
        taken.setdefault(room_id, []).append((b_start, b_end))
    suggestions = []
    for room in rooms:
        cursor = earliest
        gaps = []
        for b_start, b_end in [*taken.get(room.pk, []), (close_at, close_at)]:
            if b_start > cursor:
                gaps.append((cursor, min(b_start, close_at)))
            cursor = max(cursor, b_end)
        best = None
        for gap_start, gap_end in gaps:
            if gap_end - gap_start < length:
                continue
            candidate = min(max(start, gap_start), gap_end - length)
            candidate = _round_up(candidate, gap_end - length)
            if best is None or abs(candidate - start) < abs(best - start):
                best = candidate
        if best is not None:
            suggestions.append(Suggestion(room, best, best + length))
    suggestions.sort(key=lambda s: (abs(s.start - start), s.room.capacity, s.room.name))
    return suggestions[:limit]


def _round_up(moment: datetime, latest: datetime) -> datetime:
    """To the next 5 minutes, unless that would run past ``latest``."""
    rounded = moment.replace(second=0, microsecond=0)
    if rounded < moment:
        rounded += timedelta(minutes=1)
    extra = (-rounded.minute) % 5
    rounded += timedelta(minutes=extra)
    return rounded if rounded <= latest else moment
