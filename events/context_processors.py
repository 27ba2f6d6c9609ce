from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from events.models import Invitation


def pending_invitations(request: HttpRequest) -> dict[str, Any]:
    """How many invitations wait for the signed-in user's answer (queried only if shown)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "pending_invitation_count": SimpleLazyObject(
            lambda: Invitation.objects.filter(invitee=user, status=Invitation.Status.PENDING).count()
        )
    }
