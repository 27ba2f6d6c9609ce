import logging
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import timezone, translation

from accounts.models import User
from booking_site.navigation import site_name
from booking_site.text import one_line

logger = logging.getLogger(__name__)


def deliver(message: EmailMessage) -> None:
    """Send after the change it reports was committed: whatever the mail does, the
    person's request has succeeded, so a failure is logged, never raised."""
    try:
        message.send()
    except Exception:
        logger.exception("Could not send %r to %s", message.subject, message.to)


def message_for(recipient: User, subject_template: str, body_template: str, context: dict[str, Any]) -> EmailMessage:
    """A mail to ``recipient`` in their own language, with times in their own zone."""
    with translation.override(recipient.language or settings.LANGUAGE_CODE), timezone.override(recipient.timezone):
        context = {**context, "recipient": recipient, "site_name": site_name(), "site_url": settings.SITE_URL}
        subject = one_line(render_to_string(subject_template, context))
        body = render_to_string(body_template, context)
    return EmailMessage(subject, body, to=[recipient.email])
