from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from booking_site.admin_mixins import ServiceAdmin, adopt, record_formset
from events import services
from events.models import Event, Invitation, Registration
from rooms.models import Room


class RegistrationInline(admin.TabularInline):
    """People registered: add or remove them here (through the services, under the
    event's lock and within its capacity); a registration itself is not edited."""

    model = Registration
    extra = 0
    fields = ["user", "created_at"]
    readonly_fields = ["created_at"]
    autocomplete_fields = ["user"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class InvitationInline(admin.TabularInline):
    """Invitations: send new ones here (as yourself, under the invitee's working
    hours); answers are given by the invitee, or with the invitations' actions."""

    model = Invitation
    fk_name = "event"
    extra = 0
    fields = ["invitee", "invited_by", "status", "created_at", "responded_at"]
    readonly_fields = ["invited_by", "status", "created_at", "responded_at"]
    autocomplete_fields = ["invitee"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class EventAdminForm(forms.ModelForm):
    room = forms.ModelChoiceField(
        label=_("Room"),
        queryset=Room.objects.active(),
        required=False,
        help_text=_("The room is booked for the event in the same step."),
    )

    class Meta:
        model = Event
        fields = ["title", "description", "start", "end", "organizer", "capacity"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = None
        if self.instance.pk and self.instance.booking_id and not self.instance.booking.is_cancelled:
            current = self.instance.booking.room_id
            self.fields["room"].initial = current
        self.fields["room"].queryset = Room.objects.bookable_or(current).order_by("name")


@admin.register(Event)
class EventAdmin(ServiceAdmin):
    """Changes go through the events services, so the room booking moves with the
    event, and registrations and invitations obey the same rules as on the pages."""

    form = EventAdminForm
    list_display = ["title", "start", "end", "organizer", "room_name", "capacity", "registration_count", "is_cancelled"]
    list_filter = [("start", admin.DateFieldListFilter), "organizer", "booking__room"]
    list_select_related = ["organizer", "booking__room"]
    date_hierarchy = "start"
    search_fields = ["title", "description", "organizer__email", "organizer__name"]
    autocomplete_fields = ["organizer"]
    readonly_fields = ["booking", "created_at", "cancelled_at"]
    fields = [
        "title",
        "description",
        "start",
        "end",
        "organizer",
        "capacity",
        "room",
        "booking",
        "created_at",
        "cancelled_at",
    ]
    inlines = [RegistrationInline, InvitationInline]
    actions = ["cancel_selected"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Event]:
        return super().get_queryset(request).with_registration_counts()

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        """The organizer holds the room booking; it stays who it is."""
        readonly = list(super().get_readonly_fields(request, obj))
        return [*readonly, "organizer"] if obj is not None else readonly

    @admin.display(description=_("room"), ordering="booking__room__name")
    def room_name(self, obj: Event) -> str:
        return str(obj.room or "—")

    @admin.display(description=_("registered"), ordering="registration_count")
    def registration_count(self, obj: Event) -> int:
        return obj.registration_count

    @admin.display(description=_("cancelled"), boolean=True)
    def is_cancelled(self, obj: Event) -> bool:
        return obj.is_cancelled

    def refusal(self, request: HttpRequest, obj: Event) -> Exception | None:
        return obj.refusal(request.user, "change")

    def save_model(self, request: HttpRequest, obj: Event, form: Any, change: bool) -> None:
        fields = {
            "title": obj.title,
            "description": obj.description,
            "start": obj.start,
            "end": obj.end,
            "capacity": obj.capacity,
            "room": form.cleaned_data.get("room"),
        }
        if change:
            adopt(obj, services.change_event(event=obj, actor=request.user, **fields))
        else:
            adopt(obj, services.create_event(organizer=obj.organizer, **fields))

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        event = form.instance
        new, deleted = [], []
        for inline_form in formset.deleted_forms:
            if inline_form.instance.pk is not None and formset.model is Registration:
                services.unregister(event=event, user=inline_form.instance.user, actor=request.user)
                deleted.append(inline_form.instance)
        for inline_form in formset.extra_forms:
            if not inline_form.has_changed() or inline_form in formset.deleted_forms:
                continue
            if formset.model is Registration:
                new.append(services.register(event=event, user=inline_form.cleaned_data["user"], actor=request.user))
            else:
                invitee = inline_form.cleaned_data["invitee"]
                result = services.invite(event=event, invited_by=request.user, invitees=[invitee])
                for person, reasons in result.refused:
                    raise ValidationError(f"{person.display_name}: {' '.join(reasons)}")
                new.extend(result.sent)
        record_formset(formset, new, deleted)

    @admin.action(description=_("Cancel selected events"))
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet[Event]) -> None:
        self.apply_each(
            request,
            queryset,
            lambda event: services.cancel_event(event=event, actor=request.user),
            lambda count: ngettext("%d event cancelled.", "%d events cancelled.", count) % count,
        )


@admin.register(Registration)
class RegistrationAdmin(ServiceAdmin):
    """Register someone (within the event's capacity, before it starts) or remove
    a registration; both through the services."""

    list_display = ["event", "user", "created_at"]
    list_select_related = ["event", "user"]
    list_filter = [("event__start", admin.DateFieldListFilter)]
    search_fields = ["event__title", "user__email", "user__name"]
    autocomplete_fields = ["event", "user"]
    fields = ["event", "user", "created_at"]
    readonly_fields = ["created_at"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Registration, form: Any, change: bool) -> None:
        adopt(obj, services.register(event=obj.event, user=obj.user, actor=request.user))

    def delete_model(self, request: HttpRequest, obj: Registration) -> None:
        services.unregister(event=obj.event, user=obj.user, actor=request.user)


@admin.register(Invitation)
class InvitationAdmin(ServiceAdmin):
    """Invite someone as yourself (the invitee's working hours apply); answer for
    an invitee with the actions. Invitations are not edited or deleted."""

    list_display = ["event", "invitee", "invited_by", "status", "created_at", "responded_at"]
    list_select_related = ["event", "invitee", "invited_by"]
    list_filter = ["status", ("event__start", admin.DateFieldListFilter)]
    search_fields = ["event__title", "invitee__email", "invitee__name", "invited_by__email"]
    autocomplete_fields = ["event", "invitee"]
    fields = ["event", "invitee", "invited_by", "status", "created_at", "responded_at"]
    readonly_fields = ["invited_by", "status", "created_at", "responded_at"]
    actions = ["accept_selected", "decline_selected"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Invitation, form: Any, change: bool) -> None:
        result = services.invite(event=obj.event, invited_by=request.user, invitees=[obj.invitee])
        for person, reasons in result.refused:
            raise ValidationError(f"{person.display_name}: {' '.join(reasons)}")
        adopt(obj, result.sent[0])

    @admin.action(description=_("Accept selected invitations for the invitees"))
    def accept_selected(self, request: HttpRequest, queryset: QuerySet[Invitation]) -> None:
        self.apply_each(
            request,
            queryset,
            lambda invitation: services.accept_invitation(invitation=invitation, actor=request.user),
            lambda count: ngettext("%d invitation accepted.", "%d invitations accepted.", count) % count,
        )

    @admin.action(description=_("Decline selected invitations for the invitees"))
    def decline_selected(self, request: HttpRequest, queryset: QuerySet[Invitation]) -> None:
        self.apply_each(
            request,
            queryset,
            lambda invitation: services.decline_invitation(invitation=invitation, actor=request.user),
            lambda count: ngettext("%d invitation declined.", "%d invitations declined.", count) % count,
        )
