from typing import Any

from django import forms
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from accounts import services
from accounts.models import DEFAULT_HOURS, User, Weekday, WorkingHours
from accounts.timezones import timezone_choices
from booking_site.forms import model_field


class TimezoneSelect(forms.Select):
    """A select of IANA zones that the browser may preset to its own zone, with a
    search box (static/js/site.js) over its 500-odd entries."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs={"data-detect-timezone": "1", **(attrs or {})})

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"]["data-searchable"] = str(_("Search time zones, e.g. Berlin"))
        return context


class SignupExtraForm(forms.Form):
    """Fields allauth's signup form gets on top of e-mail and password."""

    name = model_field(User, "name", label=_("Name"), required=True)
    timezone = forms.ChoiceField(label=_("Time zone"), choices=timezone_choices, widget=TimezoneSelect)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from django.conf import settings

        self.fields["timezone"].initial = settings.TIME_ZONE

    def signup(self, request: HttpRequest, user: User) -> None:
        services.sign_up(
            user=user,
            name=self.cleaned_data["name"],
            timezone_name=self.cleaned_data["timezone"],
            language=translation.get_language() or "",
        )


class ProfileForm(forms.ModelForm):
    timezone = forms.ChoiceField(label=_("Time zone"), choices=timezone_choices, widget=TimezoneSelect)

    class Meta:
        model = User
        fields = ["name", "timezone", "language"]


class WorkingWeekForm(forms.Form):
    """The seven weekdays of a working week; an unticked day is a day off."""

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        current = {row.weekday: row for row in user.working_hours.all()}
        for weekday, label in Weekday.choices:
            row = current.get(weekday)
            self.fields[f"d{weekday}_works"] = forms.BooleanField(label=label, required=False, initial=row is not None)
            for name, field_label in (
                ("start", _("Start")),
                ("end", _("End")),
                ("break_start", _("Break from")),
                ("break_end", _("Break until")),
            ):
                default = getattr(row, name) if row else DEFAULT_HOURS[name]
                self.fields[f"d{weekday}_{name}"] = forms.TimeField(
                    label=f"{label}: {field_label}",
                    required=False,
                    initial=default,
                    widget=forms.TimeInput(attrs={"type": "time", "step": 300}, format="%H:%M"),
                )

    def days(self) -> list[dict[str, Any]]:
        """Bound fields grouped per weekday, for the template."""
        return [
            {
                "label": label,
                "works": self[f"d{weekday}_works"],
                "fields": [self[f"d{weekday}_{name}"] for name in ("start", "end", "break_start", "break_end")],
                "errors": self.errors.get(f"d{weekday}_works"),
            }
            for weekday, label in Weekday.choices
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        week: dict[int, Any] = {}
        for weekday in Weekday.values:
            if not data.get(f"d{weekday}_works"):
                week[weekday] = None
                continue
            values = tuple(data.get(f"d{weekday}_{name}") for name in ("start", "end", "break_start", "break_end"))
            if values[0] is None or values[1] is None:
                self.add_error(f"d{weekday}_works", _("Give the start and the end of a working day."))
                continue
            problems = WorkingHours.problems(weekday, *values)
            for message in problems:
                self.add_error(f"d{weekday}_works", message)
            if problems:
                continue
            week[weekday] = values
        data["week"] = week
        return data


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"), max_length=100, help_text=_("Where it is used, e.g. “door panel 3” or “calendar sync”.")
    )
