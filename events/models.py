from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, ngettext_lazy

from accounts.worktime import working_hours_problem
from booking_site.paths import path
from booking_site.spans import TimeSpan
from booking_site.text import validate_single_line
from rooms.models import MAX_CAPACITY, Booking

if TYPE_CHECKING:
    from accounts.models import User


class EventQuerySet(models.QuerySet["Event"]):
    def active(self) -> "EventQuerySet":
        return self.filter(cancelled_at__isnull=True)

    def upcoming(self, now: datetime | None = None) -> "EventQuerySet":
        """Events not over yet. No event lasts longer than ``EVENT_MAX_DAYS``, so
        the search starts that far back on the start index instead of walking
        every past event."""
        now = now or timezone.now()
        return self.filter(end__gt=now, start__gt=now - timedelta(days=settings.EVENT_MAX_DAYS))

    def past(self, now: datetime | None = None) -> "EventQuerySet":
        now = now or timezone.now()
        return self.filter(end__lte=now, start__lt=now)

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


class Event(TimeSpan):
    """Something people come to, optionally held in a room (its ``booking``)."""

    title = models.CharField(_("title"), max_length=200, validators=[validate_single_line])
    description = models.TextField(_("description"), blank=True)
    organizer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="organized_events", verbose_name=_("organizer")
    )
    capacity = models.PositiveIntegerField(
        _("capacity"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1, _("Capacity must be at least 1.")), MaxValueValidator(MAX_CAPACITY)],
        help_text=_("Leave empty for no limit."),
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
    #: The iCalendar SEQUENCE: raised by the services with every change of time, room or status.
    sequence = models.PositiveIntegerField(_("revision"), default=0, editable=False)

    objects = EventQuerySet.as_manager()

    class Meta(TimeSpan.Meta):
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["start"]
        indexes = [
            models.Index(fields=["start"], name="events_event_start"),
            models.Index(fields=["start", "end"], condition=Q(cancelled_at__isnull=True), name="events_event_standing"),
        ]
        constraints = [
            *TimeSpan.Meta.constraints,
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(capacity__gte=1),
                name="events_event_capacity_positive",
                violation_error_message=_("Capacity must be at least 1."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return path("events:detail", self.pk)

    @property
    def room(self) -> Any:
        return self.booking.room if self.booking_id else None

    @property
    def is_open_for_registration(self) -> bool:
        return not self.is_cancelled and not self.has_started()

    def is_full(self, count: int | None = None) -> bool:
        if self.capacity is None:
            return False
        if count is None:
            count = getattr(self, "registration_count", None)
        if count is None:
            count = self.registrations.count()
        return count >= self.capacity

    def is_attended_by(self, user: "User") -> bool:
        """Whether ``user`` is registered; reads prefetched registrations when there are any."""
        cache = getattr(self, "_prefetched_objects_cache", {})
        if "registrations" in cache:
            return any(registration.user_id == user.pk for registration in cache["registrations"])
        registered = getattr(self, "is_registered", None)
        if registered is not None:
            return bool(registered)
        return self.registrations.filter(user=user).exists()

    def can_be_managed_by(self, user: "User") -> bool:
        return user.is_staff or user.pk == self.organizer_id

    def refusal(
        self, actor: "User", action: str = "change", now: datetime | None = None
    ) -> ValidationError | PermissionDenied | None:
        """Why ``actor`` may not ``action`` this event now ("change", "cancel" or
        "invite"), or None when they may. The organizer and admins change and
        cancel an event that stands and has not ended; they and the people
        registered invite colleagues until it starts."""
        if action == "invite":
            if not (self.can_be_managed_by(actor) or self.is_attended_by(actor)):
                return PermissionDenied(_("Only the organizer and people registered can invite."))
            if self.is_cancelled:
                return ValidationError(_("This event has been cancelled."), code="cancelled")
            if self.has_started(now):
                return ValidationError(_("This event has already started."), code="started")
            return None
        cancelling = action == "cancel"
        if not self.can_be_managed_by(actor):
            return PermissionDenied(
                _("Only the organizer can cancel this event.")
                if cancelling
                else _("Only the organizer can change this event.")
            )
        if cancelling:
            return self.closed_refusal(
                now,
                cancelled=_("This event is already cancelled."),
                ended=_("An event that has ended cannot be cancelled."),
            )
        return self.closed_refusal(
            now,
            cancelled=_("A cancelled event cannot be changed."),
            ended=_("An event that has ended cannot be changed."),
        )

    def allows(self, actor: "User", action: str = "change") -> bool:
        return self.refusal(actor, action) is None

    def clean(self) -> None:
        super().clean()
        if not self.clean_span():
            return
        errors = self.new_time_errors(
            past=_("An event cannot start in the past."),
            horizon_days=settings.EVENT_HORIZON_DAYS,
            too_far=ngettext_lazy(
                "Events can be planned at most %(days)d day ahead.",
                "Events can be planned at most %(days)d days ahead.",
                "days",
            ),
        )
        if errors:
            raise ValidationError({"start": errors})
        longest = settings.EVENT_MAX_DAYS
        if self.timing_changed() and self.end - self.start > timedelta(days=longest):
            raise ValidationError(
                {
                    "end": ngettext(
                        "An event may last at most %(days)d day.", "An event may last at most %(days)d days.", longest
                    )
                    % {"days": longest}
                },
                code="too_long",
            )
        room = self.room
        if self.capacity is not None and room is not None and self.capacity > room.capacity:
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


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def waiting(self, now: datetime | None = None) -> "InvitationQuerySet":
        """Invitations still to be answered: pending, to an event neither cancelled nor over."""
        now = now or timezone.now()
        return self.filter(status=Invitation.Status.PENDING, event__cancelled_at__isnull=True, event__end__gt=now)


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

    objects = InvitationQuerySet.as_manager()

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

    def refusal(self, actor: "User") -> ValidationError | PermissionDenied | None:
        """Why ``actor`` may not answer this invitation now, or None: the invitee
        (or an admin for them) answers once, while the event stands."""
        if actor.pk != self.invitee_id and not actor.is_staff:
            return PermissionDenied(_("Only the person invited can answer."))
        if self.status != Invitation.Status.PENDING:
            return ValidationError(_("You have already answered this invitation."), code="answered")
        if self.event.is_cancelled:
            return ValidationError(_("This event has been cancelled."), code="cancelled")
        return None

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


class FeedState(models.Model):
    """The version of a calendar feed last served, when it was first served (the
    feed's Last-Modified, which so only ever moves forward) and the feed as then
    written, gzipped, so that each version is written (and compressed) once
    however many calendar apps fetch it."""

    key = models.CharField(_("feed"), max_length=200, primary_key=True)
    version = models.CharField(_("version"), max_length=64)
    first_served = models.DateTimeField(_("first served"))
    body = models.BinaryField(_("feed"), null=True, editable=False)

    class Meta:
        verbose_name = _("calendar feed state")
        verbose_name_plural = _("calendar feed states")

    def __str__(self) -> str:
        return self.key
