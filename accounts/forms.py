from typing import Any

from django import forms
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.timezones import timezone_choices


class TimezoneSelect(forms.Select):
    """A select of IANA zones that the browser may preset to its own zone."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs={"data-detect-timezone": "1", **(attrs or {})})


class SignupExtraForm(forms.Form):
    """Fields allauth's signup form gets on top of e-mail and password."""

    name = forms.CharField(label=_("Name"), max_length=150, required=True)
    timezone = forms.ChoiceField(label=_("Time zone"), choices=timezone_choices, widget=TimezoneSelect)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from django.conf import settings

        self.fields["timezone"].initial = settings.TIME_ZONE

    def signup(self, request: HttpRequest, user: User) -> None:
        user.name = self.cleaned_data["name"]
        user.timezone = self.cleaned_data["timezone"]
        user.save(update_fields=["name", "timezone"])


class ProfileForm(forms.ModelForm):
    timezone = forms.ChoiceField(label=_("Time zone"), choices=timezone_choices, widget=TimezoneSelect)

    class Meta:
        model = User
        fields = ["name", "timezone"]
