import hashlib
import secrets
from datetime import time
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from accounts.timezones import is_valid_timezone
from booking_site.text import validate_single_line


def default_timezone() -> str:
    return settings.TIME_ZONE


def new_calendar_token() -> str:
    return secrets.token_urlsafe(32)


def validate_timezone(value: str) -> None:
    if not is_valid_timezone(value):
        raise ValidationError(_("“%(value)s” is not a known time zone."), params={"value": value})


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: Any) -> "User":
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        if not extra["is_staff"] or not extra["is_superuser"]:
            raise ValueError("A superuser must have is_staff and is_superuser set.")
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> "User":
        return self.get(email__iexact=username)


class User(AbstractUser):
    """A person who books rooms. Admins are ``is_staff``; everyone else is an employee."""

    username = None
    first_name = None
    last_name = None
    email = models.EmailField(_("e-mail address"), unique=True)
    name = models.CharField(_("name"), max_length=150, blank=True, validators=[validate_single_line])
    timezone = models.CharField(
        _("time zone"),
        max_length=64,
        default=default_timezone,
        validators=[validate_timezone],
        help_text=_("Times are shown and entered in this time zone."),
    )

    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("Pages and mails are in this language; empty follows the browser."),
    )

    calendar_token = models.CharField(
        _("calendar feed token"), max_length=64, unique=True, default=new_calendar_token, editable=False
    )

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["name", "email"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="accounts_user_email_ci_unique",
                violation_error_message=_("A user with this e-mail address already exists."),
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name or self.email

    def get_full_name(self) -> str:
        return self.display_name

    def get_short_name(self) -> str:
        return self.display_name

    def clean(self) -> None:
        super().clean()
        self.email = type(self).objects.normalize_email(self.email)


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


DEFAULT_WORKING_DAYS = range(Weekday.MONDAY, Weekday.SATURDAY)
DEFAULT_HOURS = {
    "start": time(10),
    "end": time(18),
    "break_start": time(12),
    "break_end": time(13),
}


class WorkingHours(models.Model):
    """One weekday of a person's working week, in their own time zone.

    A weekday without a row is a day off. The break, when given, lies inside the day.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="working_hours", verbose_name=_("user"))
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start = models.TimeField(_("start"))
    end = models.TimeField(_("end"))
    break_start = models.TimeField(_("break start"), null=True, blank=True)
    break_end = models.TimeField(_("break end"), null=True, blank=True)

    class Meta:
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")
        ordering = ["user", "weekday"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "weekday"],
                name="accounts_workinghours_one_per_weekday",
                violation_error_message=_("This weekday already has working hours."),
            ),
            models.CheckConstraint(
                condition=Q(start__lt=F("end")),
                name="accounts_workinghours_start_before_end",
                violation_error_message=_("The working day must end after it starts."),
            ),
            models.CheckConstraint(
                condition=Q(break_start__isnull=True, break_end__isnull=True)
                | Q(break_start__isnull=False, break_end__isnull=False),
                name="accounts_workinghours_break_both_or_neither",
                violation_error_message=_("Give both the start and the end of the break, or neither."),
            ),
            models.CheckConstraint(
                condition=Q(break_start__isnull=True) | Q(break_end__isnull=True) | Q(break_start__lt=F("break_end")),
                name="accounts_workinghours_break_order",
                violation_error_message=_("The break must end after it starts."),
            ),
            models.CheckConstraint(
                condition=Q(break_start__isnull=True)
                | Q(break_end__isnull=True)
                | Q(break_start__gte=F("start"), break_end__lte=F("end")),
                name="accounts_workinghours_break_inside_day",
                violation_error_message=_("The break must lie inside the working day."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()}: {self.describe()}"

    @classmethod
    def problems(
        cls, weekday: int, start: time, end: time, break_start: time | None, break_end: time | None
    ) -> list[str]:
        """What is wrong with these hours for a weekday (the model's constraints), or []."""
        row = cls(weekday=weekday, start=start, end=end, break_start=break_start, break_end=break_end)
        try:
            row.full_clean(exclude=["user"], validate_unique=False)
        except ValidationError as error:
            return error.messages
        return []

    def describe(self) -> str:
        """ "10:00–18:00, break 12:00–13:00"."""
        day = f"{self.start:%H:%M}–{self.end:%H:%M}"
        if self.break_start and self.break_end:
            return _("%(day)s, break %(start)s–%(end)s") % {
                "day": day,
                "start": f"{self.break_start:%H:%M}",
                "end": f"{self.break_end:%H:%M}",
            }
        return day


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def active(self) -> "ApiTokenQuerySet":
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    """A personal API token. Only a SHA-256 hash of it is kept; the token itself
    is shown once, when it is created."""

    PREFIX = "bk_"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user"))
    name = models.CharField(_("name"), max_length=100)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    hint = models.CharField(_("starts with"), max_length=12, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @staticmethod
    def hash(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @classmethod
    def build(cls, user: User, name: str) -> tuple["ApiToken", str]:
        """A new, unsaved token for ``user`` and the raw token to show once
        (``accounts.services.issue_api_token`` saves it)."""
        raw = cls.PREFIX + secrets.token_urlsafe(32)
        return cls(user=user, name=name, key_hash=cls.hash(raw), hint=raw[: len(cls.PREFIX) + 5]), raw
