import copy
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import User, Weekday, WorkingHours
from accounts.timezones import timezone_choices
from booking_site.spans import OUT_OF_RANGE, validate_moment
from events.models import Event, Invitation, Registration
from rooms.models import Booking, Equipment, Room


class DateTimeField(serializers.DateTimeField):
    """ISO 8601; naive values are read in the caller's zone. The model's range
    rule (``booking_site.spans.validate_moment``) is applied before the zone is,
    so that time-zone arithmetic cannot overflow."""

    default_error_messages = {"out_of_range": OUT_OF_RANGE}

    def to_internal_value(self, value: Any) -> Any:
        try:
            result = super().to_internal_value(value)
        except OverflowError:
            self.fail("out_of_range")
        self._check_range(result)
        return result

    def enforce_timezone(self, value: Any) -> Any:
        self._check_range(value)
        try:
            return super().enforce_timezone(value)
        except OverflowError:
            self.fail("out_of_range")

    def _check_range(self, value: Any) -> None:
        try:
            validate_moment(value)
        except DjangoValidationError:
            self.fail("out_of_range")


class JsonTypeMixin:
    """A JSON value of the type the schema names, or an error: DRF would quietly
    turn ``0`` into ``False`` or ``"7"`` into ``7``, which the schema does not allow."""

    json_types: tuple[type, ...] = ()

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, self.json_types) or (isinstance(data, bool) and bool not in self.json_types):
            key = "incorrect_type" if "incorrect_type" in self.error_messages else "invalid"  # type: ignore[attr-defined]
            self.fail(key, data_type=type(data).__name__)  # type: ignore[attr-defined]
        return super().to_internal_value(data)  # type: ignore[misc]


class StrictCharField(JsonTypeMixin, serializers.CharField):
    json_types = (str,)


class StrictBooleanField(JsonTypeMixin, serializers.BooleanField):
    json_types = (bool,)


class StrictIntegerField(JsonTypeMixin, serializers.IntegerField):
    json_types = (int,)


class StrictPrimaryKeyRelatedField(JsonTypeMixin, serializers.PrimaryKeyRelatedField):
    json_types = (int,)


class ModelSerializer(serializers.ModelSerializer):
    """Fields, limits and validators come from the model; times are read as above."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: DateTimeField,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
        models.BooleanField: StrictBooleanField,
        models.IntegerField: StrictIntegerField,
        models.PositiveIntegerField: StrictIntegerField,
        models.PositiveSmallIntegerField: StrictIntegerField,
    }
    serializer_related_field = StrictPrimaryKeyRelatedField

    def get_fields(self) -> dict[str, serializers.Field]:
        """The fields built from the model once per class, copied for each use
        (as DRF copies a plain serializer's declared fields)."""
        cls = type(self)
        built = cls.__dict__.get("_built_fields")
        if built is None:
            built = super().get_fields()
            cls._built_fields = built
        return copy.deepcopy(built)


def iso(value: Any) -> str | None:
    """What DRF's ``DateTimeField`` writes: ISO 8601 in the caller's zone, ``Z`` for UTC."""
    if value is None:
        return None
    text = timezone.localtime(value).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def person(user: User) -> dict[str, Any]:
    return {"id": user.pk, "name": user.name, "email": user.email}


class PersonSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "name", "email"]
        read_only_fields = fields

    def to_representation(self, instance: User) -> dict[str, Any]:
        return person(instance)


class MeSerializer(ModelSerializer):
    timezone = serializers.ChoiceField(choices=timezone_choices())

    class Meta:
        model = User
        fields = ["id", "email", "name", "timezone", "language", "is_staff"]
        read_only_fields = ["id", "email", "is_staff"]


@extend_schema_field({"type": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$", "example": "09:30"})
class WallTimeField(serializers.TimeField):
    """A time of day on the person's own clock, ``HH:MM`` (seconds optional).
    OpenAPI's ``format: time`` would promise an offset, which a working day has not."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%H:%M", input_formats=["%H:%M", "%H:%M:%S"], **kwargs)


class WorkingHoursSerializer(serializers.ModelSerializer):
    weekday = StrictIntegerField(min_value=min(Weekday.values), max_value=max(Weekday.values))
    start = WallTimeField()
    end = WallTimeField()
    break_start = WallTimeField(required=False, allow_null=True)
    break_end = WallTimeField(required=False, allow_null=True)

    class Meta:
        model = WorkingHours
        fields = ["weekday", "start", "end", "break_start", "break_end"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        problems = WorkingHours.problems(
            attrs["weekday"], attrs["start"], attrs["end"], attrs.get("break_start"), attrs.get("break_end")
        )
        if problems:
            raise serializers.ValidationError(problems)
        return attrs


class WorkingWeekSerializer(serializers.Serializer):
    days = WorkingHoursSerializer(many=True, help_text=_("Working days; a weekday left out is a day off."))

    def validate_days(self, days: list[dict[str, Any]]) -> list[dict[str, Any]]:
        weekdays = [day["weekday"] for day in days]
        if len(weekdays) != len(set(weekdays)):
            raise serializers.ValidationError(_("Each weekday may appear only once."))
        return days


class RoomSerializer(ModelSerializer):
    equipment = serializers.ListField(child=serializers.ChoiceField(choices=Equipment.choices), required=False)

    class Meta:
        model = Room
        fields = ["id", "name", "description", "capacity", "location", "equipment", "is_active"]

    def to_representation(self, instance: Room) -> dict[str, Any]:
        """The declared fields, read directly: a page of rooms is the API's most frequent answer."""
        return {
            "id": instance.pk,
            "name": instance.name,
            "description": instance.description,
            "capacity": instance.capacity,
            "location": instance.location,
            "equipment": list(instance.equipment),
            "is_active": instance.is_active,
        }


class BookingSerializer(serializers.ModelSerializer):
    user = PersonSerializer(read_only=True)
    room = StrictPrimaryKeyRelatedField(queryset=Room.objects.all())
    event = serializers.SerializerMethodField()

    class Meta:
        model = Booking
        fields = ["id", "room", "user", "title", "start", "end", "created_at", "cancelled_at", "event"]
        read_only_fields = ["id", "user", "created_at", "cancelled_at", "event"]

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_event(self, booking: Booking) -> int | None:
        event = getattr(booking, "event", None)
        return event.pk if event is not None else None

    def to_representation(self, instance: Booking) -> dict[str, Any]:
        """The declared fields, read directly: bookings are listed by the page."""
        return {
            "id": instance.pk,
            "room": instance.room_id,
            "user": person(instance.user),
            "title": instance.title,
            "start": iso(instance.start),
            "end": iso(instance.end),
            "created_at": iso(instance.created_at),
            "cancelled_at": iso(instance.cancelled_at),
            "event": self.get_event(instance),
        }


class BookingCreateSerializer(ModelSerializer):
    """What a new booking needs; the rules are the model's and the service's."""

    class Meta:
        model = Booking
        fields = ["room", "title", "start", "end"]


class BookingChangeSerializer(BookingCreateSerializer):
    class Meta(BookingCreateSerializer.Meta):
        extra_kwargs = {name: {"required": False} for name in BookingCreateSerializer.Meta.fields}


class EventSerializer(serializers.ModelSerializer):
    organizer = PersonSerializer(read_only=True)
    room = serializers.SerializerMethodField()
    registration_count = serializers.IntegerField(read_only=True)
    has_registrations = serializers.SerializerMethodField()
    is_full = serializers.SerializerMethodField()

    class Meta:
        model = Event
        fields = [
            "id",
            "title",
            "description",
            "start",
            "end",
            "organizer",
            "capacity",
            "room",
            "registration_count",
            "has_registrations",
            "is_full",
            "created_at",
            "cancelled_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_room(self, event: Event) -> int | None:
        return event.booking.room_id if event.booking_id else None

    def get_has_registrations(self, event: Event) -> bool:
        return bool(getattr(event, "registration_count", 0))

    def get_is_full(self, event: Event) -> bool:
        return event.is_full()

    def to_representation(self, instance: Event) -> dict[str, Any]:
        """The declared fields, read directly: events are listed by the page."""
        return {
            "id": instance.pk,
            "title": instance.title,
            "description": instance.description,
            "start": iso(instance.start),
            "end": iso(instance.end),
            "organizer": person(instance.organizer),
            "capacity": instance.capacity,
            "room": self.get_room(instance),
            "registration_count": instance.registration_count,
            "has_registrations": self.get_has_registrations(instance),
            "is_full": self.get_is_full(instance),
            "created_at": iso(instance.created_at),
            "cancelled_at": iso(instance.cancelled_at),
        }


class EventWriteSerializer(ModelSerializer):
    """An event's own fields (limits from the model) and the room to hold it in."""

    room = StrictPrimaryKeyRelatedField(queryset=Room.objects.all(), allow_null=True, required=False, default=None)

    class Meta:
        model = Event
        fields = ["title", "description", "start", "end", "capacity", "room"]
        extra_kwargs = {"description": {"default": ""}, "capacity": {"default": None}}


class RegistrationSerializer(serializers.ModelSerializer):
    user = PersonSerializer(read_only=True)

    class Meta:
        model = Registration
        fields = ["user", "created_at"]


class EventDetailSerializer(EventSerializer):
    registrations = RegistrationSerializer(many=True, read_only=True)

    class Meta(EventSerializer.Meta):
        fields = [*EventSerializer.Meta.fields, "registrations"]

    def to_representation(self, instance: Event) -> dict[str, Any]:
        return {
            **super().to_representation(instance),
            "registrations": [
                {"user": person(registration.user), "created_at": iso(registration.created_at)}
                for registration in instance.registrations.all()
            ],
        }


class EventSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Event
        fields = ["id", "title", "start", "end"]


class InvitationSerializer(serializers.ModelSerializer):
    event = EventSummarySerializer(read_only=True)
    invited_by = PersonSerializer(read_only=True)
    invitee = PersonSerializer(read_only=True)

    class Meta:
        model = Invitation
        fields = ["id", "event", "invited_by", "invitee", "status", "created_at", "responded_at"]
        read_only_fields = fields

    def to_representation(self, instance: Invitation) -> dict[str, Any]:
        event = instance.event
        return {
            "id": instance.pk,
            "event": {"id": event.pk, "title": event.title, "start": iso(event.start), "end": iso(event.end)},
            "invited_by": person(instance.invited_by),
            "invitee": person(instance.invitee),
            "status": instance.status,
            "created_at": iso(instance.created_at),
            "responded_at": iso(instance.responded_at),
        }


class InviteSerializer(serializers.Serializer):
    event = StrictPrimaryKeyRelatedField(queryset=Event.objects.all())
    invitees = StrictPrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), many=True)

    def validate_invitees(self, invitees: list[User]) -> list[User]:
        if not invitees:
            raise serializers.ValidationError(_("Pick at least one colleague."))
        return list(dict.fromkeys(invitees))


class RefusalSerializer(serializers.Serializer):
    invitee = PersonSerializer()
    messages = serializers.ListField(child=serializers.CharField())


class InviteResultSerializer(serializers.Serializer):
    sent = InvitationSerializer(many=True)
    refused = RefusalSerializer(many=True)
