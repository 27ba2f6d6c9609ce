"""What bookings and events share: a span of time [start, end) that can be cancelled.

The rules on a span are written here once: the end comes after the start (a
check constraint, and the same message from ``check_order`` wherever a form or
a query parameter holds a span that is not saved), and times lie in a range that
time-zone arithmetic cannot overflow (a field validator, reused by ModelForms and
ModelSerializers, and ``validate_day`` for dates).
"""

from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

FIRST_YEAR, LAST_YEAR = 2000, 2999
EARLIEST_DAY, LATEST_DAY = date(FIRST_YEAR, 1, 1), date(LAST_YEAR, 12, 31)
END_AFTER_START = _("The end must be after the start.")
OUT_OF_RANGE = _("Choose a time between the years 2000 and 2999.")


def validate_moment(value: datetime) -> None:
    """Times far outside any plausible booking are refused before time-zone
    arithmetic on them can overflow."""
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValidationError(OUT_OF_RANGE, code="out_of_range")


def validate_day(value: date) -> None:
    if not EARLIEST_DAY <= value <= LATEST_DAY:
        raise ValidationError(
            _("Choose a date between %(first)s and %(last)s."),
            params={"first": EARLIEST_DAY.isoformat(), "last": LATEST_DAY.isoformat()},
            code="out_of_range",
        )


def in_range(*moments: datetime | None) -> bool:
    return all(moment is not None and FIRST_YEAR <= moment.year <= LAST_YEAR for moment in moments)


def check_order(start: Any, end: Any, field: str = "end") -> None:
    """Refuse an end that is not after the start, keyed by ``field``."""
    if start is not None and end is not None and end <= start:
        raise ValidationError({field: ValidationError(END_AFTER_START, code="order")})


def format_span(start: datetime, end: datetime) -> str:
    """ "23 November 2026, 10:00–11:00" in the active time zone and language."""
    local_start, local_end = timezone.localtime(start), timezone.localtime(end)
    first = f"{formats.date_format(local_start, 'DATE_FORMAT')}, {local_start:%H:%M}"
    if local_start.date() == local_end.date():
        return f"{first}–{local_end:%H:%M}"
    return f"{first} – {formats.date_format(local_end, 'DATE_FORMAT')}, {local_end:%H:%M}"


class SpanState(models.TextChoices):
    UPCOMING = "upcoming", _("Upcoming")
    CURRENT = "current", _("Now")
    ENDED = "ended", _("Past")
    CANCELLED = "cancelled", _("Cancelled")


class TimeSpan(models.Model):
    """[start, end) in aware datetimes (stored in UTC); ``cancelled_at`` is set
    instead of deleting the row."""

    start = models.DateTimeField(_("start"), validators=[validate_moment])
    end = models.DateTimeField(_("end"), validators=[validate_moment])
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    #: The last write: what calendar feeds compare to tell whether they changed.
    changed_at = models.DateTimeField(_("changed at"), auto_now=True)

    #: The fields whose change makes a span subject to the rules on new times
    #: (not in the past, not too far ahead); subclasses add theirs.
    timing_fields: tuple[str, ...] = ("start", "end")

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=Q(start__lt=F("end")),
                name="%(app_label)s_%(class)s_start_before_end",
                violation_error_message=END_AFTER_START,
            ),
        ]

    @classmethod
    def from_db(cls, db: Any, field_names: Any, values: Any) -> Any:
        instance = super().from_db(db, field_names, values)
        instance._loaded_timing = instance.timing()
        return instance

    def timing(self) -> tuple[Any, ...]:
        return tuple(self.__dict__.get(name) for name in self.timing_fields)

    def timing_changed(self) -> bool:
        """True for a new span, or when its timing fields differ from the database."""
        return self._state.adding or getattr(self, "_loaded_timing", None) != self.timing()

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    def has_started(self, now: datetime | None = None) -> bool:
        return self.start <= (now or timezone.now())

    def has_ended(self, now: datetime | None = None) -> bool:
        return self.end <= (now or timezone.now())

    def is_current(self, now: datetime | None = None) -> bool:
        return self.start <= (now or timezone.now()) < self.end

    def state_at(self, now: datetime | None = None) -> SpanState:
        now = now or timezone.now()
        if self.is_cancelled:
            return SpanState.CANCELLED
        if self.end <= now:
            return SpanState.ENDED
        return SpanState.CURRENT if self.start <= now else SpanState.UPCOMING

    def closed_refusal(self, now: datetime | None, *, cancelled: Any, ended: Any) -> ValidationError | None:
        """The refusal of a span that is cancelled or over, with the caller's words for each."""
        if self.is_cancelled:
            return ValidationError(cancelled, code="cancelled")
        if self.has_ended(now):
            return ValidationError(ended, code="ended")
        return None

    @property
    def state(self) -> SpanState:
        return self.state_at()

    @property
    def is_open(self) -> bool:
        """Standing and not ended: the span can still be changed or cancelled."""
        return not self.is_cancelled and not self.has_ended()

    def span(self) -> str:
        return format_span(self.start, self.end)

    def ends_on_another_day(self) -> bool:
        """Whether the end falls on another calendar day than the start, in the active zone."""
        return timezone.localtime(self.end).date() != timezone.localtime(self.start).date()

    def clean_span(self) -> bool:
        """The order of start and end; False when the times cannot be judged
        further (missing or out of range: their field errors say why)."""
        if not in_range(self.start, self.end):
            return False
        check_order(self.start, self.end)
        return True

    def new_time_errors(self, *, past: Any, horizon_days: int, too_far: Any) -> list[ValidationError]:
        """For a new or re-timed standing span: not in the past, not beyond the horizon."""
        if not self.timing_changed() or self.is_cancelled:
            return []
        now = timezone.now()
        if self.start < now - timedelta(minutes=1):
            return [ValidationError(past, code="past")]
        if self.start > now + timedelta(days=horizon_days):
            return [ValidationError(too_far, code="too_far", params={"days": horizon_days})]
        return []
