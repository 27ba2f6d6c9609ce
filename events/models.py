from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.worktime import working_hours_problem
from rooms.models import Booking, check_calendar_range, format_span

if TYPE_CHECKING:
    from accounts.models import User


class EventQuerySet(models.QuerySet["Event"]):
    def active(self) -> "EventQuerySet":
        return self.filter(cancelled_at__isnull=True)

    def upcoming(self, now: datetime | None = None) -> "EventQuerySet":
        return self.filter(end__gt=now or timezone.now())

    def past(self, now: datetime | None = None) -> "EventQuerySet":
        return self.filter(end__lte=now or timezone.now())

    def with_registration_counts(self) -> "EventQuerySet":
        """``registration_count`` as a correlated subquery, so that a page of events
        costs a page of counts, not a GROUP BY over every event."""
        counts = (
            Registration.objects.filter(event=OuterRef("pk"))
            .order_by()
            .values("event")
            .annotate(total=Count("pk"))
            .values("total")
        )
        return self.annotate(registration_count=Coalesce(Subquery(counts), 0))

    def for_list(self, user: "User | None" = None) -> "EventQuerySet":
        """What the event list shows: organizer, room, the number registered and,
        for ``user``, whether they are registered."""
        query = self.select_related("organizer", "booking__room").with_registration_counts()
        if user is not None:
            query = query.annotate(is_registered=Exists(Registration.objects.filter(event=OuterRef("pk"), user=user)))
        return query

    def with_attendees(self) -> "EventQuerySet":
        """Each event's registrations, with their people, in the order they came."""
        registrations = Registration.objects.select_related("user").order_by("created_at")
        return self.prefetch_related(Prefetch("registrations", queryset=registrations))

    def managed_by(self, user: "User") -> "EventQuerySet":
        """Events ``user`` may change or cancel: their own, or all for admins."""
        return self if user.is_staff else self.filter(organizer=user)


class Event(models.Model):
    """Something people come to, optionally held in a room (its ``booking``)."""

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    organizer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="organized_events", verbose_name=_("organizer")
    )
    capacity = models.PositiveIntegerField(
        _("capacity"), null=True, blank=True, help_text=_("Leave empty for no limit.")
    )
    booking = models.OneToOneField(
        Booking,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="event",
        verbose_name=_("room booking"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["start"]
        indexes = [models.Index(fields=["start"], name="events_event_start")]
        constraints = [
            models.CheckConstraint(
                condition=Q(start__lt=F("end")),
                name="events_event_start_before_end",
                violation_error_message=_("The end must be after the start."),
            ),
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(capacity__gte=1),
                name="events_event_capacity_positive",
                violation_error_message=_("Capacity must be at least 1."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @classmethod
    def from_db(cls, db: Any, field_names: Any, values: Any) -> "Event":
        instance = super().from_db(db, field_names, values)
        instance._loaded_times = (instance.__dict__.get("start"), instance.__dict__.get("end"))
        return instance

    def get_absolute_url(self) -> str:
        return reverse("events:detail", args=[self.pk])

    @property
    def room(self) -> Any:
        return self.booking.room if self.booking_id else None

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    def has_started(self, now: datetime | None = None) -> bool:
        return self.start <= (now or timezone.now())

    def has_ended(self, now: datetime | None = None) -> bool:
        return self.end <= (now or timezone.now())

    def span(self) -> str:
        return format_span(self.start, self.end)

    def is_full(self, count: int | None = None) -> bool:
        if self.capacity is None:
            return False
        if count is None:
            count = getattr(self, "registration_count", None)
        if count is None:
            count = self.registrations.count()
        return count >= self.capacity

    def can_be_managed_by(self, user: "User") -> bool:
        return user.is_staff or user.pk == self.organizer_id

    def times_changed(self) -> bool:
        return self._state.adding or getattr(self, "_loaded_times", None) != (self.start, self.end)

    def clean(self) -> None:
        super().clean()
        if self.start is None or self.end is None:
            return
        check_calendar_range(start=self.start, end=self.end)
        if self.end <= self.start:
            raise ValidationError({"end": _("The end must be after the start.")}, code="order")
        if self.times_changed() and self.cancelled_at is None:
            now = timezone.now()
            if self.start < now - timedelta(minutes=1):
                raise ValidationError({"start": _("An event cannot start in the past.")}, code="past")
            horizon = settings.EVENT_HORIZON_DAYS
            if self.start > now + timedelta(days=horizon):
                raise ValidationError(
                    {
                        "start": ngettext(
                            "Events can be planned at most %(days)d day ahead.",
                            "Events can be planned at most %(days)d days ahead.",
                            horizon,
                        )
                        % {"days": horizon}
                    },
                    code="too_far",
                )
        if self.capacity is not None:
            if self.capacity < 1:
                raise ValidationError({"capacity": _("Capacity must be at least 1.")}, code="capacity")
            room = self.room
            if room is not None and self.capacity > room.capacity:
                raise ValidationError(
                    {
                        "capacity": ngettext(
                            "%(room)s seats only %(seats)d person.",
                            "%(room)s seats only %(seats)d people.",
                            room.capacity,
                        )
                        % {"room": room.name, "seats": room.capacity}
                    },
                    code="capacity_room",
                )


class Registration(models.Model):
    """A person coming to an event; one per event and person."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="registrations", verbose_name=_("event"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="registrations", verbose_name=_("person")
    )
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "user"],
                name="events_registration_once",
                violation_error_message=_("This person is already registered for this event."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.event}"

    def clean(self) -> None:
        """Only for a new registration: the event must be open and have room."""
        super().clean()
        if not self._state.adding or self.event_id is None:
            return
        event = self.event
        if event.is_cancelled:
            raise ValidationError(_("This event has been cancelled."), code="cancelled")
        if event.has_started():
            raise ValidationError(_("Registration closed when the event started."), code="closed")
        if event.capacity is not None and event.registrations.count() >= event.capacity:
            raise ValidationError(_("Sorry, this event is full."), code="full")


class Invitation(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("event"))
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="invitations_sent",
        verbose_name=_("invited by"),
    )
    invitee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="invitations_received",
        verbose_name=_("invitee"),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    responded_at = models.DateTimeField(_("responded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "invitee"],
                name="events_invitation_once",
                violation_error_message=_("This person has already been invited to this event."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.invitee} ← {self.event}"

    def clean(self) -> None:
        """A new invitation: the event is open, the invitee is not registered yet
        and is at work for all of it, in their own time zone. Inviting the same
        person twice is refused by the unique constraint."""
        super().clean()
        if not self._state.adding or self.event_id is None or self.invitee_id is None:
            return
        event, invitee = self.event, self.invitee
        if event.is_cancelled:
            raise ValidationError(_("This event has been cancelled."), code="cancelled")
        if event.has_started():
            raise ValidationError(_("This event has already started."), code="started")
        if event.registrations.filter(user=invitee).exists():
            raise ValidationError(_("This person is already registered for this event."), code="registered")
        problem = working_hours_problem(invitee, event.start, event.end)
        if problem:
            raise ValidationError(problem, code="working_hours")
