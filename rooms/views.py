import logging
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Max, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, FormView, TemplateView

from booking_site.ical import booking_calendar
from booking_site.spans import EARLIEST_DAY, LATEST_DAY, format_span
from rooms import google_sheets, reports, services
from rooms.finder import fitting_rooms, free_rooms_query, nearest_free_times
from rooms.forms import (
    BookingForm,
    FinderForm,
    RoomFilterForm,
    UsageReportForm,
    ceil_half_hour,
    next_free_slot,
)
from rooms.models import Booking, GridBooking, Room, note_availability
from rooms.timeline import build_day_timeline, columns, day_window

logger = logging.getLogger(__name__)
TIMELINE_ROOMS_PER_PAGE = 25


def add_service_errors(form: Any, error: ValidationError) -> None:
    for message in error.messages:
        form.add_error(None, message)


class RoomListView(TemplateView):
    """All active rooms, with capacity, equipment and whether each is free now."""

    template_name = "rooms/room_list.html"
    paginate_by = 50

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        filter_form = RoomFilterForm(self.request.GET or None)
        rooms = filter_form.filter(Room.objects.active().order_by("name"))
        page = Paginator(rooms, self.paginate_by).get_page(self.request.GET.get("page"))
        now = timezone.now()
        listed = list(page.object_list)
        note_availability(listed, now)
        return super().get_context_data(filter_form=filter_form, rooms=listed, page_obj=page, now=now, **kwargs)


def parse_day(value: str | None) -> date:
    """The ``day`` query parameter, or today when it is missing, garbage or out of range."""
    try:
        day = date.fromisoformat(value) if value else timezone.localdate()
    except ValueError:
        return timezone.localdate()
    return day if EARLIEST_DAY <= day <= LATEST_DAY else timezone.localdate()


class RoomDetailView(DetailView):
    """A room, its timeline for one day, and its upcoming bookings."""

    template_name = "rooms/room_detail.html"
    context_object_name = "room"
    queryset = Room.objects.all()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        now = timezone.now()
        room = self.object
        note_availability([room], now)
        day = parse_day(self.request.GET.get("day"))
        zone = timezone.get_current_timezone()
        day_start = timezone.make_aware(datetime.combine(day, time()), zone)
        day_end = timezone.make_aware(datetime.combine(day + timedelta(days=1), time()), zone)
        day_bookings = (
            Booking.objects.active().filter(room=room).touching(day_start, day_end).order_by("start").for_grid()
        )
        upcoming = (
            Booking.objects.active().upcoming(now).filter(room=room).select_related("user", "event").order_by("start")
        )
        page = Paginator(upcoming, 25).get_page(self.request.GET.get("page"))
        return {
            **super().get_context_data(**kwargs),
            "room": room,
            "day": day,
            "previous_day": day - timedelta(days=1),
            "next_day": day + timedelta(days=1),
            "today": timezone.localdate(),
            "timeline": build_day_timeline(day, day_bookings, now),
            "page_obj": page,
            "upcoming": page.object_list,
            "now": now,
        }


class BookRoomView(FormView):
    """The booking form for one room, prefilled with its next free half hour."""

    form_class = BookingForm
    template_name = "rooms/booking_form.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.room = get_object_or_404(Room, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self) -> dict[str, Any]:
        if self.request.method != "GET":
            return {}
        return BookingForm.initial_from_query(
            self.request.GET, lambda: next_free_slot(self.room), timedelta(minutes=30)
        )

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
        now = timezone.now()
        mine = Booking.objects.filter(user=self.request.user).for_list()
        upcoming = Paginator(mine.active().upcoming(now).order_by("start"), 25).get_page(
            self.request.GET.get("upcoming")
        )
        history = mine.filter(Q(end__lte=now) | Q(cancelled_at__isnull=False))
        return {
            **super().get_context_data(**kwargs),
            "upcoming_page": upcoming,
            "upcoming": upcoming.object_list,
            "page_obj": Paginator(history.order_by("-start"), 20).get_page(self.request.GET.get("page")),
            "now": now,
        }


class ManagedBookingMixin:
    """The booking of the URL, if the user may manage it; 404 otherwise."""

    request: HttpRequest
    kwargs: dict[str, Any]

    def get_booking(self) -> Booking:
        bookings = Booking.objects.visible_to(self.request.user).with_related().select_related("event")
        return get_object_or_404(bookings, pk=self.kwargs["pk"])

    def refused(self, booking: Booking, action: str) -> HttpResponse | None:
        """The model's reason why this person may not ``action`` the booking, as a
        message, and where to go instead: the event for a room booked for one."""
        refusal = booking.refusal(self.request.user, action)
        if refusal is None:
            return None
        messages.error(self.request, " ".join(refusal.messages))
        event = booking.owning_event
        return redirect(event) if event is not None else redirect("rooms:my_bookings")


class BookingEditView(ManagedBookingMixin, FormView):
    template_name = "rooms/booking_form.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.booking = self.get_booking()
        return self.refused(self.booking, "change") or super().dispatch(request, *args, **kwargs)

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
        if request.method == "GET":
            return self.refused(self.get_booking(), "cancel") or super().dispatch(request, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["booking"] = self.get_booking()
        context["next"] = self.next_url()
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        booking = self.get_booking()
        try:
            services.cancel_booking(booking=booking, actor=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            if booking.owning_event is not None:
                return redirect(booking.owning_event)
        else:
            messages.success(request, _("Your booking “%(title)s” has been cancelled.") % {"title": booking.title})
        return HttpResponseRedirect(self.next_url() or reverse("rooms:my_bookings"))

    def next_url(self) -> str | None:
        """Where the person came from (``next``, as the grid's dialog sends it), if
        it is a path on this site; None otherwise."""
        request = self.request
        target = request.POST.get("next") or request.GET.get("next") or ""
        if target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return target
        return None


class BookingIcsView(ManagedBookingMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        booking = self.get_booking()
        response = HttpResponse(
            booking_calendar(booking, request.user.timezone), content_type="text/calendar; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="booking-{booking.pk}.ics"'
        return response


class FindRoomView(TemplateView):
    """Rooms free for a whole span that seat a group, smallest first; when none
    fits, the nearest free times that day."""

    template_name = "rooms/find.html"
    paginate_by = 20

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if self.request.GET:
            form = FinderForm(self.request.GET)
        else:
            start = ceil_half_hour(timezone.localtime())
            form = FinderForm(initial=BookingForm.initial_for(start, start + timedelta(hours=1)) | {"people": 4})
        context["form"] = form
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            context["searched"] = True
            rooms = free_rooms_query(data["start"], data["end"], data["people"], data["equipment"])
            page = Paginator(rooms, self.paginate_by).get_page(self.request.GET.get("page"))
            context["page_obj"], context["rooms"] = page, list(page.object_list)
            if not context["rooms"]:
                context["too_few_seats"] = not fitting_rooms(data["people"], []).exists()
                context["missing_equipment"] = not context["too_few_seats"] and not (
                    fitting_rooms(data["people"], data["equipment"]).exists()
                )
                if context["too_few_seats"]:
                    context["largest"] = Room.objects.active().aggregate(seats=Max("capacity"))["seats"] or 0
                elif not context["missing_equipment"]:
                    context["suggestions"] = nearest_free_times(
                        data["date"], data["start"], data["end"], data["people"], data["equipment"]
                    )
            context["in_past"] = data["start"] < timezone.now()
            end_day = data.get("end_date") or data["date"]
            context["book_query"] = (
                f"date={data['date']:%Y-%m-%d}&start={data['start_time']:%H:%M}"
                f"&end_date={end_day:%Y-%m-%d}&end={data['end_time']:%H:%M}"
            )
        return context


class DayTimelineView(TemplateView):
    """All active rooms as rows, one day in half hours as columns."""

    template_name = "rooms/timeline_day.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        now = timezone.now()
        day = parse_day(self.request.GET.get("day"))
        zone = timezone.get_current_timezone()
        day_start = timezone.make_aware(datetime.combine(day, time()), zone)
        day_end = timezone.make_aware(datetime.combine(day + timedelta(days=1), time()), zone)
        page = Paginator(Room.objects.active().order_by("name"), TIMELINE_ROOMS_PER_PAGE).get_page(
            self.request.GET.get("page")
        )
        rooms = list(page.object_list)
        bookings = (
            Booking.objects.active().filter(room__in=rooms).touching(day_start, day_end).order_by("start").for_grid()
        )
        window = day_window(day, bookings)
        by_room: dict[int, list[GridBooking]] = {}
        for booking in bookings:
            by_room.setdefault(booking.room_id, []).append(booking)
        grid = columns(window, now)
        rows = [(room, build_day_timeline(day, by_room.get(room.pk, []), now, window, grid)) for room in rooms]
        context.update(
            {
                "day": day,
                "today": timezone.localdate(),
                "previous_day": day - timedelta(days=1),
                "next_day": day + timedelta(days=1),
                "rows": rows,
                "page_obj": page,
                "header": rows[0][1] if rows else build_day_timeline(day, [], now, window),
            }
        )
        return context


class WeekTimelineView(DetailView):
    """One room over a week: days as rows, half hours as columns."""

    template_name = "rooms/timeline_week.html"
    context_object_name = "room"

    def get_queryset(self) -> QuerySet[Room]:
        return Room.objects.all()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        room, now = self.object, timezone.now()
        zone = timezone.get_current_timezone()
        monday = parse_day(self.request.GET.get("day"))
        monday -= timedelta(days=monday.weekday())
        days = [monday + timedelta(days=offset) for offset in range(7)]
        week_start = timezone.make_aware(datetime.combine(monday, time()), zone)
        week_end = timezone.make_aware(datetime.combine(monday + timedelta(days=7), time()), zone)
        bookings = (
            Booking.objects.active().filter(room=room).touching(week_start, week_end).order_by("start").for_grid()
        )
        windows = [day_window(day, bookings) for day in days]
        first_hour = min(timezone.localtime(start, zone).hour for start, _end in windows)
        last_hour = max(
            24 if timezone.localtime(end, zone).date() > day else timezone.localtime(end, zone).hour
            for day, (_start, end) in zip(days, windows, strict=True)
        )
        rows = []
        for day in days:
            start = timezone.make_aware(datetime.combine(day, time(first_hour)), zone)
            end = (
                timezone.make_aware(datetime.combine(day + timedelta(days=1), time()), zone)
                if last_hour == 24
                else timezone.make_aware(datetime.combine(day, time(last_hour)), zone)
            )
            rows.append((day, build_day_timeline(day, bookings, now, (start, end))))
        context.update(
            {
                "rows": rows,
                "header": rows[0][1],
                "week_start": monday,
                "week_end": monday + timedelta(days=6),
                "previous_week": monday - timedelta(days=7),
                "next_week": monday + timedelta(days=7),
                "today": timezone.localdate(),
            }
        )
        return context


class StaffOnlyMixin:
    request: HttpRequest

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_staff:
            raise Http404
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


class UsageReportView(StaffOnlyMixin, TemplateView):
    """Admins: per room, bookings, booked hours and occupancy over a period, as a
    table with bars, CSV, XLSX and (when configured) Google Sheets."""

    template_name = "rooms/usage_report.html"

    def get_form(self) -> UsageReportForm:
        data = self.request.GET if "start" in self.request.GET else None
        today = timezone.localdate()
        return UsageReportForm(data or None, initial={"start": today - timedelta(days=29), "end": today})

    def get_report(self, form: UsageReportForm) -> reports.UsageReport | None:
        if form.is_bound:
            if not form.is_valid():
                return None
            data = form.cleaned_data
            return reports.usage_report(data["start"], data["end"], data["rooms"] or None)
        return reports.usage_report(form.initial["start"], form.initial["end"])

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = self.get_form()
        report = self.get_report(form)
        export = request.GET.get("export")
        if report is not None and export in ("csv", "xlsx"):
            name = f"room-usage-{report.start.isoformat()}-{report.end.isoformat()}"
            if export == "csv":
                response = HttpResponse(reports.to_csv(report), content_type="text/csv; charset=utf-8")
            else:
                response = HttpResponse(
                    reports.to_xlsx(report),
                    content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                )
            response["Content-Disposition"] = f'attachment; filename="{name}.{export}"'
            return response
        peak = max((row.occupancy for row in report.rows), default=0) if report else 0
        return self.render_to_response(
            self.get_context_data(
                form=form,
                report=report,
                peak=peak,
                sheets_enabled=google_sheets.is_enabled(),
                query=request.GET.urlencode() if form.is_bound else "",
            )
        )

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not google_sheets.is_enabled():
            raise Http404
        form = UsageReportForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Please correct the errors below."))
            return self.render_to_response(self.get_context_data(form=form, report=None, sheets_enabled=True))
        data = form.cleaned_data
        report = reports.usage_report(data["start"], data["end"], data["rooms"] or None)
        title = _("Room usage %(start)s – %(end)s") % {"start": report.start.isoformat(), "end": report.end.isoformat()}
        try:
            url = google_sheets.export_report(report, title)
        except Exception as error:
            logger.warning("Google Sheets export failed: %s", error)
            messages.error(request, _("Google Sheets did not accept the report. Please try again later."))
        else:
            messages.success(request, format_html(_('The report is in Google Sheets: <a href="{}">{}</a>'), url, url))
        return HttpResponseRedirect(f"{reverse('rooms:usage_report')}?{request.POST.urlencode()}")
