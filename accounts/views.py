from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import translation
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView

from accounts import services
from accounts.forms import ApiTokenForm, ProfileForm, WorkingWeekForm
from accounts.models import ApiToken
from accounts.qr import qr_svg

NEW_TOKEN_SESSION_KEY = "new_api_token"


def webcal_url(url: str) -> str:
    """``url`` (http or https) with the ``webcal`` scheme, which calendar apps register
    for: opening it offers to subscribe to the feed at the same host and path."""
    return urlunsplit(urlsplit(url)._replace(scheme="webcal"))


# The page holds secrets (the feed's address, a new API token): no cache keeps it.
@method_decorator(never_cache, name="dispatch")
class ProfileView(TemplateView):
    """The signed-in user's name, time zone and working week, as two forms; the personal
    calendar feed to subscribe to (https and webcal addresses, a QR code); API tokens."""

    template_name = "accounts/profile.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context.setdefault("form", ProfileForm(instance=user))
        context.setdefault("hours_form", WorkingWeekForm(user=user))
        context["token_form"] = ApiTokenForm()
        context["tokens"] = ApiToken.objects.active().filter(user=user)
        context["new_token"] = self.request.session.pop(NEW_TOKEN_SESSION_KEY, None)
        feed_url = self.request.build_absolute_uri(reverse("events:user_feed", args=[user.calendar_token]))
        context["feed_url"] = feed_url
        context["feed_webcal_url"] = webcal_url(feed_url)
        # The webcal address: a phone's camera opens it in the calendar app as a
        # subscription, where an https address would be imported once.
        context["feed_qr"] = qr_svg(context["feed_webcal_url"], label=_("QR code of your calendar feed address"))
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if "save_hours" in request.POST:
            hours_form = WorkingWeekForm(request.POST, user=user)
            if hours_form.is_valid():
                services.set_working_hours(user=user, week=hours_form.cleaned_data["week"])
                messages.success(request, _("Your working hours have been saved."))
                return redirect("accounts:profile")
            messages.error(request, _("Please correct the errors below."))
            return self.render_to_response(self.get_context_data(hours_form=hours_form))
        form = ProfileForm(request.POST, instance=user)
        if form.is_valid():
            services.change_profile(user=user, **{name: form.cleaned_data[name] for name in services.PROFILE_FIELDS})
            if user.language:
                translation.activate(user.language)  # the confirmation in the language just chosen
            messages.success(request, _("Your profile has been saved."))
            return redirect("accounts:profile")
        messages.error(request, _("Please correct the errors below."))
        return self.render_to_response(self.get_context_data(form=form))


class ApiTokenCreateView(View):
    """Create a personal API token; it is shown once, on the next profile page."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ApiTokenForm(request.POST)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return redirect("accounts:profile")
        token, raw = services.issue_api_token(user=request.user, name=form.cleaned_data["name"])
        request.session[NEW_TOKEN_SESSION_KEY] = {"id": token.pk, "raw": raw}
        messages.success(request, _("Token “%(name)s” created.") % {"name": token.name})
        return redirect("accounts:profile")


class ApiTokenRevokeView(View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        token = get_object_or_404(ApiToken.objects.active(), pk=pk, user=request.user)
        services.revoke_api_token(token=token, actor=request.user)
        messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
        return redirect("accounts:profile")
