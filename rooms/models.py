from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.postgres.fields import DateTimeRangeField, RangeOperators
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Func, Prefetch, Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from rooms.constraints import PostgresExclusionConstraint

if TYPE_CHECKING:
    from accounts.models import User


class Equipment(models.TextChoices):
    PROJECTOR = "projector", _("Projector")
    SCREEN = "screen", _("Display screen")
    VIDEO = "video", _("Video conferencing")
    WHITEBOARD = "whiteboard", _("Whiteboard")
    SPEAKERPHONE = "speakerphone", _("Speakerphone")
    FLIPCHART = "flipchart", _("Flip chart")


def validate_equipment(value: Any) -> None:
    if not isinstance(value, list) or any(item not in Equipment.values for item in value):
        raise ValidationError(_("Choose equipment from the list."))


class EquipmentField(models.JSONField):
    """A list of ``Equipment`` codes, edited as checkboxes."""

    default_validators = [validate_equipment]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("default", list)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def formfield(self, **kwargs: Any) -> Any:
        from django import forms

        return forms.TypedMultipleChoiceField(
            choices=Equipment.choices,
            required=not self.blank,
            label=capfirst(self.verbose_name),
            help_text=self.help_text,
            widget=forms.CheckboxSelectMultiple,
        )


class RoomQuerySet(models.QuerySet["Room"]):
    def active(self) -> "RoomQuerySet":
        return self.filter(is_active=True)

    def with_equipment(self, codes: list[str]) -> "RoomQuerySet":
        """Rooms that have every piece of equipment in ``codes``.

        The list is stored as JSON text, so a quoted code is matched in it; this
        works the same on SQLite and PostgreSQL.
        """
        query = self
        for code in codes:
            query = query.filter(equipment__icontains=f'"{code}"')
        return query

    def with_bookings_today(self, now: datetime | None = None) -> "RoomQuerySet":
        """Prefetch each room's standing bookings from now to the end of today
        (in the active time zone) as ``room.bookings_today``."""
        now = now or timezone.now()
        local_now = timezone.localtime(now)
        day_end = (local_now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        bookings = Booking.objects.active().touching(now, day_end).order_by("start")
        return self.prefetch_related(Prefetch("bookings", queryset=bookings, to_attr="bookings_today"))


class Room(models.Model):
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    capacity = models.PositiveIntegerField(_("capacity"), validators=[MinValueValidator(1)])
    location = models.CharField(_("location"), max_length=200, blank=True)
    equipment = EquipmentField(_("equipment"))
    is_active = models.BooleanField(_("active"), default=True, help_text=_("Inactive rooms cannot be booked."))

    objects = RoomQuerySet.as_manager()

    class Meta:
        verbose_name = _("room")
        verbose_name_plural = _("rooms")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="rooms_room_name_ci_unique",
                violation_error_message=_("A room with this name already exists."),
            ),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="rooms_room_capacity_positive"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("rooms:detail", args=[self.pk])

    def equipment_labels(self) -> list[str]:
        labels = dict(Equipment.choices)
        return [str(labels[code]) for code in self.equipment or [] if code in labels]

    def availability(self, now: datetime | None = None) -> tuple[bool, datetime | None]:
        """(free now?, until when): busy until the end of the run of back-to-back
        bookings that holds the room now, or free until the next booking today.

        Reads ``bookings_today`` from ``RoomQuerySet.with_bookings_today``.
        """
        now = now or timezone.now()
        bookings = getattr(self, "bookings_today", None)
        if bookings is None:
            bookings = list(
                self.bookings.active().filter(end__gt=now).order_by("start")[:50]  # type: ignore[attr-defined]
            )
        current = [b for b in bookings if b.start <= now < b.end]
        if not current:
            upcoming = [b.start for b in bookings if b.start > now]
            return True, min(upcoming) if upcoming else None
        busy_until = max(b.end for b in current)
        for booking in bookings:
            if booking.start <= busy_until < booking.end:
                busy_until = booking.end
        return False, busy_until


class TsTzRange(Func):
    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


def span_bound() -> timedelta:
    """No booking lasts longer than this, so a search for bookings touching a time
    may also require ``start > time - span_bound()``, which the (room, start) and
    (start) indexes answer quickly."""
    return timedelta(hours=max(settings.BOOKING_MAX_HOURS, 24))


class BookingQuerySet(models.QuerySet["Booking"]):
    def active(self) -> "BookingQuerySet":
        return self.filter(cancelled_at__isnull=True)

    def touching(self, start: datetime, end: datetime) -> "BookingQuerySet":
        """Bookings sharing any part of [start, end), found through the start index."""
        return self.filter(start__lt=end, end__gt=start, start__gt=start - span_bound())

    def overlapping(self, room: "Room | int", start: datetime, end: datetime) -> "BookingQuerySet":
        """Bookings of ``room`` sharing any part of the half-open [start, end)."""
        return self.filter(room=room, start__lt=end, end__gt=start)

    def upcoming(self, now: datetime | None = None) -> "BookingQuerySet":
        now = now or timezone.now()
        return self.filter(end__gt=now, start__gt=now - span_bound())

    def past(self, now: datetime | None = None) -> "BookingQuerySet":
        return self.filter(end__lte=now or timezone.now())

    def visible_to(self, user: "User") -> "BookingQuerySet":
        """Bookings ``user`` may open and act on: their own, or all for admins."""
        return self if user.is_staff else self.filter(user=user)

    def with_related(self) -> "BookingQuerySet":
        return self.select_related("room", "user")


def check_calendar_range(**moments: datetime | None) -> None:
    """Refuse times far outside any plausible booking before time-zone arithmetic
    on them can overflow. Errors are keyed by field, so that constraint checks
    skip those fields."""
    errors = {
        name: ValidationError(_("Choose a time between the years 2000 and 2999."), code="out_of_range")
        for name, moment in moments.items()
        if moment is not None and not 2000 <= moment.year <= 2999
    }
    if errors:
        raise ValidationError(errors)


def format_span(start: datetime, end: datetime) -> str:
    """ "23 November 2026, 10:00–11:00" in the active time zone and language."""
    local_start, local_end = timezone.localtime(start), timezone.localtime(end)
    first = f"{formats.date_format(local_start, 'DATE_FORMAT')}, {local_start:%H:%M}"
    if local_start.date() == local_end.date():
        return f"{first}–{local_end:%H:%M}"
    return f"{first} – {formats.date_format(local_end, 'DATE_FORMAT')}, {local_end:%H:%M}"


class Booking(models.Model):
    """A room held by a user for the half-open interval [start, end)."""

    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="bookings", verbose_name=_("room"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="bookings",
        verbose_name=_("booked by"),
    )
    title = models.CharField(_("title"), max_length=200)
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    objects = BookingQuerySet.as_manager()

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ["start"]
        indexes = [
            models.Index(fields=["room", "start"], name="rooms_booking_room_start"),
            models.Index(fields=["user", "start"], name="rooms_booking_user_start"),
            models.Index(fields=["start"], name="rooms_booking_start"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(start__lt=models.F("end")),
                name="rooms_booking_start_before_end",
                violation_error_message=_("The end must be after the start."),
            ),
            PostgresExclusionConstraint(
                name="rooms_booking_no_overlap",
                expressions=[
                    (TsTzRange("start", "end", models.Value("[)")), RangeOperators.OVERLAPS),
                    ("room", RangeOperators.EQUAL),
                ],
                condition=Q(cancelled_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.room}, {format_span(self.start, self.end)})"

    @classmethod
    def from_db(cls, db: Any, field_names: Any, values: Any) -> "Booking":
        instance = super().from_db(db, field_names, values)
        instance._loaded = (
            instance.__dict__.get("start"),
            instance.__dict__.get("end"),
            instance.__dict__.get("room_id"),
        )
        return instance

    def get_absolute_url(self) -> str:
        return reverse("rooms:booking_edit", args=[self.pk])

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    def has_ended(self, now: datetime | None = None) -> bool:
        return self.end <= (now or timezone.now())

    def is_current(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.start <= now < self.end

    def can_be_managed_by(self, user: "User") -> bool:
        return user.is_staff or user.pk == self.user_id

    def times_changed(self) -> bool:
        """True for a new booking, or when its room or time differs from the database."""
        loaded = getattr(self, "_loaded", None)
        return self._state.adding or loaded != (self.start, self.end, self.room_id)

    def conflicts(self) -> BookingQuerySet:
        query = Booking.objects.active().overlapping(self.room_id, self.start, self.end)
        return query.exclude(pk=self.pk) if self.pk else query

    def overlap_error(self) -> ValidationError:
        """The message naming the booking in the way (or a generic one)."""
        other = self.conflicts().select_related("user").order_by("start").first()
        if other is None:
            return ValidationError(
                _("Someone has just booked this room for that time. Please choose another time."),
                code="overlap",
            )
        return ValidationError(
            _("The room is already booked %(span)s for “%(title)s” by %(holder)s."),
            code="overlap",
            params={"span": format_span(other.start, other.end), "title": other.title, "holder": other.user},
        )

    def clean(self) -> None:
        super().clean()
        if self.start is None or self.end is None:
            return
        check_calendar_range(start=self.start, end=self.end)
        if self.end <= self.start:
            raise ValidationError({"end": _("The end must be after the start.")}, code="order")
        errors: list[ValidationError] = []
        if self.times_changed() and self.cancelled_at is None:
            now = timezone.now()
            if self.start < now - timedelta(minutes=1):
                errors.append(ValidationError(_("A booking cannot start in the past."), code="past"))
            length = self.end - self.start
            minimum = settings.BOOKING_MIN_MINUTES
            maximum = settings.BOOKING_MAX_HOURS
            if length < timedelta(minutes=minimum):
                errors.append(
                    ValidationError(
                        ngettext(
                            "A booking must last at least %(minutes)d minute.",
                            "A booking must last at least %(minutes)d minutes.",
                            minimum,
                        ),
                        code="too_short",
                        params={"minutes": minimum},
                    )
                )
            if length > timedelta(hours=maximum):
                errors.append(
                    ValidationError(
                        ngettext(
                            "A booking may last at most %(hours)d hour.",
                            "A booking may last at most %(hours)d hours.",
                            maximum,
                        ),
                        code="too_long",
                        params={"hours": maximum},
                    )
                )
            horizon = settings.BOOKING_HORIZON_DAYS
            if self.start > now + timedelta(days=horizon):
                errors.append(
                    ValidationError(
                        ngettext(
                            "Rooms can be booked at most %(days)d day ahead.",
                            "Rooms can be booked at most %(days)d days ahead.",
                            horizon,
                        ),
                        code="too_far",
                        params={"days": horizon},
                    )
                )
            if self.room_id is not None and not self.room.is_active:
                errors.append(ValidationError(_("This room is not available for booking."), code="inactive_room"))
        if not errors and self.cancelled_at is None and self.room_id is not None and self.conflicts().exists():
            errors.append(self.overlap_error())
        if errors:
            raise ValidationError(errors)
