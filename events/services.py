"""Writes on events, registrations and invitations. Pages and the admin call these."""

import gzip
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.worktime import working_hours_problem
from booking_site.ical import attach_calendar, event_message, invitation_message
from booking_site.mail import message_for
from booking_site.paths import site_url
from booking_site.spans import format_span
from events.models import Event, FeedState, Invitation, Registration
from notifications.models import OutgoingMail
from notifications.services import queue_mail, queue_mail_to_everyone
from rooms import services as room_services
from rooms.models import Room


def organizer_hours_warning(event: Event) -> str | None:
    """A warning (not an error) when the organizer plans outside their own hours."""
    problem = working_hours_problem(event.organizer, event.start, event.end)
    if problem is None:
        return None
    return _("Saved, but note: %(problem)s") % {"problem": problem}


def _sync_booking(event: Event, room: Room | None, actor: User) -> None:
    """Make the event's room booking match its room and time (inside the caller's transaction)."""
    booking = event.booking
    if room is None:
        if booking is not None:
            room_services.release_event_booking(booking=booking, actor=actor)
            event.booking = None
        return
    if booking is not None and not booking.is_cancelled:
        event.booking = room_services.move_event_booking(
            booking=booking, actor=actor, title=event.title, room=room, start=event.start, end=event.end
        )
        return
    event.booking = room_services.book_for_event(
        organizer=event.organizer, room=room, title=event.title, start=event.start, end=event.end
    )


def locked_event(event: Event | int) -> Event:
    """The event's row, locked until the end of the transaction and read after the
    lock, so a decision on it sees every change committed before.

    Every service that decides on an event's state (capacity, cancellation,
    times) takes this lock first and only then reads or locks the rows under the
    event (its booking, registrations, invitations), in that order."""
    pk = event if isinstance(event, int) else event.pk
    return (
        Event.objects.select_for_update(of=("self",), no_key=True)
        .select_related("booking__room", "organizer")
        .get(pk=pk)
    )


def _refuse(refusal: Exception | None) -> None:
    if refusal is not None:
        raise refusal


def create_event(
    *,
    organizer: User,
    title: str,
    start: datetime,
    end: datetime,
    description: str = "",
    capacity: int | None = None,
    room: Room | None = None,
) -> Event:
    """Create an event and, with a ``room``, book it in the same transaction: if
    the room is taken nothing is created and the error names who holds it."""
    event = Event(organizer=organizer, title=title, description=description, start=start, end=end, capacity=capacity)
    with transaction.atomic():
        event.full_clean(exclude=["booking"])
        _sync_booking(event, room, organizer)
        event.full_clean()
        event.save()
    return event


def change_event(
    *,
    event: Event,
    actor: User,
    title: str,
    start: datetime,
    end: datetime,
    description: str = "",
    capacity: int | None = None,
    room: Room | None = None,
) -> Event:
    """Change an event; its room booking moves with it (or is cancelled when the room is dropped)."""
    with transaction.atomic():
        current = locked_event(event)
        _refuse(current.refusal(actor, "change"))
        before = _place_and_time(current)
        was = _news(current)
        current.title, current.description = title, description
        current.start, current.end, current.capacity = start, end, capacity
        if capacity is not None and current.registrations.count() > capacity:
            raise ValidationError(
                {"capacity": _("More people are already registered than this capacity allows.")}, code="capacity"
            )
        current.full_clean(exclude=["booking"])
        _sync_booking(current, room, actor)
        moved = _place_and_time(current) != before
        if moved:
            current.sequence += 1
        current.full_clean()
        current.save()
        if moved:
            news = {**_first_unsent(current, was), "sequence": current.sequence, "by": actor.pk}
            queue_mail_to_everyone(kind=OutgoingMail.Kind.EVENT_CHANGED, object_id=current.pk, message=news)
    return current


def _news(event: Event) -> dict:
    """What a change's mail says the event was: its place and time before."""
    room = event.room
    return {"was_start": event.start.isoformat(), "was_end": event.end.isoformat(), "was_room": str(room or "")}


def _first_unsent(event: Event, was: dict) -> dict:
    """The place and time people last heard of: before the first move whose mail
    has not gone out yet (it will be dropped for this one's), else ``was``."""
    waiting = OutgoingMail.objects.filter(
        kind=OutgoingMail.Kind.EVENT_CHANGED, object_id=event.pk, status=OutgoingMail.Status.PENDING
    )
    earlier = waiting.order_by("pk").values_list("message", flat=True).first() or {}
    return {key: earlier.get(key, value) for key, value in was.items()}


def _place_and_time(event: Event) -> tuple:
    """The event's times and room: a change of either (or of its status) raises its SEQUENCE."""
    booking = event.booking
    room_id = booking.room_id if booking is not None and not booking.is_cancelled else None
    return event.start, event.end, room_id


def cancel_event(*, event: Event, actor: User) -> Event:
    """Cancel an event and its room booking; registrations stay for the record."""
    with transaction.atomic():
        current = locked_event(event)
        _refuse(current.refusal(actor, "cancel"))
        if current.booking is not None:
            room_services.release_event_booking(booking=current.booking, actor=actor)
        current.cancelled_at = timezone.now()
        current.sequence += 1
        current.save(update_fields=["cancelled_at", "sequence", "changed_at"])
        news = {"by": actor.pk}
        queue_mail_to_everyone(kind=OutgoingMail.Kind.EVENT_CANCELLED, object_id=current.pk, message=news)
    event.cancelled_at = current.cancelled_at
    return current


def _check_for_whom(event: Event, user: User, actor: User | None) -> None:
    """People register and unregister themselves; the organizer and admins may do it for anyone."""
    if actor is not None and actor.pk != user.pk and not event.can_be_managed_by(actor):
        raise PermissionDenied(_("You can only register or unregister yourself."))


def _register(event: Event, user: User) -> Registration:
    """Register ``user`` for the locked ``event`` inside the caller's transaction."""
    registration = Registration(event=event, user=user)
    registration.full_clean()
    try:
        with transaction.atomic():
            registration.save()
    except IntegrityError as exc:
        raise ValidationError(_("You are already registered for this event."), code="registered") from exc
    return registration


def register(*, event: Event, user: User, actor: User | None = None) -> Registration:
    """Register ``user`` for ``event``: once, before it starts, while there are
    places, judged on the event as it is once locked, so that neither a lowered
    capacity nor a cancellation can be overtaken."""
    with transaction.atomic():
        current = locked_event(event)
        _check_for_whom(current, user, actor)
        return _register(current, user)


def unregister(*, event: Event, user: User, actor: User | None = None) -> None:
    """Give up a place before the event starts. Someone removed by another (the
    organizer, an admin) is told, with a ``CANCEL`` for their calendar."""
    with transaction.atomic():
        current = locked_event(event)
        _check_for_whom(current, user, actor)
        if current.has_started():
            raise ValidationError(_("The event has already started."), code="started")
        deleted, _rows = Registration.objects.filter(event=current, user=user).delete()
        if not deleted:
            raise ValidationError(_("You are not registered for this event."), code="not_registered")
        if actor is not None and actor.pk != user.pk:
            removal = {"by": actor.pk}
            queue_mail(
                kind=OutgoingMail.Kind.REGISTRATION_REMOVED, recipient=user, object_id=current.pk, message=removal
            )


@dataclass
class InvitationResult:
    sent: list[Invitation] = field(default_factory=list)
    refused: list[tuple[User, list[str]]] = field(default_factory=list)


def invite(*, event: Event, invited_by: User, invitees: Iterable[User]) -> InvitationResult:
    """Invite each person in ``invitees``; each one refused (outside their working
    hours, already registered or invited) is reported, the rest are sent."""
    result = InvitationResult()
    with transaction.atomic():
        event = locked_event(event)
        _refuse(event.refusal(invited_by, "invite"))
        for invitee in invitees:
            invitation = Invitation(event=event, invited_by=invited_by, invitee=invitee)
            try:
                with transaction.atomic():
                    invitation.full_clean()
                    invitation.save()
            except ValidationError as error:
                result.refused.append((invitee, error.messages))
            except IntegrityError:
                result.refused.append((invitee, [_("This person has already been invited to this event.")]))
            else:
                result.sent.append(invitation)
                queue_mail(kind=OutgoingMail.Kind.INVITATION, recipient=invitee, object_id=invitation.pk)
    return result


def _respond(invitation: Invitation, actor: User, status: str) -> Invitation:
    with transaction.atomic():
        event = locked_event(invitation.event_id)
        current = Invitation.objects.select_for_update().select_related("invitee", "invited_by").get(pk=invitation.pk)
        current.event = event
        _refuse(current.refusal(actor))
        if status == Invitation.Status.ACCEPTED and not event.registrations.filter(user=current.invitee).exists():
            _register(event, current.invitee)
        current.status = status
        current.responded_at = timezone.now()
        current.save(update_fields=["status", "responded_at"])
        queue_mail(kind=OutgoingMail.Kind.ANSWER, recipient=current.invited_by, object_id=current.pk)
    return current


def accept_invitation(*, invitation: Invitation, actor: User) -> Invitation:
    """Accept: the invitee is registered (subject to capacity) and the inviter told.
    The invitee answers; an admin may answer for them."""
    return _respond(invitation, actor, Invitation.Status.ACCEPTED)


def decline_invitation(*, invitation: Invitation, actor: User) -> Invitation:
    """Decline: the inviter is told."""
    return _respond(invitation, actor, Invitation.Status.DECLINED)


def invitation_mail(mail: OutgoingMail) -> EmailMessage | None:
    """The invitee's mail, as the invitation stands when it is sent (none once it
    was answered or its event cancelled)."""
    invitation = (
        Invitation.objects.select_related("event__organizer", "event__booking__room", "invitee", "invited_by")
        .filter(pk=mail.object_id)
        .first()
    )
    if invitation is None or invitation.status != Invitation.Status.PENDING or invitation.event.cancelled_at:
        return None
    message = message_for(
        invitation.invitee,
        "events/email/invitation_subject.txt",
        "events/email/invitation_body.txt",
        {
            "invitation": invitation,
            "event": invitation.event,
            "url": site_url(reverse("events:invitations")),
            "ics_url": site_url(reverse("events:event_ics", args=[invitation.event_id])),
        },
    )
    invitee = invitation.invitee
    body = invitation_message(invitation.event, invitee, invitee.timezone)
    attach_calendar(message, f"event-{invitation.event_id}.ics", body, "REQUEST")
    return message


def answer_mail(mail: OutgoingMail) -> EmailMessage | None:
    """The inviter's mail that their invitation was accepted or declined."""
    invitation = Invitation.objects.select_related("event", "invitee", "invited_by").filter(pk=mail.object_id).first()
    if invitation is None or invitation.status == Invitation.Status.PENDING:
        return None
    return message_for(
        invitation.invited_by,
        "events/email/answer_subject.txt",
        "events/email/answer_body.txt",
        {"invitation": invitation, "event": invitation.event, "url": site_url(invitation.event.get_absolute_url())},
    )


def feed_served(*, key: str, version: str) -> datetime:
    """When ``version`` of the feed ``key`` was first served: its Last-Modified.
    A new version is stamped now, and always later than the one before, so that
    a change within the second the last version was first served still shows."""
    state = FeedState.objects.filter(key=key).defer("body").first()
    if state is not None and state.version == version:
        return state.first_served
    moment = timezone.now().replace(microsecond=0)
    if state is not None and moment <= state.first_served:
        moment = state.first_served + timedelta(seconds=1)
    FeedState.objects.update_or_create(key=key, defaults={"version": version, "first_served": moment, "body": None})
    return moment


def feed_body(*, key: str, version: str, write: Callable[[], bytes]) -> bytes:
    """The feed ``key`` at ``version``, gzipped: as stored when it was first
    written, or written now by ``write`` and stored (unless the feed has moved on
    since). Kept gzipped, it goes as it is to every app that accepts gzip."""
    stored = FeedState.objects.filter(key=key, version=version).values_list("body", flat=True).first()
    if stored is not None:
        return bytes(stored)
    body = gzip.compress(write(), compresslevel=6, mtime=0)
    FeedState.objects.filter(key=key, version=version).update(body=body)
    return body


def event_news_audience(mail: OutgoingMail) -> list[User]:
    """Who is told that an event moved or was cancelled: everyone registered and
    everyone invited (waiting to answer, or declined, as Google Calendar tells its
    declined guests), and the organizer when someone else (an admin) made the
    change; never the person who made it."""
    event = Event.objects.filter(pk=mail.object_id).only("organizer_id").first()
    if event is None:
        return []
    registered = Registration.objects.filter(event=event).values("user_id")
    invited = Invitation.objects.filter(event=event).values("invitee_id")
    concerned = Q(pk__in=registered) | Q(pk__in=invited) | Q(pk=event.organizer_id)
    people = User.objects.filter(concerned, is_active=True).exclude(pk=(mail.message or {}).get("by"))
    return list(people.order_by("pk"))


def _part(event: Event, person: User) -> str | None:
    """``person``'s PARTSTAT in ``event``, or None when they take no part in it."""
    if person.pk == event.organizer_id or event.registrations.filter(user=person).exists():
        return "ACCEPTED"
    answer = event.invitations.filter(invitee=person).values_list("status", flat=True).first()
    if answer is None:
        return None
    return "NEEDS-ACTION" if answer == Invitation.Status.PENDING else "DECLINED"


def event_news_mail(mail: OutgoingMail) -> EmailMessage | None:
    """A person's mail that an event moved (``EVENT_CHANGED``) or was cancelled
    (``EVENT_CANCELLED``), with the iTIP ``REQUEST`` or ``CANCEL`` for their
    calendar, as the event stands when it is sent. None when there is nothing
    left to say: the event is gone; it moved again or was cancelled since (that
    change's own mail follows); it is back where people last heard it was; or
    the person no longer takes part."""
    person = mail.recipient
    event = Event.objects.select_related("organizer", "booking__room").filter(pk=mail.object_id).first()
    if event is None or person is None:
        return None
    stored = mail.message or {}
    cancelled = mail.kind == OutgoingMail.Kind.EVENT_CANCELLED
    if cancelled != event.is_cancelled or stored.get("sequence", event.sequence) != event.sequence:
        return None
    partstat = _part(event, person)
    if partstat is None:
        return None
    by = User.objects.filter(pk=stored.get("by")).exclude(pk=event.organizer_id).first()
    context = {
        "event": event,
        "cancelled": cancelled,
        "by": by,
        "url": site_url(event.get_absolute_url()),
        "ics_url": site_url(reverse("events:event_ics", args=[event.pk])),
    }
    if not cancelled:
        was_start = datetime.fromisoformat(stored["was_start"])
        was_end = datetime.fromisoformat(stored["was_end"])
        was_room = stored.get("was_room", "")
        time_changed = (was_start, was_end) != (event.start, event.end)
        room_changed = was_room != str(event.room or "")
        if not (time_changed or room_changed):
            return None
        if time_changed:
            context["was_span"] = lambda: format_span(was_start, was_end)
        if room_changed:
            context["was_room"], context["room_changed"] = was_room or None, True
    message = message_for(person, "events/email/news_subject.txt", "events/email/news_body.txt", context)
    body = event_message(event, person, person.timezone, partstat=partstat)
    attach_calendar(message, f"event-{event.pk}.ics", body, "CANCEL" if cancelled else "REQUEST")
    return message


def removal_mail(mail: OutgoingMail) -> EmailMessage | None:
    """The mail to someone the organizer or an admin unregistered, with a
    ``CANCEL`` that takes the event out of their calendar. None when they are
    registered again, or the event is gone or cancelled (its own mail says so)."""
    person = mail.recipient
    event = Event.objects.select_related("organizer", "booking__room").filter(pk=mail.object_id).first()
    if event is None or person is None or event.is_cancelled or event.registrations.filter(user=person).exists():
        return None
    by = User.objects.filter(pk=(mail.message or {}).get("by")).first()
    context = {"event": event, "by": by, "url": site_url(event.get_absolute_url())}
    message = message_for(person, "events/email/removed_subject.txt", "events/email/removed_body.txt", context)
    body = event_message(event, person, person.timezone, partstat="DECLINED", removed=True)
    attach_calendar(message, f"event-{event.pk}.ics", body, "CANCEL")
    return message
