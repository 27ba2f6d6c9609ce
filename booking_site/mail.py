from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone, translation

from accounts.models import User
from booking_site.navigation import site_name
from booking_site.text import one_line


def message_for(
    recipient: User, subject_template: str, body_template: str, context: dict[str, Any]
) -> EmailMultiAlternatives:
    """A mail to ``recipient`` in their own language, with times in their own zone."""
    with translation.override(recipient.language or settings.LANGUAGE_CODE), timezone.override(recipient.timezone):
        context = {**context, "recipient": recipient, "site_name": site_name(), "site_url": settings.SITE_URL}
        subject = one_line(render_to_string(subject_template, context))
        body = render_to_string(body_template, context)
    return EmailMultiAlternatives(subject, body, to=[recipient.email])
