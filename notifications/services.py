"""Mail leaves the request: a change records the mail it owes (``queue_mail``, in
the change's transaction) and a worker sends it (``deliver``). A send that fails
is tried again later with growing pauses, then kept as failed for an admin; a
worker that dies mid-send leaves a lease that runs out, and ``sweep`` hands the
mail to a worker again. A mail is written when it is sent, from the rows as
they are then, in its recipient's language and zone.

A change that concerns many people (an event moved, with hundreds of people
registered) records one row for everyone (``queue_mail_to_everyone``); a worker
turns it into one row per person (``AUDIENCES`` says who), so the change's own
request pays for one insert whatever the audience."""

import logging
from datetime import datetime, timedelta
from importlib import import_module
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Min, Q
from django.utils import timezone
from django.utils.module_loading import import_string

from accounts.models import User
from notifications.models import OutgoingMail

logger = logging.getLogger(__name__)

#: Pauses before the second, third... try: about an hour in all.
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(minutes=40))
#: A mail handed to a worker this long ago and still waiting is handed again.
REQUEUE_AFTER = timedelta(minutes=10)

#: What writes each kind of mail: ``builder(mail) -> EmailMessage | None``
#: (None: the row is gone or the mail no longer makes sense).
BUILDERS = {
    OutgoingMail.Kind.BOOKING_BOOKED: "rooms.services.booking_mail",
    OutgoingMail.Kind.BOOKING_CHANGED: "rooms.services.booking_mail",
    OutgoingMail.Kind.BOOKING_CANCELLED: "rooms.services.booking_mail",
    OutgoingMail.Kind.INVITATION: "events.services.invitation_mail",
    OutgoingMail.Kind.ANSWER: "events.services.answer_mail",
    OutgoingMail.Kind.EVENT_CHANGED: "events.services.event_news_mail",
    OutgoingMail.Kind.EVENT_CANCELLED: "events.services.event_news_mail",
    OutgoingMail.Kind.REGISTRATION_REMOVED: "events.services.removal_mail",
}

#: Who a row for everyone goes to: ``audience(mail) -> iterable of User``.
AUDIENCES = {
    OutgoingMail.Kind.EVENT_CHANGED: "events.services.event_news_audience",
    OutgoingMail.Kind.EVENT_CANCELLED: "events.services.event_news_audience",
}


def max_attempts() -> int:
    return len(BACKOFF) + 1


def lease() -> timedelta:
    """How long a worker may take over one send before another may try: the
    connection and the conversation are each bounded by ``EMAIL_TIMEOUT``."""
    return timedelta(seconds=3 * (settings.EMAIL_TIMEOUT or 60) + 30)


def queue_mail(
    *,
    kind: str,
    recipient: User | None = None,
    object_id: int | None = None,
    to: str = "",
    message: dict[str, Any] | None = None,
) -> OutgoingMail:
    """Record a mail owed by the change in progress; a worker gets it once the
    change commits (and not at all if it rolls back)."""
    mail = OutgoingMail.objects.create(
        kind=kind,
        recipient=recipient,
        object_id=object_id,
        to=to or (recipient.email if recipient else ""),
        message=message,
        next_attempt_at=timezone.now(),
    )
    transaction.on_commit(lambda: hand_to_worker(mail.pk))
    return mail


def queue_mail_to_everyone(*, kind: str, object_id: int, message: dict[str, Any] | None = None) -> OutgoingMail:
    """Record a mail owed to everyone ``AUDIENCES[kind]`` names for ``object_id``:
    one row now, one per person when a worker hands it out. ``message`` is
    copied to each person's row (what the change was, for their builder)."""
    return queue_mail(kind=kind, object_id=object_id, message={**(message or {}), OutgoingMail.EVERYONE: True})


def hand_to_worker(mail_id: int, run_after: datetime | None = None) -> None:
    """Enqueue the send. A task backend that is down costs nothing but time: the
    mail stays waiting and ``sweep`` hands it over again."""
    from notifications.tasks import deliver_mail

    try:
        (deliver_mail.using(run_after=run_after) if run_after else deliver_mail).enqueue(mail_id)
    except Exception:
        logger.exception("Could not hand mail %s to a worker; the sweep will try again", mail_id)
        return
    OutgoingMail.objects.filter(pk=mail_id).update(enqueued_at=timezone.now())


def _unleased(now: datetime) -> Q:
    """No worker holds the mail: never taken, or its lease has run out."""
    return Q(leased_until__isnull=True) | Q(leased_until__lt=now)


def _claim(mail_id: int, now: datetime) -> bool:
    due = OutgoingMail.objects.filter(
        _unleased(now), pk=mail_id, status=OutgoingMail.Status.PENDING, next_attempt_at__lte=now
    )
    return due.update(leased_until=now + lease()) == 1


def build(mail: OutgoingMail) -> EmailMessage | None:
    """The message as it reads now, or None when there is nothing to send."""
    if mail.kind == OutgoingMail.Kind.ACCOUNT:
        stored = mail.message or {}
        message = EmailMultiAlternatives(
            stored.get("subject", ""), stored.get("body", ""), stored.get("from_email"), [mail.to]
        )
        for content, mimetype in stored.get("alternatives", []):
            message.attach_alternative(content, mimetype)
        return message
    if mail.object_id is None:
        return None
    return import_string(BUILDERS[mail.kind])(mail)


def deliver(mail_id: int, now: datetime | None = None) -> str:
    """Send one owed mail, unless it went out already, is not due, or another
    worker holds it. Returns what happened: sent, retry, failed, dropped, skipped,
    or "handed out" (a row for everyone, now one row per person)."""
    now = now or timezone.now()
    if not _claim(mail_id, now):
        return "skipped"
    mail = OutgoingMail.objects.select_related("recipient").get(pk=mail_id)
    if mail.for_everyone:
        return _hand_out(mail, now)
    try:
        message = build(mail)
        if message is not None:
            message.send()
    except Exception as error:
        return _failed(mail, error, now)
    mail.leased_until = None
    if message is None:
        mail.status = OutgoingMail.Status.DROPPED
    else:
        mail.status, mail.sent_at = OutgoingMail.Status.SENT, timezone.now()
        mail.attempts += 1
    mail.save(update_fields=["status", "attempts", "sent_at", "leased_until"])
    return mail.status


def _hand_out(mail: OutgoingMail, now: datetime) -> str:
    """Turn a row for everyone into one row per person, in one transaction that
    first marks it done, but only while this worker's lease holds: a worker that
    dies half-way leaves the row to be handed out again, never half of the rows,
    and a worker whose lease ran out (another has taken the row) hands out nothing."""
    try:
        with transaction.atomic():
            mine = OutgoingMail.objects.filter(
                pk=mail.pk, status=OutgoingMail.Status.PENDING, leased_until=mail.leased_until
            )
            if not mine.update(
                status=OutgoingMail.Status.SENT, sent_at=now, leased_until=None, attempts=F("attempts") + 1
            ):
                return "skipped"
            personal = {key: value for key, value in (mail.message or {}).items() if key != OutgoingMail.EVERYONE}
            rows = OutgoingMail.objects.bulk_create(
                OutgoingMail(
                    kind=mail.kind,
                    recipient=person,
                    object_id=mail.object_id,
                    to=person.email,
                    message=personal,
                    next_attempt_at=now,
                )
                for person in import_string(AUDIENCES[mail.kind])(mail)
            )
            ids = [row.pk for row in rows] if all(row.pk for row in rows) else None
    except Exception as error:
        return _failed(mail, error, now)
    if ids is None:
        sweep(now)
    else:
        for mail_id in ids:
            hand_to_worker(mail_id)
    return "handed out"


def _failed(mail: OutgoingMail, error: Exception, now: datetime) -> str:
    mail.attempts += 1
    mail.last_error = f"{type(error).__name__}: {error}"[:2000]
    mail.leased_until = None
    if mail.attempts >= max_attempts():
        mail.status = OutgoingMail.Status.FAILED
        logger.error("Mail %s to %s failed for good after %s tries: %s", mail.pk, mail.to, mail.attempts, error)
    else:
        mail.next_attempt_at = now + BACKOFF[mail.attempts - 1]
        logger.warning(
            "Mail %s to %s failed (try %s), again at %s: %s",
            mail.pk,
            mail.to,
            mail.attempts,
            mail.next_attempt_at,
            error,
        )
    mail.save(update_fields=["attempts", "last_error", "leased_until", "status", "next_attempt_at"])
    if mail.status == OutgoingMail.Status.FAILED:
        return "failed"
    hand_to_worker(mail.pk, run_after=mail.next_attempt_at)
    return "retry"


def sweep(now: datetime | None = None, limit: int = 500) -> int:
    """Hand over again every due mail whose task was lost (a killed worker, a
    task backend that was down, a flushed queue). Safe to run anywhere, often."""
    now = now or timezone.now()
    stale = Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=now - REQUEUE_AFTER)
    due = OutgoingMail.objects.filter(
        stale, _unleased(now), status=OutgoingMail.Status.PENDING, next_attempt_at__lte=now
    )
    ids = list(due.order_by("next_attempt_at").values_list("pk", flat=True)[:limit])
    for mail_id in ids:
        hand_to_worker(mail_id)
    return len(ids)


def send_again(mails: Any) -> int:
    """An admin's "send again" for failed (or waiting) mails: tries start over now."""
    now = timezone.now()
    ids = list(mails.exclude(status=OutgoingMail.Status.SENT).values_list("pk", flat=True))
    with transaction.atomic():
        OutgoingMail.objects.filter(pk__in=ids).update(
            status=OutgoingMail.Status.PENDING, attempts=0, next_attempt_at=now, leased_until=None
        )
        for mail_id in ids:
            transaction.on_commit(lambda mail_id=mail_id: hand_to_worker(mail_id))
    return len(ids)


def oldest_waiting(now: datetime | None = None) -> timedelta | None:
    """How long the longest-waiting due work has waited: a due mail, or (with the
    database backend) a task whose time has come. A worker that is not keeping
    up, or not running, shows here first."""
    now = now or timezone.now()
    since = [
        OutgoingMail.objects.filter(status=OutgoingMail.Status.PENDING, next_attempt_at__lte=now).aggregate(
            since=Min("next_attempt_at")
        )["since"]
    ]
    if settings.TASK_BACKEND == "db":
        from django_tasks_db.models import DBTaskResult, get_date_max

        ready = DBTaskResult.objects.ready()
        since.append(ready.filter(run_after=get_date_max()).aggregate(since=Min("enqueued_at"))["since"])
        since.append(ready.exclude(run_after=get_date_max()).aggregate(since=Min("run_after"))["since"])
    known = [moment for moment in since if moment is not None]
    return now - min(known) if known else None


def waiting_count() -> int:
    return OutgoingMail.objects.filter(status=OutgoingMail.Status.PENDING).count()


def clear_expired_sessions() -> None:
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()


def prune(now: datetime | None = None) -> int:
    """Forget mails sent (or not needed) and finished task results older than
    ``FINISHED_WORK_KEEP_DAYS``; failed mails stay until an admin acts."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.FINISHED_WORK_KEEP_DAYS)
    done = [OutgoingMail.Status.SENT, OutgoingMail.Status.DROPPED]
    deleted, _ = OutgoingMail.objects.filter(status__in=done, created_at__lt=cutoff).delete()
    try:
        from django_tasks_db.models import DBTaskResult
    except ImportError:
        return deleted
    finished, _ = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).delete()
    return deleted + finished


def max_wait_seconds() -> int:
    return settings.QUEUE_MAX_WAIT_SECONDS


def failed_count() -> int:
    return OutgoingMail.objects.filter(status=OutgoingMail.Status.FAILED).count()
