from datetime import datetime, timedelta
from functools import cache
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, NamedTuple

from django.conf import settings
from django.contrib.postgres.fields import DateTimeRangeField, RangeOperators
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Func, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import get_language, ngettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _

from booking_site.paths import path
from booking_site.spans import TimeSpan, format_span
from booking_site.text import validate_single_line
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


#: Code -> translatable label; ``Equipment.choices`` walks the enum on every call.
EQUIPMENT_LABELS = dict(Equipment.choices)


@cache
def equipment_texts(language: str | None) -> dict[str, str]:
    """The labels in ``language`` (the active one when this is first asked)."""
    return {code: str(label) for code, label in EQUIPMENT_LABELS.items()}


def validate_equipment(value: Any) -> None:
    if not isinstance(value, list) or any(item not in EQUIPMENT_LABELS for item in value):
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


MAX_CAPACITY = 100_000


class RoomQuerySet(models.QuerySet["Room"]):
    def active(self) -> "RoomQuerySet":
        return self.filter(is_active=True)

    def bookable_or(self, room: "Room | int | None") -> "RoomQuerySet":
        """Active rooms, and ``room`` even if it is not: a form changing something
        held in a room since closed keeps offering it, rather than dropping it."""
        return self.filter(Q(is_active=True) | Q(pk=getattr(room, "pk", room) or 0))

    def with_equipment(self, codes: list[str]) -> "RoomQuerySet":
        """Rooms that have every piece of equipment in ``codes``.

        The list is stored as JSON text, so a quoted code is matched in it; this
        works the same on SQLite and PostgreSQL.
        """
        query = self
        for code in codes:
            query = query.filter(equipment__icontains=f'"{code}"')
        return query


class Room(models.Model):
    name = models.CharField(_("name"), max_length=100, validators=[validate_single_line])
    description = models.TextField(_("description"), blank=True)
    capacity = models.PositiveIntegerField(
        _("capacity"), validators=[MinValueValidator(1), MaxValueValidator(MAX_CAPACITY)]
    )
    location = models.CharField(_("location"), max_length=200, blank=True, validators=[validate_single_line])
    equipment = EquipmentField(_("equipment"))
    is_active = models.BooleanField(_("active"), default=True, help_text=_("Inactive rooms cannot be booked."))
    #: The last write: what calendar feeds compare to tell whether they changed.
    changed_at = models.DateTimeField(_("changed at"), auto_now=True)

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
        return path("rooms:detail", self.pk)

    def equipment_labels(self) -> list[str]:
        texts = equipment_texts(get_language())
        return [texts[code] for code in self.equipment or [] if code in texts]

    def availability(self, now: datetime | None = None) -> tuple[bool, datetime | None]:
        """(free now?, until when): busy until the end of the run of back-to-back
        bookings that holds the room now, or free until the next booking (within
        the 24 hours ``note_availability`` reads).

        Reads ``bookings_today`` from ``note_availability``.
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


class Span(NamedTuple):
    """The times of a standing booking, without the rest of the row."""

    start: datetime
    end: datetime


class GridBooking(NamedTuple):
    """What a timeline block shows of a booking (read as a row of values, not a model)."""

    pk: int
    room_id: int
    start: datetime
    end: datetime
    title: str
    user_id: int
    holder_name: str
    holder_email: str
    event_id: int | None = None

    @property
    def holder(self) -> str:
        return self.holder_name or self.holder_email

    def allows(self, actor: "User", action: str = "change") -> bool:
        """``Booking.refusal``, asked of the row without loading the booking."""
        booking = Booking(pk=self.pk, room_id=self.room_id, user_id=self.user_id, start=self.start, end=self.end)
        booking._state.adding = False
        booking.known_event(self.event_id)
        return booking.refusal(actor, action) is None


def note_availability(rooms: list["Room"], now: datetime | None = None) -> None:
    """Set ``is_free`` and ``until`` on each room from one query for the standing
    bookings of the next 24 hours: late in the evening the next booking is often
    tomorrow morning, and "free now" should say until when."""
    now = now or timezone.now()
    horizon = now + timedelta(hours=24)
    today: dict[int, list[Span]] = {room.pk: [] for room in rooms}
    spans = (
        Booking.objects.active()
        .filter(room__in=list(today))
        .touching(now, horizon)
        .order_by("start")
        .values_list("room_id", "start", "end")
    )
    for room_id, start, end in spans:
        today[room_id].append(Span(start, end))
    for room in rooms:
        room.bookings_today = today[room.pk]
        room.is_free, room.until = room.availability(now)


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

    def for_list(self) -> "BookingQuerySet":
        """What a list of bookings shows: each with its room's name and whether an event holds it."""
        return self.select_related("room", "event").only(
            "room_id", "user_id", "title", "start", "end", "cancelled_at", "room__name", "event__id"
        )

    def for_grid(self) -> list[GridBooking]:
        """What timeline blocks show: the bookings' times and titles, their holders' names."""
        fields = ("pk", "room_id", "start", "end", "title", "user_id", "user__name", "user__email", "event__id")
        return [GridBooking(*row) for row in self.values_list(*fields)]


class Booking(TimeSpan):
    """A room held by a user for the half-open interval [start, end)."""

    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="bookings", verbose_name=_("room"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="bookings",
        verbose_name=_("booked by"),
    )
    title = models.CharField(_("title"), max_length=200, validators=[validate_single_line])
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    #: The iCalendar SEQUENCE: raised by the services with every change of time, room or status.
    sequence = models.PositiveIntegerField(_("revision"), default=0, editable=False)

    timing_fields = ("start", "end", "room_id")

    objects = BookingQuerySet.as_manager()

    class Meta(TimeSpan.Meta):
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ["start"]
        indexes = [
            models.Index(fields=["room", "start"], name="rooms_booking_room_start"),
            models.Index(fields=["user", "start"], name="rooms_booking_user_start"),
            models.Index(fields=["start"], name="rooms_booking_start"),
        ]
        constraints = [
            *TimeSpan.Meta.constraints,
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

    def get_absolute_url(self) -> str:
        return path("rooms:booking_edit", self.pk)

    @property
    def owning_event(self) -> Any:
        """The event this booking holds the room for, or None (one query unless
        ``select_related("event")`` fetched it)."""
        try:
            return self.event  # type: ignore[attr-defined]
        except ObjectDoesNotExist:
            return None

    def known_without_event(self) -> None:
        """Remember that this (new) booking holds no event's room, sparing the query."""
        self.known_event(None)

    def known_event(self, event_id: int | None) -> None:
        """Remember which event (by id, or none) holds this booking's room, sparing the query."""
        cached = SimpleNamespace(pk=event_id) if event_id is not None else None
        self._state.fields_cache[Booking.event.related.cache_name] = cached  # type: ignore[attr-defined]

    def refusal(
        self, actor: "User", action: str = "change", now: datetime | None = None, *, for_event: bool = False
    ) -> ValidationError | PermissionDenied | None:
        """Why ``actor`` may not ``action`` ("change" or "cancel") this booking now,
        or None when they may. The holder and admins may act on a standing booking
        that has not ended; a booking held for an event moves with the event, so
        only the event's own services (``for_event``) touch it."""
        cancelling = action == "cancel"
        if not (actor.is_staff or actor.pk == self.user_id):
            return PermissionDenied(_("You can only change your own bookings."))
        closed = (
            self.closed_refusal(
                now,
                cancelled=_("This booking is already cancelled."),
                ended=_("A booking that has ended cannot be cancelled."),
            )
            if cancelling
            else self.closed_refusal(
                now,
                cancelled=_("A cancelled booking cannot be changed."),
                ended=_("A booking that has ended cannot be changed."),
            )
        )
        if closed is not None:
            return closed
        if not for_event and self.owning_event is not None:
            return ValidationError(
                _("This room is booked for an event; change or cancel the event instead."), code="event"
            )
        return None

    def allows(self, actor: "User", action: str = "change") -> bool:
        return self.refusal(actor, action) is None

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
        if not self.clean_span():
            return
        errors = self.new_time_errors(
            past=_("A booking cannot start in the past."),
            horizon_days=settings.BOOKING_HORIZON_DAYS,
            too_far=ngettext_lazy(
                "Rooms can be booked at most %(days)d day ahead.",
                "Rooms can be booked at most %(days)d days ahead.",
                "days",
            ),
        )
        if self.timing_changed() and not self.is_cancelled:
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
            if self.room_id is not None and not self.room.is_active:
                errors.append(ValidationError(_("This room is not available for booking."), code="inactive_room"))
        if not errors and not self.is_cancelled and self.room_id is not None and self.conflicts().exists():
            errors.append(self.overlap_error())
        if errors:
            raise ValidationError(errors)
