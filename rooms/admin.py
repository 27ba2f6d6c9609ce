from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from booking_site.admin_mixins import ServiceAdmin, adopt, record_formset
from rooms import services
from rooms.models import Booking, Equipment, Room


class UpcomingBookingInline(admin.TabularInline):
    """A room's standing upcoming bookings, read only: edit them on their own page."""

    model = Booking
    verbose_name_plural = _("upcoming bookings")
    fields = ["link", "start", "end", "user"]
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False
    view_on_site = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Booking]:
        return super().get_queryset(request).active().upcoming().select_related("user").order_by("start")

    @admin.display(description=_("title"))
    def link(self, obj: Booking) -> str:
        return format_html('<a href="{}">{}</a>', reverse("admin:rooms_booking_change", args=[obj.pk]), obj.title)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class EquipmentFilter(admin.SimpleListFilter):
    title = _("equipment")
    parameter_name = "equipment"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Any:
        return Equipment.choices

    def queryset(self, request: HttpRequest, queryset: QuerySet[Room]) -> QuerySet[Room]:
        value = self.value()
        return queryset.with_equipment([value]) if value in Equipment.values else queryset


@admin.register(Room)
class RoomAdmin(ServiceAdmin):
    """Rooms are created, changed, opened and closed through the rooms services."""

    list_display = ["name", "capacity", "location", "equipment_list", "is_active"]
    list_filter = ["is_active", EquipmentFilter, "location"]
    search_fields = ["name", "location", "description"]
    list_editable = ["is_active"]
    inlines = [UpcomingBookingInline]
    actions = ["deactivate", "activate"]

    @admin.display(description=_("equipment"))
    def equipment_list(self, obj: Room) -> str:
        return ", ".join(obj.equipment_labels())

    def save_model(self, request: HttpRequest, obj: Room, form: Any, change: bool) -> None:
        fields = {name: getattr(obj, name) for name in services.ROOM_FIELDS}
        if change:
            adopt(obj, services.change_room(room=obj, actor=request.user, **fields))
        else:
            adopt(obj, services.create_room(actor=request.user, **fields))

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        """The bookings inline is read only: bookings change on their own pages."""
        record_formset(formset)

    def delete_model(self, request: HttpRequest, obj: Room) -> None:
        services.delete_room(room=obj, actor=request.user)

    def _set_active(self, request: HttpRequest, queryset: QuerySet[Room], active: bool) -> None:
        self.apply_each(
            request,
            queryset,
            lambda room: services.set_room_active(room=room, actor=request.user, active=active),
            lambda count: (
                (
                    ngettext("%d room activated.", "%d rooms activated.", count)
                    if active
                    else ngettext("%d room deactivated.", "%d rooms deactivated.", count)
                )
                % count
            ),
        )

    @admin.action(description=_("Deactivate selected rooms"))
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Room]) -> None:
        self._set_active(request, queryset, False)

    @admin.action(description=_("Activate selected rooms"))
    def activate(self, request: HttpRequest, queryset: QuerySet[Room]) -> None:
        self._set_active(request, queryset, True)


class BookingStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Any:
        return [("upcoming", _("Upcoming")), ("past", _("Past")), ("cancelled", _("Cancelled"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Booking]) -> QuerySet[Booking]:
        if self.value() == "upcoming":
            return queryset.active().upcoming()
        if self.value() == "past":
            return queryset.active().past()
        if self.value() == "cancelled":
            return queryset.filter(cancelled_at__isnull=False)
        return queryset


@admin.register(Booking)
class BookingAdmin(ServiceAdmin):
    """Bookings obey the model's rules and the holder's guards here too (ended,
    cancelled, held for an event); saving goes through the services, which mail
    the holder."""

    list_display = ["title", "room", "user", "start", "end", "state"]
    list_filter = [BookingStateFilter, "room", ("start", admin.DateFieldListFilter)]
    list_select_related = ["room", "user"]
    date_hierarchy = "start"
    search_fields = ["title", "user__email", "user__name", "room__name"]
    autocomplete_fields = ["user"]
    readonly_fields = ["created_at", "cancelled_at", "event_link"]
    fields = ["room", "user", "title", "start", "end", "created_at", "cancelled_at", "event_link"]
    actions = ["cancel_selected"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        """The holder of a booking stays who it is; book anew for someone else."""
        readonly = list(super().get_readonly_fields(request, obj))
        return [*readonly, "user"] if obj is not None else readonly

    def get_queryset(self, request: HttpRequest) -> QuerySet[Booking]:
        return super().get_queryset(request).select_related("event")

    @admin.display(description=_("state"))
    def state(self, obj: Booking) -> str:
        return str(obj.state.label)

    @admin.display(description=_("event"))
    def event_link(self, obj: Booking) -> str:
        event = obj.owning_event
        if event is None:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("admin:events_event_change", args=[event.pk]), event)

    def refusal(self, request: HttpRequest, obj: Booking) -> Exception | None:
        return obj.refusal(request.user, "change")

    def save_model(self, request: HttpRequest, obj: Booking, form: Any, change: bool) -> None:
        fields = {"title": obj.title, "room": obj.room, "start": obj.start, "end": obj.end}
        if change:
            adopt(obj, services.change_booking(booking=obj, actor=request.user, **fields))
        else:
            adopt(obj, services.book_room(user=obj.user, **fields))

    @admin.action(description=_("Cancel selected bookings"))
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet[Booking]) -> None:
        self.apply_each(
            request,
            queryset.select_related("room"),
            lambda booking: services.cancel_booking(booking=booking, actor=request.user),
            lambda count: ngettext("%d booking cancelled.", "%d bookings cancelled.", count) % count,
        )
