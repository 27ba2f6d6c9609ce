from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from accounts.forms import ProfileForm, WorkingWeekForm
from accounts.services import set_working_hours


class ProfileView(TemplateView):
    """The signed-in user's name, time zone and working week, as two forms."""

    template_name = "accounts/profile.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context.setdefault("form", ProfileForm(instance=user))
        context.setdefault("hours_form", WorkingWeekForm(user=user))
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if "save_hours" in request.POST:
            hours_form = WorkingWeekForm(request.POST, user=user)
            if hours_form.is_valid():
                set_working_hours(user=user, week=hours_form.cleaned_data["week"])
                messages.success(request, _("Your working hours have been saved."))
                return redirect("accounts:profile")
            messages.error(request, _("Please correct the errors below."))
            return self.render_to_response(self.get_context_data(hours_form=hours_form))
        form = ProfileForm(request.POST, instance=user)
        if form.is_valid():
            form.save()
            messages.success(request, _("Your profile has been saved."))
            return redirect("accounts:profile")
        messages.error(request, _("Please correct the errors below."))
        return self.render_to_response(self.get_context_data(form=form))
