import gzip
import re
from collections.abc import Callable
from datetime import time, timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.http import require_POST, require_safe
from django.views.generic import DetailView, FormView, TemplateView

from accounts import services as account_services
from accounts.models import User
from booking_site import ical
from events import services
from events.forms import EventForm, InviteForm
from events.models import Event, Invitation
from rooms.models import Room
from rooms.views import add_service_errors

ACCEPTS_GZIP = re.compile(r"\bgzip\b")


def event_fields(form: EventForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {key: data[key] for key in ("title", "description", "start", "end", "capacity", "room")}


def saved(request: HttpRequest, event: Event, message: str) -> HttpResponse:
    """Confirm, warn when the organizer plans outside their own hours, show the event."""
    messages.success(request, message % {"title": event.title})
    warning = services.organizer_hours_warning(event)
    if warning:
        messages.warning(request, warning)
    return redirect(event)


class EventListView(TemplateView):
    """Upcoming events (or past ones), each with how many people registered."""

    template_name = "events/event_list.html"
    paginate_by = 20

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        show_past = self.request.GET.get("when") == "past"
        events = Event.objects.active().for_list(self.request.user)
        events = events.past().order_by("-start") if show_past else events.upcoming().order_by("start")
        page = Paginator(events, self.paginate_by).get_page(self.request.GET.get("page"))
        return super().get_context_data(
            events=page.object_list, page_obj=page, show_past=show_past, now=timezone.now(), **kwargs
        )


class EventCreateView(FormView):
    form_class = EventForm
    template_name = "events/event_form.html"

    def get_initial(self) -> dict[str, Any]:
        tomorrow = timezone.localdate() + timedelta(days=1)
        initial: dict[str, Any] = {"date": tomorrow, "start_time": time(10), "end_date": tomorrow, "end_time": time(11)}
        room = self.request.GET.get("room")
        if room and room.isdigit():
            initial["room"] = room
        return initial

    def form_valid(self, form: EventForm) -> HttpResponse:
        try:
            event = services.create_event(organizer=self.request.user, **event_fields(form))
        except ValidationError as error:
            add_service_errors(form, error)
            return self.form_invalid(form)
        return saved(self.request, event, _("The event “%(title)s” has been created."))


class EventDetailView(DetailView):
    """The event, everyone registered and, for its organizer, the invitations."""

    template_name = "events/event_detail.html"
    context_object_name = "event"

    def get_queryset(self) -> QuerySet[Event]:
        return Event.objects.select_related("organizer", "booking__room").with_attendees()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        event, user = self.object, self.request.user
        registrations = list(event.registrations.all())
        context.update(
            {
                "registrations": registrations,
                "registration_count": len(registrations),
                "is_full": event.is_full(len(registrations)),
                "is_registered": event.is_attended_by(user),
                "can_manage": event.allows(user, "change"),
                "can_invite": event.allows(user, "invite"),
                "open_for_registration": event.is_open_for_registration,
                "invitations": (
                    event.invitations.select_related("invitee", "invited_by").order_by("-created_at")
                    if event.can_be_managed_by(user)
                    else None
                ),
                "my_invitation": event.invitations.filter(invitee=user, status=Invitation.Status.PENDING).first(),
            }
        )
        return context


class ManagedEventMixin:
    request: HttpRequest
    kwargs: dict[str, Any]

    def get_event(self) -> Event:
        events = Event.objects.managed_by(self.request.user).select_related("booking__room", "organizer")
        return get_object_or_404(events, pk=self.kwargs["pk"])


class EventEditView(ManagedEventMixin, FormView):
    form_class = EventForm
    template_name = "events/event_form.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.event = self.get_event()
        refusal = self.event.refusal(request.user, "change")
        if refusal is not None:
            messages.error(request, " ".join(refusal.messages))
            return redirect(self.event)
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "current_room": self.event.room}

    def get_initial(self) -> dict[str, Any]:
        event = self.event
        return EventForm.initial_for(
            event.start,
            event.end,
            title=event.title,
            description=event.description,
            capacity=event.capacity,
            room=event.room,
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["event"] = self.event
        return context

    def form_valid(self, form: EventForm) -> HttpResponse:
        try:
            event = services.change_event(event=self.event, actor=self.request.user, **event_fields(form))
        except ValidationError as error:
            add_service_errors(form, error)
            return self.form_invalid(form)
        return saved(self.request, event, _("The event “%(title)s” has been changed."))


class EventCancelView(ManagedEventMixin, TemplateView):
    """A confirmation page on GET; the cancellation on POST."""

    template_name = "events/event_confirm_cancel.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["event"] = self.get_event()
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        event = self.get_event()
        try:
            services.cancel_event(event=event, actor=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The event “%(title)s” has been cancelled.") % {"title": event.title})
        return redirect(event)


class PostOnlyView(View):
    http_method_names = ["post"]


class RegisterView(PostOnlyView):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        event = get_object_or_404(Event, pk=pk)
        try:
            services.register(event=event, user=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("You are registered for “%(title)s”.") % {"title": event.title})
        return redirect(event)


class UnregisterView(PostOnlyView):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        event = get_object_or_404(Event, pk=pk)
        try:
            services.unregister(event=event, user=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("You are no longer registered for “%(title)s”.") % {"title": event.title})
        return redirect(event)


class InviteView(FormView):
    template_name = "events/invite_form.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.event = get_object_or_404(Event.objects.select_related("booking__room", "organizer"), pk=kwargs["pk"])
        refusal = self.event.refusal(request.user, "invite")
        if isinstance(refusal, PermissionDenied):
            raise Http404
        if refusal is not None:
            messages.error(request, " ".join(refusal.messages))
            return redirect(self.event)
        return super().dispatch(request, *args, **kwargs)

    def get_form(self, form_class: Any = None) -> InviteForm:
        return InviteForm(**self.get_form_kwargs(), inviter=self.request.user)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["event"] = self.event
        return context

    def form_valid(self, form: InviteForm) -> HttpResponse:
        try:
            result = services.invite(
                event=self.event, invited_by=self.request.user, invitees=form.cleaned_data["invitees"]
            )
        except PermissionDenied as error:
            raise Http404 from error
        if result.sent:
            names = ", ".join(invitation.invitee.display_name for invitation in result.sent)
            messages.success(self.request, _("Invitations sent to %(names)s.") % {"names": names})
        if result.refused:
            refusals = [
                message if message.startswith(person.display_name) else f"{person.display_name}: {message}"
                for person, reasons in result.refused
                for message in reasons
            ]
            fresh = InviteForm(
                initial={"invitees": [person.pk for person, _r in result.refused]}, inviter=self.request.user
            )
            return self.render_to_response(self.get_context_data(form=fresh, refusals=refusals))
        return redirect(self.event)


class InvitationListView(TemplateView):
    """Invitations to me (those still to be answered first; then those answered,
    or whose event was cancelled or is over) and from me."""

    template_name = "events/invitation_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        related = ("event__booking__room", "event__organizer", "invited_by", "invitee")
        incoming = Invitation.objects.filter(invitee=user).select_related(*related)
        waiting = incoming.waiting()
        context["pending"] = waiting.order_by("event__start")
        context["answered"] = incoming.exclude(pk__in=waiting.values("pk")).order_by("-event__start")[:50]
        context["sent"] = (
            Invitation.objects.filter(invited_by=user).select_related(*related).order_by("-created_at")[:100]
        )
        context["now"] = timezone.now()
        return context


class InvitationAnswerView(PostOnlyView):
    accept = True

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        invitation = get_object_or_404(Invitation.objects.select_related("event"), pk=pk, invitee=request.user)
        respond = services.accept_invitation if self.accept else services.decline_invitation
        try:
            respond(invitation=invitation, actor=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            text = _("You accepted “%(title)s” and are registered.") if self.accept else _("You declined “%(title)s”.")
            messages.success(request, text % {"title": invitation.event.title})
        next_url = request.POST.get("next")
        if next_url == "event":
            return redirect(invitation.event)
        return redirect("events:invitations")


def calendar_response(body: bytes, filename: str | None = None) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    if filename:
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _feed_owner(token: str) -> User:
    return get_object_or_404(User, calendar_token=token, is_active=True)


def _feed_response(
    request: HttpRequest, key: str, version: str, language: str, write: Callable[[], bytes]
) -> HttpResponse:
    """A feed answered as a calendar app polls it: with an ``ETag`` (the feed's
    version, computed without writing the feed) and a ``Last-Modified`` (when this
    version was first served), and ``304 Not Modified`` to a conditional request
    for the version the app has. The feed itself is written once per version and
    kept gzipped: an app that accepts gzip gets it as kept (with the ETag made
    weak, as the bytes differ from the plain feed's), any other the plain feed."""
    zipped = bool(ACCEPTS_GZIP.search(request.headers.get("Accept-Encoding", "")))
    etag = f'W/"{version}"' if zipped else f'"{version}"'
    served = int(services.feed_served(key=key, version=version).timestamp())
    response = get_conditional_response(request, etag=etag, last_modified=served)
    if response is None:
        packed = services.feed_body(key=key, version=version, write=write)
        response = calendar_response(packed if zipped else gzip.decompress(packed))
        if zipped:
            response["Content-Encoding"] = "gzip"
    response["ETag"] = etag
    response["Last-Modified"] = http_date(served)
    response["Cache-Control"] = "private, no-cache"
    response["Content-Language"] = language or settings.LANGUAGE_CODE
    patch_vary_headers(response, ["Accept-Encoding"])
    return response


@login_not_required
@require_safe
def user_calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """A person's private feed; the secret token in the address is the only key."""
    owner = _feed_owner(token)
    version = ical.user_feed_version(owner)
    return _feed_response(request, f"feed:user:{owner.pk}", version, owner.language, lambda: ical.user_feed(owner))


@login_not_required
@require_safe
def room_calendar_feed(request: HttpRequest, token: str, pk: int) -> HttpResponse:
    """A room's feed, for anyone holding a valid personal feed token."""
    owner = _feed_owner(token)
    room = get_object_or_404(Room, pk=pk)
    zone, language = owner.timezone, owner.language
    version = ical.room_feed_version(room, zone, language)
    return _feed_response(
        request,
        f"feed:room:{room.pk}:{zone}:{language}",
        version,
        language,
        lambda: ical.room_feed(room, zone, language),
    )


@require_safe
def event_ics(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_object_or_404(Event.objects.select_related("organizer", "booking__room"), pk=pk)
    people = tuple(registration.user for registration in event.registrations.select_related("user"))
    body = ical.event_calendar(event, request.user.timezone, people)
    return calendar_response(body, f"event-{event.pk}.ics")


@require_POST
def reset_calendar_token(request: HttpRequest) -> HttpResponse:
    account_services.reset_calendar_token(user=request.user)
    messages.success(request, _("Your calendar address has changed; the old one no longer works."))
    return redirect(reverse("accounts:profile") + "#calendar-feed")
