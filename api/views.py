"""The JSON API. Every write goes through the same services and ``full_clean()``
as the pages, so rules and messages are the same."""

import zoneinfo
from datetime import datetime
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services as account_services
from accounts.models import User
from api.exceptions import ErrorSerializer, ValidationErrorSerializer
from api.serializers import (
    BookingChangeSerializer,
    BookingCreateSerializer,
    BookingSerializer,
    DateTimeField,
    EventDetailSerializer,
    EventSerializer,
    EventWriteSerializer,
    InvitationSerializer,
    InviteResultSerializer,
    InviteSerializer,
    MeSerializer,
    PersonSerializer,
    RoomSerializer,
    WorkingHoursSerializer,
    WorkingWeekSerializer,
)
from booking_site.spans import check_order
from events import services as event_services
from events.models import Event, Invitation
from rooms import services as room_services
from rooms.models import EQUIPMENT_LABELS, Booking, Equipment, Room

ERRORS = {
    400: ValidationErrorSerializer,
    401: ErrorSerializer,
    403: ErrorSerializer,
    404: ErrorSerializer,
}


class ApiMixin:
    """Open to the login middleware (the API answers 401 itself) and run in the
    caller's own time zone once they are authenticated."""

    request: Request
    lookup_value_regex = r"[0-9]+"

    @classmethod
    def as_view(cls, *args: Any, **kwargs: Any) -> Any:
        return login_not_required(super().as_view(*args, **kwargs))  # type: ignore[misc]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        user = request.user
        if user.is_authenticated:
            try:
                timezone.activate(user.timezone)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()


class IsAdminOrReadOnly(permissions.BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        return request.method in permissions.SAFE_METHODS or request.user.is_staff


def parse_time(request: Request, name: str) -> datetime | None:
    """An ISO 8601 query parameter; a naive value is read in the caller's zone."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    field = DateTimeField()
    try:
        return field.to_internal_value(raw)
    except serializers.ValidationError as error:
        raise ValidationError({name: error.detail}) from error


def parse_flag(request: Request, name: str) -> bool:
    """A yes/no query parameter: ``true``/``false`` (or ``1``/``0``); absent is no."""
    raw = request.query_params.get(name)
    if raw is None:
        return False
    if raw.lower() not in ("true", "false", "1", "0"):
        raise ValidationError({name: [_("Use “true” or “false”.")]})
    return raw.lower() in ("true", "1")


TIME_PARAMS = [
    OpenApiParameter("start", OpenApiTypes.DATETIME, description="ISO 8601; naive times are in your time zone"),
    OpenApiParameter("end", OpenApiTypes.DATETIME, description="ISO 8601; naive times are in your time zone"),
]


@extend_schema_view(
    list=extend_schema(
        summary="Rooms",
        parameters=[
            OpenApiParameter("min_capacity", int, description="at least this many seats"),
            OpenApiParameter(
                "equipment",
                str,
                many=True,
                enum=Equipment.values,
                description="has all of these (repeat the parameter)",
            ),
            OpenApiParameter("free_start", OpenApiTypes.DATETIME, description="free from this time…"),
            OpenApiParameter("free_end", OpenApiTypes.DATETIME, description="…until this time"),
            OpenApiParameter("include_inactive", bool, description="admins only: list inactive rooms too"),
        ],
        responses={200: RoomSerializer(many=True), **ERRORS},
    ),
    retrieve=extend_schema(summary="A room", responses={200: RoomSerializer, **ERRORS}),
    create=extend_schema(summary="Create a room (admins)", responses={201: RoomSerializer, **ERRORS}),
    update=extend_schema(summary="Replace a room (admins)", responses={200: RoomSerializer, **ERRORS}),
    partial_update=extend_schema(summary="Change a room (admins)", responses={200: RoomSerializer, **ERRORS}),
    destroy=extend_schema(summary="Deactivate a room (admins); its bookings stay", responses={204: None, **ERRORS}),
)
class RoomViewSet(ApiMixin, viewsets.ModelViewSet):
    serializer_class = RoomSerializer
    permission_classes = [IsAdminOrReadOnly]

    def get_queryset(self) -> QuerySet[Room]:
        rooms = Room.objects.order_by("name")
        include_inactive = self.action == "list" and parse_flag(self.request, "include_inactive")
        if self.action == "list" and not (include_inactive and self.request.user.is_staff):
            rooms = rooms.active()
        return rooms

    def filter_queryset(self, queryset: QuerySet[Room]) -> QuerySet[Room]:
        if self.action != "list":
            return queryset
        params = self.request.query_params
        min_capacity = params.get("min_capacity")
        if min_capacity:
            try:
                queryset = queryset.filter(capacity__gte=int(min_capacity))
            except ValueError as error:
                raise ValidationError({"min_capacity": [_("Enter a whole number.")]}) from error
        equipment = params.getlist("equipment")
        unknown = [code for code in equipment if code not in EQUIPMENT_LABELS]
        if unknown:
            raise ValidationError({"equipment": [_("Choose equipment from the list.")]})
        queryset = queryset.with_equipment(equipment)
        free_start, free_end = parse_time(self.request, "free_start"), parse_time(self.request, "free_end")
        if (free_start is None) != (free_end is None):
            raise ValidationError({"free_end": [_("Give both free_start and free_end.")]})
        if free_start and free_end:
            check_order(free_start, free_end, "free_end")
            busy = Booking.objects.active().filter(start__lt=free_end, end__gt=free_start).values("room_id")
            queryset = queryset.exclude(pk__in=busy)
        return queryset

    def perform_create(self, serializer: RoomSerializer) -> None:
        serializer.instance = room_services.create_room(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer: RoomSerializer) -> None:
        serializer.instance = room_services.change_room(
            room=serializer.instance, actor=self.request.user, **serializer.validated_data
        )

    def perform_destroy(self, instance: Room) -> None:
        room_services.set_room_active(room=instance, actor=self.request.user, active=False)

    @extend_schema(
        summary="A room's standing bookings between two times (default: from now on)",
        parameters=TIME_PARAMS,
        responses={200: BookingSerializer(many=True), **ERRORS},
    )
    @action(detail=True, methods=["get"], permission_classes=[permissions.IsAuthenticated])
    def bookings(self, request: Request, pk: str | None = None) -> Response:
        room = get_object_or_404(Room, pk=pk)
        start = parse_time(request, "start") or timezone.now()
        end = parse_time(request, "end")
        bookings = Booking.objects.active().filter(room=room, end__gt=start).with_related().select_related("event")
        if end is not None:
            check_order(start, end)
            bookings = bookings.filter(start__lt=end)
        page = self.paginate_queryset(bookings.order_by("start"))
        return self.get_paginated_response(BookingSerializer(page, many=True).data)


@extend_schema_view(
    list=extend_schema(
        summary="My bookings, upcoming first (admins: everyone's with scope=all)",
        parameters=[
            OpenApiParameter("scope", str, enum=["mine", "all"], description="all: every booking (admins only)"),
            OpenApiParameter("when", str, enum=["upcoming", "past", "any"], description="default: upcoming"),
        ],
        responses={200: BookingSerializer(many=True), **ERRORS},
    ),
    retrieve=extend_schema(
        summary="A booking (yours, or any for admins)", responses={200: BookingSerializer, **ERRORS}
    ),
    create=extend_schema(
        summary="Book a room", request=BookingCreateSerializer, responses={201: BookingSerializer, **ERRORS}
    ),
    partial_update=extend_schema(
        summary="Change a booking's room, title or time",
        request=BookingChangeSerializer,
        responses={200: BookingSerializer, **ERRORS},
    ),
)
class BookingViewSet(
    ApiMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = BookingSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Booking]:
        if getattr(self, "swagger_fake_view", False):
            return Booking.objects.none()
        user = self.request.user
        bookings = Booking.objects.visible_to(user).with_related().select_related("event")
        if self.action != "list":
            return bookings
        scope = self.request.query_params.get("scope", "mine")
        if scope not in ("mine", "all"):
            raise ValidationError({"scope": [_("Use “mine” or “all”.")]})
        if scope == "mine" or not user.is_staff:
            bookings = bookings.filter(user=user)
        when = self.request.query_params.get("when", "upcoming")
        now = timezone.now()
        if when == "upcoming":
            return bookings.active().upcoming(now).order_by("start")
        if when == "past":
            return bookings.filter(Q(end__lte=now) | Q(cancelled_at__isnull=False)).order_by("-start")
        if when == "any":
            return bookings.order_by("-start")
        raise ValidationError({"when": [_("Use “upcoming”, “past” or “any”.")]})

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = BookingCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        booking = room_services.book_room(user=request.user, **data.validated_data)
        return Response(BookingSerializer(booking).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        booking = self.get_object()
        data = BookingChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        changed = room_services.change_booking(booking=booking, actor=request.user, **data.validated_data)
        return Response(BookingSerializer(changed).data)

    @extend_schema(summary="Cancel a booking", request=None, responses={200: BookingSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        booking = self.get_object()
        cancelled = room_services.cancel_booking(booking=booking, actor=request.user)
        return Response(BookingSerializer(cancelled).data)


def event_details() -> QuerySet[Event]:
    return Event.objects.with_registration_counts().select_related("organizer", "booking").with_attendees()


def event_detail(event_id: int) -> Event:
    return event_details().get(pk=event_id)


@extend_schema_view(
    list=extend_schema(
        summary="Events, upcoming first, each with how many people registered",
        parameters=[OpenApiParameter("when", str, enum=["upcoming", "past"], description="default: upcoming")],
        responses={200: EventSerializer(many=True), **ERRORS},
    ),
    retrieve=extend_schema(
        summary="An event and everyone registered", responses={200: EventDetailSerializer, **ERRORS}
    ),
    create=extend_schema(
        summary="Create an event, optionally in a room (booked in the same step)",
        request=EventWriteSerializer,
        responses={201: EventDetailSerializer, **ERRORS},
    ),
    partial_update=extend_schema(
        summary="Change an event (organizer or admin); its room booking moves with it",
        request=EventWriteSerializer,
        responses={200: EventDetailSerializer, **ERRORS},
    ),
)
class EventViewSet(
    ApiMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return EventDetailSerializer if self.action == "retrieve" else EventSerializer

    def get_queryset(self) -> QuerySet[Event]:
        if self.action == "retrieve":
            return event_details()
        if self.action != "list":
            return Event.objects.select_related("organizer", "booking__room")
        events = Event.objects.active().for_list()
        when = self.request.query_params.get("when", "upcoming")
        if when == "upcoming":
            return events.upcoming().order_by("start")
        if when == "past":
            return events.past().order_by("-start")
        raise ValidationError({"when": [_("Use “upcoming” or “past”.")]})

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = EventWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        event = event_services.create_event(organizer=request.user, **data.validated_data)
        return Response(self._detail(event), status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        event = self.get_object()
        current = {
            "title": event.title,
            "description": event.description,
            "start": event.start,
            "end": event.end,
            "capacity": event.capacity,
            "room": event.booking.room_id if event.booking_id and not event.booking.is_cancelled else None,
        }
        data = EventWriteSerializer(data={**current, **request.data})
        data.is_valid(raise_exception=True)
        changed = event_services.change_event(event=event, actor=request.user, **data.validated_data)
        return Response(self._detail(changed))

    def _detail(self, event: Event) -> dict[str, Any]:
        response = EventDetailSerializer(event_detail(event.pk)).data
        warning = event_services.organizer_hours_warning(event)
        if warning:
            response["warning"] = warning
        return response

    @extend_schema(
        summary="Cancel an event and its room booking", request=None, responses={200: EventSerializer, **ERRORS}
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        event = self.get_object()
        event_services.cancel_event(event=event, actor=request.user)
        return Response(EventSerializer(Event.objects.with_registration_counts().get(pk=event.pk)).data)

    @extend_schema(summary="Register yourself", request=None, responses={201: EventDetailSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def register(self, request: Request, pk: str | None = None) -> Response:
        event = self.get_object()
        event_services.register(event=event, user=request.user)
        return Response(EventDetailSerializer(event_detail(event.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Give up your place", request=None, responses={200: EventDetailSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def unregister(self, request: Request, pk: str | None = None) -> Response:
        event = self.get_object()
        event_services.unregister(event=event, user=request.user)
        return Response(EventDetailSerializer(event_detail(event.pk)).data)


@extend_schema_view(
    list=extend_schema(
        summary="Invitations to me and from me",
        parameters=[
            OpenApiParameter("direction", str, enum=["incoming", "outgoing", "all"], description="default: all"),
            OpenApiParameter("status", str, enum=Invitation.Status.values),
        ],
        responses={200: InvitationSerializer(many=True), **ERRORS},
    ),
    retrieve=extend_schema(summary="An invitation to or from me", responses={200: InvitationSerializer, **ERRORS}),
    create=extend_schema(
        summary="Invite one or several colleagues; each refusal is reported, the rest are sent",
        request=InviteSerializer,
        responses={201: InviteResultSerializer, **ERRORS},
    ),
)
class InvitationViewSet(
    ApiMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = InvitationSerializer

    def get_queryset(self) -> QuerySet[Invitation]:
        if getattr(self, "swagger_fake_view", False):
            return Invitation.objects.none()
        user = self.request.user
        invitations = Invitation.objects.select_related("event", "invited_by", "invitee").order_by("-created_at")
        if self.action in ("accept", "decline"):
            return invitations.filter(invitee=user)
        if self.action == "retrieve" and user.is_staff:
            return invitations
        direction = self.request.query_params.get("direction", "all") if self.action == "list" else "all"
        if direction == "incoming":
            invitations = invitations.filter(invitee=user)
        elif direction == "outgoing":
            invitations = invitations.filter(invited_by=user)
        elif direction == "all":
            invitations = invitations.filter(Q(invitee=user) | Q(invited_by=user))
        else:
            raise ValidationError({"direction": [_("Use “incoming”, “outgoing” or “all”.")]})
        wanted = self.request.query_params.get("status") if self.action == "list" else None
        if wanted:
            if wanted not in Invitation.Status.values:
                raise ValidationError({"status": [_("Unknown status.")]})
            invitations = invitations.filter(status=wanted)
        return invitations

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = InviteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = event_services.invite(
            event=data.validated_data["event"], invited_by=request.user, invitees=data.validated_data["invitees"]
        )
        body = InviteResultSerializer(
            {"sent": result.sent, "refused": [{"invitee": p, "messages": m} for p, m in result.refused]}
        ).data
        if not result.sent:
            raise ValidationError({"invitees": [f"{p.display_name}: {' '.join(m)}" for p, m in result.refused]})
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Accept (registers you)", request=None, responses={200: InvitationSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str | None = None) -> Response:
        invitation = event_services.accept_invitation(invitation=self.get_object(), actor=request.user)
        return Response(InvitationSerializer(invitation).data)

    @extend_schema(summary="Decline", request=None, responses={200: InvitationSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def decline(self, request: Request, pk: str | None = None) -> Response:
        invitation = event_services.decline_invitation(invitation=self.get_object(), actor=request.user)
        return Response(InvitationSerializer(invitation).data)


@extend_schema_view(
    list=extend_schema(
        summary="Colleagues (active people), to pick invitees from",
        parameters=[OpenApiParameter("search", str, description="part of a name or e-mail")],
        responses={200: PersonSerializer(many=True), **ERRORS},
    ),
    retrieve=extend_schema(summary="A colleague", responses={200: PersonSerializer, **ERRORS}),
)
class PersonViewSet(ApiMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = PersonSerializer

    def get_queryset(self) -> QuerySet[User]:
        people = User.objects.filter(is_active=True).order_by("name", "email")
        search = self.request.query_params.get("search", "").strip() if self.action == "list" else ""
        if search:
            people = people.filter(Q(name__icontains=search) | Q(email__icontains=search))
        return people


class MeView(ApiMixin, APIView):
    @extend_schema(summary="My profile", responses={200: MeSerializer, **ERRORS})
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request.user).data)

    @extend_schema(summary="Change my name or time zone", request=MeSerializer, responses={200: MeSerializer, **ERRORS})
    def patch(self, request: Request) -> Response:
        serializer = MeSerializer(request.user, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        user = account_services.change_profile(user=request.user, **serializer.validated_data)
        return Response(MeSerializer(user).data)


class WorkingHoursView(ApiMixin, APIView):
    @extend_schema(summary="My working week", responses={200: WorkingWeekSerializer, **ERRORS})
    def get(self, request: Request) -> Response:
        days = request.user.working_hours.order_by("weekday")
        return Response({"days": WorkingHoursSerializer(days, many=True).data})

    @extend_schema(
        summary="Replace my working week (weekdays left out are days off)",
        request=WorkingWeekSerializer,
        responses={200: WorkingWeekSerializer, **ERRORS},
    )
    def put(self, request: Request) -> Response:
        serializer = WorkingWeekSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        week = {
            day["weekday"]: (day["start"], day["end"], day.get("break_start"), day.get("break_end"))
            for day in serializer.validated_data["days"]
        }
        account_services.set_working_hours(user=request.user, week=week)
        return self.get(request)
