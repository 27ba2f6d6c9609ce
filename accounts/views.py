from django.contrib import messages
from django.contrib.messages.views import SuccessMessageMixin
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from django.views.generic import UpdateView

from accounts.forms import ProfileForm
from accounts.models import User


class ProfileView(SuccessMessageMixin, UpdateView):
    """The signed-in user's own name and time zone."""

    model = User
    form_class = ProfileForm
    template_name = "accounts/profile.html"
    success_url = reverse_lazy("accounts:profile")
    success_message = _("Your profile has been saved.")

    def get_object(self, queryset=None) -> User:
        return self.request.user

    def form_invalid(self, form):
        messages.error(self.request, _("Please correct the errors below."))
        return super().form_invalid(form)
