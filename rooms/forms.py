from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from booking_site.forms import model_field
from booking_site.spans import check_order, validate_day
from rooms.models import Booking, Equipment, Room
from rooms.timeline import wall_time_is_unique

Moment = TypeVar("Moment", date, time)


def local_datetime(day: date, moment: time) -> datetime:
    """``day`` at ``moment`` in the active time zone, refusing wall times that a
    clock change skips, or repeats (they would not name one instant)."""
    zone = timezone.get_current_timezone()
    naive = datetime.combine(day, moment)
    aware = timezone.make_aware(naive, zone)
    if aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive:
        raise forms.ValidationError(
            _("%(time)s does not exist on that day in your time zone (the clocks change)."),
            params={"time": moment.strftime("%H:%M")},
            code="nonexistent",
        )
    if not wall_time_is_unique(aware, zone):
        raise forms.ValidationError(
            _("%(time)s happens twice on that day in your time zone (the clocks go back); choose another time."),
            params={"time": moment.strftime("%H:%M")},
            code="ambiguous",
        )
    return aware


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs={"step": 300, **(attrs or {})}, format="%H:%M")


class SpanForm(forms.Form):
    """A start (date and time) and an end (date and time), typed in the person's
    own time zone, so that a span may cross midnight; an empty end date is the
    start's. ``cleaned_data`` gets the aware ``start`` and ``end``."""

    date = forms.DateField(label=_("Start date"), widget=DateInput(), validators=[validate_day])
    start_time = forms.TimeField(label=_("Start time"), widget=TimeInput())
    end_date = forms.DateField(label=_("End date"), widget=DateInput(), validators=[validate_day], required=False)
    end_time = forms.TimeField(label=_("End time"), widget=TimeInput())

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        day, start_time, end_time = data.get("date"), data.get("start_time"), data.get("end_time")
        if day is None or start_time is None or end_time is None or "end_date" in self.errors:
            return data
        end_day = data.get("end_date") or day
        kept_start, kept_end = self.initial.get("span") or (None, None)
        for name, field, wall, kept in (
            ("start", "start_time", (day, start_time), kept_start),
            ("end", "end_time", (end_day, end_time), kept_end),
        ):
            if kept is not None and wall == self._initial_wall(name):
                # Unchanged on the form: the stored instant, even where its wall
                # time alone could not name it (a repeated hour).
                data[name] = kept
                continue
            try:
                data[name] = local_datetime(*wall)
            except forms.ValidationError as error:
                self.add_error(field, error)
        if "start" in data and "end" in data:
            try:
                check_order(data["start"], data["end"], "end_time")
            except ValidationError as error:
                self.add_error(None, error)
        return data

    def _initial_wall(self, name: str) -> tuple[Any, Any]:
        """The (date, time) the form was opened with for the start or the end."""
        if name == "start":
            return self.initial.get("date"), self.initial.get("start_time")
        return self.initial.get("end_date") or self.initial.get("date"), self.initial.get("end_time")

    @staticmethod
    def initial_for(start: datetime, end: datetime, **extra: Any) -> dict[str, Any]:
        """The fields for [start, end) on the person's clock, the end's date its own,
        and the instants themselves (``span``), kept when the fields come back unchanged."""
        local_start, local_end = timezone.localtime(start), timezone.localtime(end)
        return {
            "span": (start, end),
            "date": local_start.date(),
            "start_time": local_start.time().replace(second=0, microsecond=0),
            "end_date": local_end.date(),
            "end_time": local_end.time().replace(second=0, microsecond=0),
            **extra,
        }

    @classmethod
    def initial_from_query(cls, query: Any, fallback: Callable[[], datetime], length: timedelta) -> dict[str, Any]:
        """The prefill a link asks for (``date``, ``start``, ``end`` and ``end_date``
        on the person's clock, as the timeline, the finder and the room page write
        them), made whole: a start without an end, or with an end equal to it, gets
        ``length``; an empty parameter counts as absent; what cannot be read (a
        time or date with an offset too) falls back to ``fallback()``."""

        def usual() -> dict[str, Any]:
            moment = fallback()
            return cls.initial_for(moment, moment + length)

        try:
            day = _read(query, "date", date.fromisoformat)
            start_time = _read(query, "start", time.fromisoformat)
            end_time = _read(query, "end", time.fromisoformat)
            end_day = _read(query, "end_date", date.fromisoformat)
            if day is not None:
                validate_day(day)
            if end_day is not None:
                validate_day(end_day)
            start = local_datetime(day, start_time or time(9)) if day else None
        except (ValueError, ValidationError):
            return usual()
        if start is None:
            return usual()
        if end_time is None:
            return cls.initial_for(start, start + length)
        end_day = end_day or (day if end_time >= start.time() else day + timedelta(days=1))
        try:
            end = local_datetime(end_day, end_time)
        except (ValueError, ValidationError):
            end = start + length
        return cls.initial_for(start, end if end > start else start + length)


def _read(query: Any, name: str, parse: Callable[[str], Moment]) -> Moment | None:
    """``query[name]`` parsed, None when absent or empty; ValueError when it cannot
    be read or carries a UTC offset (a prefill is on the person's own clock)."""
    value = query.get(name) or None
    if value is None:
        return None
    parsed = parse(value)
    if getattr(parsed, "tzinfo", None) is not None:
        raise ValueError(f"{name} has a UTC offset")
    return parsed


class BookingForm(SpanForm):
    """Title, date, start and end of a booking (and its room when editing)."""

    title = model_field(Booking, "title", label=_("Title"))
    field_order = ["title", "room", "date", "start_time", "end_date", "end_time"]

    def __init__(self, *args: Any, with_room: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if with_room:
            self.fields["room"] = forms.ModelChoiceField(
                label=_("Room"), queryset=Room.objects.active(), empty_label=None
            )
            self.order_fields(self.field_order)


class RoomFilterForm(forms.Form):
    capacity = forms.IntegerField(label=_("At least … people"), min_value=1, max_value=10000, required=False)
    equipment = forms.MultipleChoiceField(
        label=_("Equipment"),
        choices=Equipment.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )

    def filter(self, rooms: Any) -> Any:
        if not self.is_valid():
            return rooms
        if self.cleaned_data.get("capacity"):
            rooms = rooms.filter(capacity__gte=self.cleaned_data["capacity"])
        if self.cleaned_data.get("equipment"):
            rooms = rooms.with_equipment(self.cleaned_data["equipment"])
        return rooms


def ceil_half_hour(moment: datetime) -> datetime:
    floor = moment.replace(minute=moment.minute - moment.minute % 30, second=0, microsecond=0)
    return floor if floor == moment else floor + timedelta(minutes=30)


def next_free_slot(room: Room, now: datetime | None = None, length: timedelta = timedelta(minutes=30)) -> datetime:
    """The first half-hour boundary from ``now`` on where ``room`` is free for ``length``."""
    candidate = ceil_half_hour(timezone.localtime(now or timezone.now()))
    for booking in room.bookings.active().filter(end__gt=candidate).order_by("start")[:200]:
        if booking.start >= candidate + length:
            break
        candidate = max(candidate, ceil_half_hour(timezone.localtime(booking.end)))
    return candidate


class FinderForm(SpanForm):
    people = forms.IntegerField(label=_("People"), min_value=1, max_value=10000, initial=4)
    equipment = forms.MultipleChoiceField(
        label=_("Equipment"),
        choices=Equipment.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    field_order = ["date", "start_time", "end_date", "end_time", "people", "equipment"]


class UsageReportForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=DateInput(), validators=[validate_day])
    end = forms.DateField(label=_("Until"), widget=DateInput(), validators=[validate_day])
    rooms = forms.ModelMultipleChoiceField(
        label=_("Rooms"),
        queryset=Room.objects.order_by("name"),
        required=False,
        help_text=_("Leave empty for every room."),
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", _("The end must not be before the start."))
            elif (end - start).days > 3660:
                self.add_error("end", _("Choose a period of at most ten years."))
        return data
