"""allauth's adapter: every link it mails points at ``SITE_URL``, whatever Host
header the request that asked for it carried."""

from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from django.db import transaction
from django.http import HttpRequest
from django.utils import translation

from booking_site.navigation import site_name
from booking_site.paths import site_url


def on_site(url: str) -> str:
    """``url``'s path (and query) on ``SITE_URL``."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return site_url(path)


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request: HttpRequest, user: Any, form: Any, commit: bool = True) -> Any:
        """A person signing up proves their address by mail, unlike one an admin adds."""
        user.signing_up = True
        return super().save_user(request, user, form, commit)

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        """Written now, in the language of the person the address belongs to (if
        they chose one), and sent by a worker like every other mail."""
        from accounts.models import User
        from notifications.models import OutgoingMail
        from notifications.services import queue_mail

        owner = User.objects.filter(email__iexact=email).only("language", "email").first()
        with translation.override(owner.language if owner and owner.language else translation.get_language()):
            site = context.get("current_site")
            if site is not None:
                context = {**context, "current_site": SimpleNamespace(domain=site.domain, name=site_name())}
            message = self.render_mail(template_prefix, email, context)
        stored = {
            "subject": message.subject,
            "body": message.body,
            "from_email": message.from_email,
            "alternatives": [[content, mimetype] for content, mimetype in getattr(message, "alternatives", [])],
        }
        with transaction.atomic():
            queue_mail(kind=OutgoingMail.Kind.ACCOUNT, recipient=owner, to=email, message=stored)

    def format_email_subject(self, subject: str) -> str:
        """``[Site name] subject``, the name in the reader's language like the body's."""
        return f"[{site_name()}] {subject}"

    def get_reset_password_from_key_url(self, key: str) -> str:
        return on_site(super().get_reset_password_from_key_url(key))

    def get_email_confirmation_url(self, request: HttpRequest, emailconfirmation: object) -> str:
        return on_site(super().get_email_confirmation_url(request, emailconfirmation))
