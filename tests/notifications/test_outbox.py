"""The outbox's rules: a mail is sent once, tried again with growing pauses, kept as
failed for an admin, written from the rows as they are when it goes out."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone
from django_tasks.backends.dummy import DummyBackend

from notifications import services
from notifications.models import OutgoingMail
from rooms import services as room_services
from tests.factories import RoomFactory, UserFactory, tomorrow_at

pytestmark = pytest.mark.django_db


def _booking(user=None):
    return room_services.book_room(
        room=RoomFactory(), user=user or UserFactory(), title="Sync", start=tomorrow_at(10), end=tomorrow_at(11)
    )


def _refusing(settings) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 1


def test_the_change_and_its_mail_commit_together(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        booking = _booking()
    [owed] = OutgoingMail.objects.all()
    assert (owed.kind, owed.object_id, owed.status) == ("booking_booked", booking.pk, "pending")
    assert mail.outbox == [] and len(callbacks) == 1, "handed to a worker only after the commit"


def test_a_mail_is_sent_once_however_often_its_task_runs(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        booking = _booking()
    [owed] = OutgoingMail.objects.filter(object_id=booking.pk)
    assert services.deliver(owed.pk) == "skipped"
    services.sweep(now=timezone.now() + timedelta(hours=1))
    assert len(mail.outbox) == 1
    owed.refresh_from_db()
    assert (owed.status, owed.attempts) == ("sent", 1)


def test_failures_back_off_then_stay_failed_for_an_admin(settings, django_capture_on_commit_callbacks, caplog):
    _refusing(settings)
    with django_capture_on_commit_callbacks(execute=True):
        booking = _booking()
    owed = OutgoingMail.objects.get(object_id=booking.pk)
    now = timezone.now()
    pauses = []
    for _ in range(services.max_attempts() - 1):
        owed.refresh_from_db()
        assert owed.status == "pending"
        pauses.append(owed.next_attempt_at - now)
        now = owed.next_attempt_at
        assert services.deliver(owed.pk, now=now - timedelta(seconds=1)) == "skipped", "not before it is due"
        services.deliver(owed.pk, now=now)
    owed.refresh_from_db()
    assert (owed.status, owed.attempts) == ("failed", services.max_attempts())
    assert pauses == sorted(pauses) and timedelta(minutes=45) < sum(pauses, timedelta()) < timedelta(hours=2)
    assert "failed for good" in caplog.text


def test_a_mail_describes_the_booking_as_it_is_when_sent(django_capture_on_commit_callbacks):
    holder = UserFactory()
    with django_capture_on_commit_callbacks(execute=False) as booked:
        booking = _booking(holder)
    room_services.change_booking(booking=booking, actor=holder, title="Renamed")
    for callback in booked:
        callback()
    assert "Renamed" in mail.outbox[0].body


def test_no_booked_mail_for_a_booking_cancelled_before_it_went_out(django_capture_on_commit_callbacks):
    holder = UserFactory()
    with django_capture_on_commit_callbacks(execute=False) as booked:
        booking = _booking(holder)
    with django_capture_on_commit_callbacks(execute=True):
        room_services.cancel_booking(booking=booking, actor=holder)
    for callback in booked:
        callback()
    assert [message.subject for message in mail.outbox if "ancel" in message.subject] == [mail.outbox[0].subject]
    assert len(mail.outbox) == 1
    assert OutgoingMail.objects.get(kind="booking_booked").status == "dropped"


def test_the_admin_sees_failed_mail_and_sends_it_again(settings, admin_client_, django_capture_on_commit_callbacks):
    _refusing(settings)
    with django_capture_on_commit_callbacks(execute=True):
        booking = _booking()
    OutgoingMail.objects.filter(object_id=booking.pk).update(status="failed", attempts=5, last_error="refused")
    page = admin_client_.get(reverse("admin:notifications_outgoingmail_changelist"), {"status__exact": "failed"})
    assert page.status_code == 200 and "refused" in page.content.decode()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    owed = OutgoingMail.objects.get(object_id=booking.pk)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_.post(
            reverse("admin:notifications_outgoingmail_changelist"),
            {"action": "send_again", "_selected_action": [owed.pk]},
            follow=True,
        )
    assert "1 mail will be sent again" in response.content.decode()
    owed.refresh_from_db()
    assert owed.status == "sent" and len(mail.outbox) == 1


def test_queue_health_fails_when_mail_waits_too_long(settings, capsys):
    call_command("queue_health")
    assert "waiting=0" in capsys.readouterr().out
    services.queue_mail(kind=OutgoingMail.Kind.ACCOUNT, to="a@example.com", message={"subject": "s", "body": "b"})
    OutgoingMail.objects.update(next_attempt_at=timezone.now() - timedelta(minutes=10))
    with pytest.raises(CommandError, match="has waited"):
        call_command("queue_health", "--max-age", "300")
    call_command("queue_health", "--max-age", "3600")
    assert "waiting=1" in capsys.readouterr().out


def test_prune_keeps_failed_mail_and_forgets_old_sent_mail(settings):
    old = timezone.now() - timedelta(days=settings.FINISHED_WORK_KEEP_DAYS + 1)
    for status in ("sent", "failed", "dropped"):
        row = services.queue_mail(kind=OutgoingMail.Kind.ACCOUNT, to="a@example.com", message={})
        OutgoingMail.objects.filter(pk=row.pk).update(status=status, created_at=old)
    services.prune()
    assert list(OutgoingMail.objects.values_list("status", flat=True)) == ["failed"]


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_queue_health_sees_a_task_no_worker_took(settings):
    if settings.TASK_BACKEND != "db":
        pytest.skip("reads the database backend's rows")
    from django_tasks_db.models import DBTaskResult

    from notifications.tasks import sweep_outbox

    sweep_outbox.enqueue()
    assert services.oldest_waiting() < timedelta(minutes=1)
    DBTaskResult.objects.update(enqueued_at=timezone.now() - timedelta(minutes=20))
    with pytest.raises(CommandError, match="has waited"):
        call_command("queue_health")


class UnreachableBackend(DummyBackend):
    """A task backend whose server is down (as RQ is without Redis)."""

    def enqueue(self, task, args, kwargs):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


def test_a_task_backend_that_is_down_never_fails_the_booking(
    settings, employee_client, room, django_capture_on_commit_callbacks, caplog
):
    """The booking is made, the mail waits, and the next sweep hands it over at once."""
    settings.TASKS = {"default": {"BACKEND": f"{__name__}.UnreachableBackend", "QUEUES": ["default"]}}
    day = tomorrow_at(0).date().isoformat()
    with django_capture_on_commit_callbacks(execute=True):
        response = employee_client.post(
            reverse("rooms:book", args=[room.pk]),
            {"title": "Offline", "date": day, "start_time": "10:00", "end_date": day, "end_time": "11:00"},
        )
    assert response.status_code == 302
    [owed] = OutgoingMail.objects.all()
    assert (owed.status, owed.enqueued_at) == ("pending", None) and "the sweep will try again" in caplog.text
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}
    assert services.sweep() == 1
    assert len(mail.outbox) == 1
