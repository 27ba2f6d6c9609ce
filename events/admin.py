from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from booking_site.admin_mixins import ServiceErrorsAdminMixin
from events import services
from events.models import Event, Invitation, Registration


class RegistrationInline(admin.TabularInline):
    model = Registration
    extra = 0
    fields = ["user", "created_at"]
    readonly_fields = ["created_at"]
    autocomplete_fields = ["user"]


class InvitationInline(admin.TabularInline):
    model = Invitation
    fk_name = "event"
    extra = 0
    fields = ["invitee", "invited_by", "status", "created_at", "responded_at"]
    readonly_fields = ["created_at", "responded_at"]
    autocomplete_fields = ["invitee", "invited_by"]


@admin.register(Event)
class EventAdmin(ServiceErrorsAdminMixin, admin.ModelAdmin):
    """Changes go through the events services, so the room booking moves with the event."""

    list_display = ["title", "start", "end", "organizer", "room_name", "capacity", "registration_count", "is_cancelled"]
    list_filter = [("start", admin.DateFieldListFilter), "organizer", "booking__room"]
    list_select_related = ["organizer", "booking__room"]
    date_hierarchy = "start"
    search_fields = ["title", "description", "organizer__email", "organizer__name"]
    autocomplete_fields = ["organizer"]
    readonly_fields = ["booking", "created_at", "cancelled_at"]
    fields = ["title", "description", "start", "end", "organizer", "capacity", "booking", "created_at", "cancelled_at"]
    inlines = [RegistrationInline, InvitationInline]
    actions = ["cancel_selected"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Event]:
        return super().get_queryset(request).with_registration_counts()

    @admin.display(description=_("room"), ordering="booking__room__name")
    def room_name(self, obj: Event) -> str:
        return str(obj.room or "—")

    @admin.display(description=_("registered"), ordering="registration_count")
    def registration_count(self, obj: Event) -> int:
        return obj.registration_count

    @admin.display(description=_("cancelled"), boolean=True)
    def is_cancelled(self, obj: Event) -> bool:
        return obj.is_cancelled

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Event, form: Any, change: bool) -> None:
        if change:
            services.change_event(
                event=obj,
                actor=request.user,
                title=obj.title,
                description=obj.description,
                start=obj.start,
                end=obj.end,
                capacity=obj.capacity,
                room=obj.room,
            )
        else:
            created = services.create_event(
                organizer=obj.organizer,
                title=obj.title,
                description=obj.description,
                start=obj.start,
                end=obj.end,
                capacity=obj.capacity,
            )
            obj.pk = created.pk
            obj._state.adding = False

    @admin.action(description=_("Cancel selected events"))
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet[Event]) -> None:
        self.apply_each(
            request,
            queryset,
            lambda event: services.cancel_event(event=event, actor=request.user),
            lambda count: ngettext("%d event cancelled.", "%d events cancelled.", count) % count,
        )


@admin.register(Registration)
class RegistrationAdmin(admin.ModelAdmin):
    list_display = ["event", "user", "created_at"]
    list_select_related = ["event", "user"]
    list_filter = [("event__start", admin.DateFieldListFilter)]
    search_fields = ["event__title", "user__email", "user__name"]
    autocomplete_fields = ["event", "user"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["event", "invitee", "invited_by", "status", "created_at", "responded_at"]
    list_select_related = ["event", "invitee", "invited_by"]
    list_filter = ["status", ("event__start", admin.DateFieldListFilter)]
    search_fields = ["event__title", "invitee__email", "invitee__name", "invited_by__email"]
    autocomplete_fields = ["event", "invitee", "invited_by"]
    readonly_fields = ["created_at", "responded_at"]
