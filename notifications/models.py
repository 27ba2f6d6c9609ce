"""The outbox: one row per mail a change owes someone, written in the change's own
transaction, so a mail is never lost with a failed send and never sent twice."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class OutgoingMail(models.Model):
    #: The key in ``message`` that marks a row for everyone (see notifications.services).
    EVERYONE = "everyone"

    class Kind(models.TextChoices):
        BOOKING_BOOKED = "booking_booked", _("Booking made")
        BOOKING_CHANGED = "booking_changed", _("Booking changed")
        BOOKING_CANCELLED = "booking_cancelled", _("Booking cancelled")
        INVITATION = "invitation", _("Invitation")
        ANSWER = "answer", _("Answer to an invitation")
        EVENT_CHANGED = "event_changed", _("Event changed")
        EVENT_CANCELLED = "event_cancelled", _("Event cancelled")
        REGISTRATION_REMOVED = "registration_removed", _("Registration removed")
        ACCOUNT = "account", _("Account mail")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        DROPPED = "dropped", _("Not needed any more")

    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    object_id = models.BigIntegerField(_("object"), null=True, blank=True)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    to = models.EmailField(_("to"), blank=True)
    message = models.JSONField(_("message"), null=True, blank=True, editable=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    next_attempt_at = models.DateTimeField(_("next attempt"))
    enqueued_at = models.DateTimeField(_("handed to a worker"), null=True, blank=True)
    leased_until = models.DateTimeField(_("being sent until"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing mail")
        verbose_name_plural = _("outgoing mails")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="mail_due"),
            models.Index(fields=["object_id", "kind"], name="mail_about"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.addressee}"

    @property
    def for_everyone(self) -> bool:
        """A row owed to everyone a change concerns, not yet one row per person."""
        return bool((self.message or {}).get(self.EVERYONE))

    @property
    def addressee(self) -> str:
        """The address, or who a row for everyone goes to before a worker hands it out."""
        if self.for_everyone:
            return str(_("everyone taking part"))
        return self.to or str(self.recipient_id or "")
