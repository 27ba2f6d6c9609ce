import contextlib
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, FormView, ListView, TemplateView

from rooms import services
from rooms.forms import BookingForm, RoomFilterForm, next_free_slot
from rooms.ical import booking_message
from rooms.models import Booking, Room, format_span
from rooms.timeline import build_day_timeline


def add_service_errors(form: Any, error: ValidationError) -> None:
    for message in error.messages:
        form.add_error(None, message)


class RoomListView(ListView):
    """All active rooms, with capacity, equipment and whether each is free now."""

    template_name = "rooms/room_list.html"
    context_object_name = "rooms"
    paginate_by = 50

    def get_queryset(self) -> QuerySet[Room]:
        self.filter_form = RoomFilterForm(self.request.GET or None)
        rooms = Room.objects.active().order_by("name").with_bookings_today()
        return self.filter_form.filter(rooms)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        now = timezone.now()
        context["filter_form"] = self.filter_form
        context["now"] = now
        for room in context["rooms"]:
            room.is_free, room.until = room.availability(now)
        return context


def parse_day(value: str | None) -> date:
    try:
        return date.fromisoformat(value) if value else timezone.localdate()
    except ValueError:
        return timezone.localdate()


class RoomDetailView(DetailView):
    """A room, its timeline for one day, and its upcoming bookings."""

    template_name = "rooms/room_detail.html"
    context_object_name = "room"

    def get_queryset(self) -> QuerySet[Room]:
        return Room.objects.with_bookings_today()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        room = self.object
        now = timezone.now()
        day = parse_day(self.request.GET.get("day"))
        zone = timezone.get_current_timezone()
        day_start = timezone.make_aware(datetime.combine(day, time()), zone)
        day_end = timezone.make_aware(datetime.combine(day + timedelta(days=1), time()), zone)
        day_bookings = list(
            Booking.objects.active().with_related().filter(room=room, start__lt=day_end, end__gt=day_start)
        )
        upcoming = Booking.objects.active().upcoming(now).with_related().filter(room=room).order_by("start")
        page = Paginator(upcoming, 25).get_page(self.request.GET.get("page"))
        context.update(
            {
                "day": day,
                "previous_day": day - timedelta(days=1),
                "next_day": day + timedelta(days=1),
                "today": timezone.localdate(),
                "timeline": build_day_timeline(day, day_bookings, now),
                "page_obj": page,
                "upcoming": page.object_list,
                "now": now,
            }
        )
        room.is_free, room.until = room.availability(now)
        return context


class BookRoomView(FormView):
    """The booking form for one room, prefilled with its next free half hour."""

    form_class = BookingForm
    template_name = "rooms/booking_form.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.room = get_object_or_404(Room, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self) -> dict[str, Any]:
        start = next_free_slot(self.room)
        initial = BookingForm.initial_for(start, start + timedelta(minutes=30))
        for key, field in (("date", "date"), ("start", "start_time"), ("end", "end_time")):
            raw = self.request.GET.get(key)
            if raw:
                with contextlib.suppress(ValueError):
                    initial[field] = date.fromisoformat(raw) if key == "date" else time.fromisoformat(raw)
        return initial

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["room"] = self.room
        context["is_new"] = True
        return context

    def form_valid(self, form: BookingForm) -> HttpResponse:
        try:
            booking = services.book_room(
                room=self.room,
                user=self.request.user,
                title=form.cleaned_data["title"],
                start=form.cleaned_data["start"],
                end=form.cleaned_data["end"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("%(room)s is booked %(span)s.") % {"room": booking.room, "span": format_span(booking.start, booking.end)},
        )
        return redirect("rooms:my_bookings")


class MyBookingsView(TemplateView):
    """My standing upcoming bookings first, then past and cancelled ones, newest first."""

    template_name = "rooms/booking_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        now = timezone.now()
        mine = Booking.objects.filter(user=self.request.user).select_related("room")
        context["upcoming"] = mine.active().upcoming(now).order_by("start")
        history = mine.filter(Q(end__lte=now) | Q(cancelled_at__isnull=False))
        context["page_obj"] = Paginator(history.order_by("-start"), 20).get_page(self.request.GET.get("page"))
        context["now"] = now
        return context


class ManagedBookingMixin:
    """The booking of the URL, if the user may manage it; 404 otherwise."""

    request: HttpRequest
    kwargs: dict[str, Any]

    def get_booking(self) -> Booking:
        bookings = Booking.objects.visible_to(self.request.user).with_related()
        return get_object_or_404(bookings, pk=self.kwargs["pk"])

    def event_redirect(self, booking: Booking) -> HttpResponse | None:
        """A room booked for an event is changed through the event."""
        event = getattr(booking, "event", None)
        if event is None:
            return None
        messages.info(self.request, _("This room is booked for an event; change or cancel the event instead."))
        return redirect(event)


class BookingEditView(ManagedBookingMixin, FormView):
    template_name = "rooms/booking_form.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.booking = self.get_booking()
        to_event = self.event_redirect(self.booking)
        if to_event is not None:
            return to_event
        if self.booking.is_cancelled or self.booking.has_ended():
            messages.error(request, _("This booking can no longer be changed."))
            return redirect("rooms:my_bookings")
        return super().dispatch(request, *args, **kwargs)

    def get_form(self, form_class: Any = None) -> BookingForm:
        return BookingForm(**self.get_form_kwargs(), with_room=True)

    def get_initial(self) -> dict[str, Any]:
        booking = self.booking
        return BookingForm.initial_for(booking.start, booking.end, title=booking.title, room=booking.room)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["room"] = self.booking.room
        context["booking"] = self.booking
        return context

    def form_valid(self, form: BookingForm) -> HttpResponse:
        try:
            booking = services.change_booking(
                booking=self.booking,
                actor=self.request.user,
                title=form.cleaned_data["title"],
                room=form.cleaned_data["room"],
                start=form.cleaned_data["start"],
                end=form.cleaned_data["end"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Your booking “%(title)s” has been changed.") % {"title": booking.title})
        return redirect("rooms:my_bookings")


class BookingCancelView(ManagedBookingMixin, TemplateView):
    """A confirmation page on GET; the cancellation itself on POST."""

    template_name = "rooms/booking_confirm_cancel.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        to_event = self.event_redirect(self.get_booking())
        return to_event if to_event is not None else super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["booking"] = self.get_booking()
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        booking = self.get_booking()
        try:
            services.cancel_booking(booking=booking, actor=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Your booking “%(title)s” has been cancelled.") % {"title": booking.title})
        return HttpResponseRedirect(reverse("rooms:my_bookings"))


class BookingIcsView(ManagedBookingMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        booking = self.get_booking()
        response = HttpResponse(
            booking_message(booking, request.user.timezone), content_type="text/calendar; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="booking-{booking.pk}.ics"'
        return response
