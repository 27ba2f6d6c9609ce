from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from booking_site.forms import model_field
from events.models import Event
from rooms.forms import SpanForm
from rooms.models import Room


class EventForm(SpanForm):
    title = model_field(Event, "title", label=_("Title"))
    description = model_field(Event, "description", label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}))
    capacity = model_field(Event, "capacity", label=_("Places"))
    room = forms.ModelChoiceField(
        label=_("Room"),
        queryset=Room.objects.active(),
        required=False,
        empty_label=_("No room"),
        help_text=_("The room is booked for the event in the same step."),
    )
    field_order = ["title", "description", "date", "start_time", "end_date", "end_time", "room", "capacity"]

    def __init__(self, *args: Any, current_room: Room | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["room"].queryset = Room.objects.bookable_or(current_room).order_by("name")


class PeopleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.display_name} <{obj.email}>" if obj.name else obj.email


class InviteForm(forms.Form):
    invitees = PeopleChoiceField(
        label=_("Colleagues"),
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        error_messages={"required": _("Pick at least one colleague.")},
    )

    def __init__(self, *args: Any, inviter: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["invitees"].queryset = (
            User.objects.filter(is_active=True).exclude(pk=inviter.pk).order_by("name", "email")
        )
