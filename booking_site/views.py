import contextlib
import sys
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template import loader
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import check_for_language
from django.utils.translation import gettext as _
from django.views import defaults, i18n
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django.views.generic import TemplateView

from accounts import services as account_services
from events.models import Event, Invitation
from rooms.models import Booking


@never_cache
@login_not_required
@require_safe
def health(request: HttpRequest) -> HttpResponse:
    """200 when the database answers a query, 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return HttpResponse("database unavailable\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")


class HomeView(TemplateView):
    """My next bookings and events, and invitations waiting for my answer."""

    template_name = "home.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        now = timezone.now()
        user = self.request.user
        context["next_events"] = (
            Event.objects.active()
            .upcoming(now)
            .filter(Q(organizer=user) | Q(registrations__user=user))
            .distinct()
            .select_related("booking__room")
            .order_by("start")[:5]
        )
        context["invitations"] = (
            Invitation.objects.filter(invitee=user)
            .waiting(now)
            .select_related("event", "invited_by")
            .order_by("event__start")[:5]
        )
        context["next_bookings"] = (
            Booking.objects.filter(user=self.request.user)
            .active()
            .upcoming(now)
            .select_related("room")
            .order_by("start")[:5]
        )
        context["now"] = now
        return context


@login_not_required
def switch_language(request: HttpRequest) -> HttpResponse:
    """Django's ``set_language``, which also remembers the choice of a signed-in person
    (their pages and mails follow it on every device)."""
    response = i18n.set_language(request)
    language = request.POST.get("language", "")
    if request.method == "POST" and request.user.is_authenticated and check_for_language(language):
        with contextlib.suppress(ValidationError):  # an old profile the rules now refuse keeps the cookie only
            account_services.change_profile(user=request.user, language=language)
    return response


@login_not_required
def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin signs in where everyone does, behind the same throttling:
    Django's own admin login form counts no failures."""
    query = request.GET.copy()
    query.setdefault("next", reverse("admin:index"))
    return redirect(f"{reverse('account_login')}?{query.urlencode()}")


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """JSON for unknown API addresses, the usual page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """503 with a plain page (JSON under /api/) while the database is unreachable;
    the usual error page otherwise. Nothing half-written stays: each write is one
    transaction, rolled back with the failed connection."""
    error = sys.exc_info()[1]
    unavailable = isinstance(error, OperationalError | InterfaceError)
    status = 503 if unavailable else 500
    if request.path.startswith("/api/"):
        detail = _("The service is briefly unavailable.") if unavailable else _("Server error.")
        response: HttpResponse = JsonResponse({"detail": detail}, status=status)
    else:
        template = "503.html" if unavailable else "500.html"
        response = HttpResponse(loader.render_to_string(template), status=status)
    if unavailable:
        response["Retry-After"] = "5"
    return response
