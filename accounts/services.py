"""Writes on people: their profile, working week, API tokens and calendar address.
Pages, the admin, the API and allauth's adapter call these."""

from datetime import time, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import (
    DEFAULT_HOURS,
    DEFAULT_WORKING_DAYS,
    ApiToken,
    User,
    WorkingHours,
    new_calendar_token,
)

DayHours = tuple[time, time, time | None, time | None]
PROFILE_FIELDS = ("name", "timezone", "language")


def give_default_working_hours(user: User) -> None:
    """Mon-Fri 10:00-18:00 with a 12:00-13:00 break, for a user who has none."""
    if user.working_hours.exists():
        return
    WorkingHours.objects.bulk_create(
        [WorkingHours(user=user, weekday=weekday, **DEFAULT_HOURS) for weekday in DEFAULT_WORKING_DAYS]
    )


def trust_address(*, user: User) -> None:
    """Record ``user``'s address as verified (allauth asks for verified addresses)."""
    from allauth.account.models import EmailAddress

    if user.email and not EmailAddress.objects.filter(user=user, email__iexact=user.email).exists():
        EmailAddress.objects.create(user=user, email=user.email.lower(), primary=True, verified=True)


def set_working_hours(*, user: User, week: dict[int, DayHours | None]) -> list[WorkingHours]:
    """Replace ``user``'s working week: ``week[weekday]`` is (start, end, break
    start, break end), or None for a day off. Every day is validated before any
    is written; a ``ValidationError`` leaves the week as it was."""
    rows = []
    for weekday in sorted(week):
        hours = week[weekday]
        if hours is None:
            continue
        start, end, break_start, break_end = hours
        problems = WorkingHours.problems(weekday, start, end, break_start, break_end)
        if problems:
            raise ValidationError(problems)
        rows.append(
            WorkingHours(user=user, weekday=weekday, start=start, end=end, break_start=break_start, break_end=break_end)
        )
    with transaction.atomic():
        User.objects.select_for_update(no_key=True).filter(pk=user.pk).first()
        WorkingHours.objects.filter(user=user).delete()
        WorkingHours.objects.bulk_create(rows)
    return rows


def change_profile(*, user: User, **fields: Any) -> User:
    """Change a person's own ``name``, ``timezone`` and ``language``; nothing else is theirs to change here."""
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise ValidationError(_("Only the name, the time zone and the language can be changed here."), code="field")
    for key, value in fields.items():
        setattr(user, key, value)
    with transaction.atomic():
        user.full_clean(exclude=["password"])
        if fields:
            user.save(update_fields=list(fields))
    return user


def save_user(*, user: User, actor: User) -> User:
    """Create or change a person from the admin (an admin's own edits go through
    the same model rules); a new person gets the default working week."""
    if not actor.is_staff:
        raise PermissionDenied(_("Only admins can change other people."))
    with transaction.atomic():
        user.full_clean(exclude=["password"])
        user.save()
    return user


def delete_user(*, user: User, actor: User) -> None:
    """Delete a person with nothing on record; whoever has booked rooms or
    organized events is deactivated instead, so that the record stays whole."""
    if not actor.is_staff:
        raise PermissionDenied(_("Only admins can delete people."))
    try:
        with transaction.atomic():
            user.delete()
    except ProtectedError as error:
        raise ValidationError(
            _("%(person)s has bookings or events on record and cannot be deleted; deactivate them instead.")
            % {"person": user.display_name},
            code="protected",
        ) from error


def sign_up(*, user: User, name: str, timezone_name: str, language: str = "") -> User:
    """Complete a new account made by allauth's sign-up with the person's name,
    zone and the language they signed up in."""
    return change_profile(user=user, name=name, timezone=timezone_name, language=language)


def set_password(*, user: User, password: str | None) -> User:
    """Store a new password (already checked by the form that asked for it);
    ``None`` makes the account unusable for password logins."""
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.save(update_fields=["password"])
    return user


def issue_api_token(*, user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for ``user``: the saved row and the raw token, to be shown once."""
    token, raw = ApiToken.build(user, name)
    token.full_clean(exclude=["key_hash", "hint"])
    token.save()
    return token, raw


def note_api_token_use(*, token: ApiToken) -> None:
    """Remember when a token was last used, at most every five minutes (one UPDATE
    then, none in between, so that API calls do not all write)."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


def revoke_api_token(*, token: ApiToken, actor: User) -> ApiToken:
    if token.user_id != actor.pk and not actor.is_staff:
        raise PermissionDenied(_("You can only revoke your own tokens."))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def after_password_change(*, user: User) -> User:
    """What a new password ends: the old calendar feed address."""
    return reset_calendar_token(user=user)


def reset_calendar_token(*, user: User) -> User:
    """A new secret address for the person's calendar feed; the old one stops working."""
    user.calendar_token = new_calendar_token()
    user.save(update_fields=["calendar_token"])
    return user


def site_domain() -> str:
    return urlsplit(settings.SITE_URL).netloc or "localhost"


def sync_site(sender: Any = None, using: str = "default", **kwargs: Any) -> None:
    """After ``migrate``: make the one ``Site`` say what ``SITE_URL`` and
    ``SITE_NAME`` say. allauth keys its per-account login throttle by the site's
    domain; without a fixed site it took the request's Host header, port
    included, so every new port counted afresh."""
    from django.contrib.sites.models import Site

    Site.objects.using(using).update_or_create(
        pk=settings.SITE_ID, defaults={"domain": site_domain(), "name": settings.SITE_NAME}
    )
    Site.objects.clear_cache()
