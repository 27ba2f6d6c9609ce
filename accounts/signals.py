from typing import Any

from allauth.account.signals import password_changed, password_reset, password_set
from django.contrib import messages
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import after_password_change, give_default_working_hours, trust_address


@receiver(post_save, sender=User, dispatch_uid="accounts_default_working_hours")
def default_working_hours(sender: type[User], instance: User, created: bool, raw: bool = False, **kwargs: Any) -> None:
    """Every new user starts with Mon-Fri 10:00-18:00 and a 12:00-13:00 break; an
    address given by an admin, a command or the demo (not a sign-up) is trusted."""
    if created and not raw:
        give_default_working_hours(instance)
        if not getattr(instance, "signing_up", False):
            trust_address(user=instance)


@receiver(password_changed, dispatch_uid="accounts_password_changed")
@receiver(password_reset, dispatch_uid="accounts_password_reset")
@receiver(password_set, dispatch_uid="accounts_password_set")
def new_password(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    """A new password ends what the old one may have given away: the calendar feed
    gets a new address, and the person is offered to revoke their API tokens
    (allauth already logs out their other sessions)."""
    after_password_change(user=user)
    tokens = user.api_tokens.filter(revoked_at__isnull=True).count()
    text = _("Your calendar feed has a new address; subscribe again with it.")
    if tokens:
        text = format_html(
            "{} {}",
            text,
            format_html(
                _('Your API tokens still work: <a href="{}">revoke them on your profile</a> if others may know them.'),
                reverse("accounts:profile"),
            ),
        )
    messages.info(request, text)
