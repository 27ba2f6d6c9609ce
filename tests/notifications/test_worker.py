"""Mail leaves the request and a real worker sends it: through the configured task
backend (the database by default, RQ when REDIS_URL is set), a worker process of
its own, and an SMTP server the test runs (aiosmtpd)."""

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from notifications import services
from notifications.models import OutgoingMail
from rooms import services as room_services
from tests.factories import RoomFactory, UserFactory, tomorrow_at

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]


class Inbox:
    """aiosmtpd handler: keeps what was delivered; can stall before the message."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.stall_seconds = 0.0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.stall_seconds:
            import asyncio

            await asyncio.sleep(self.stall_seconds)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.port = controller.port
    yield inbox
    controller.stop()


@pytest.fixture
def queue(settings):
    """The real backend, emptied; with RQ a Redis database of this test's own."""
    if settings.TASK_BACKEND == "rq":
        import django_rq

        django_rq.get_queue("default").empty()
    elif settings.TASK_BACKEND != "db":
        pytest.skip("needs the database or RQ task backend")
    return settings.TASK_BACKEND


def worker_env(port: int, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "PYTEST_"))}
    database = connection.settings_dict
    if connection.vendor == "sqlite":
        env["SQLITE_PATH"] = str(database["NAME"])
        env.pop("DATABASE_URL", None)
    else:
        env["DATABASE_URL"] = (
            f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/"
            f"{database['NAME']}"
        )
    env.update(
        {
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(port),
            "EMAIL_USE_TLS": "0",
            "EMAIL_TIMEOUT": "1",
            "TASK_BACKEND": settings.TASK_BACKEND,
            "DEBUG": "1",
            **extra,
        }
    )
    return env


def run_worker(port: int, timeout: float = 60, **extra: str) -> subprocess.CompletedProcess:
    """A worker process that runs whatever is due, then exits."""
    return subprocess.run(
        [sys.executable, "manage.py", "run_worker", "--burst"],
        cwd=ROOT,
        env=worker_env(port, **extra),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def book(user=None) -> int:
    booking = room_services.book_room(
        room=RoomFactory(), user=user or UserFactory(), title="Planning", start=tomorrow_at(10), end=tomorrow_at(11)
    )
    return booking.pk


def owed(booking_id: int) -> OutgoingMail:
    return OutgoingMail.objects.get(kind=OutgoingMail.Kind.BOOKING_BOOKED, object_id=booking_id)


def as_if_later(mail: OutgoingMail) -> None:
    """Move the waiting mail's next try (and its deferred task) to now."""
    OutgoingMail.objects.filter(pk=mail.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    if settings.TASK_BACKEND == "db":
        from django_tasks_db.models import DBTaskResult

        DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now() - timedelta(seconds=1))
    else:
        services.sweep(now=timezone.now() + services.REQUEUE_AFTER)


def test_a_worker_process_delivers_the_booking_mail(smtp, queue):
    booking_id = book(UserFactory(email="holder@example.com", language="ru"))
    assert smtp.messages == [] and owed(booking_id).status == "pending", "nothing is sent in the request"
    result = run_worker(smtp.port)
    assert result.returncode == 0, result.stderr[-2000:]
    [message] = smtp.messages
    assert b"holder@example.com" in message and b"text/calendar" in message
    mail = owed(booking_id)
    assert (mail.status, mail.attempts) == ("sent", 1)


def test_mail_server_down_then_up_delivers_once(smtp, queue):
    booking_id = book()
    closed = free_port()
    result = run_worker(closed)
    assert result.returncode == 0, result.stderr[-2000:]
    mail = owed(booking_id)
    assert (mail.status, mail.attempts) == ("pending", 1)
    assert "refused" in mail.last_error.lower() and mail.next_attempt_at > timezone.now()
    as_if_later(mail)
    run_worker(smtp.port)
    assert len(smtp.messages) == 1 and owed(booking_id).status == "sent"
    services.sweep(now=timezone.now() + timedelta(hours=2))
    run_worker(smtp.port)
    assert len(smtp.messages) == 1, "a mail that went out is not sent again"


def test_a_silent_mail_server_holds_neither_the_request_nor_the_worker(client, queue):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(5)
    try:
        user = UserFactory()
        room = RoomFactory()
        client.force_login(user)
        day = tomorrow_at(0).date().isoformat()
        started = time.monotonic()
        response = client.post(
            reverse("rooms:book", args=[room.pk]),
            {"title": "Quiet", "date": day, "start_time": "10:00", "end_date": day, "end_time": "11:00"},
        )
        assert response.status_code == 302 and time.monotonic() - started < 2
        started = time.monotonic()
        result = run_worker(silent.getsockname()[1])
        assert result.returncode == 0 and time.monotonic() - started < 30
    finally:
        silent.close()
    [mail] = OutgoingMail.objects.all()
    assert (mail.status, mail.attempts) == ("pending", 1) and "timed out" in mail.last_error.lower()


def test_a_worker_killed_mid_send_loses_nothing_and_sends_once(smtp, queue):
    booking_id = book()
    smtp.stall_seconds = 30
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "run_worker"],
        cwd=ROOT,
        env=worker_env(smtp.port, EMAIL_TIMEOUT="60"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while owed(booking_id).leased_until is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert owed(booking_id).leased_until is not None, "the worker took the mail"
        time.sleep(0.5)
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)
    assert smtp.messages == [] and owed(booking_id).status == "pending"
    smtp.stall_seconds = 0
    assert services.sweep() == 0, "the killed worker's lease holds until it runs out"
    OutgoingMail.objects.filter(pk=owed(booking_id).pk).update(
        leased_until=timezone.now() - timedelta(seconds=1), enqueued_at=timezone.now() - services.REQUEUE_AFTER
    )
    assert services.sweep() == 1
    run_worker(smtp.port)
    assert len(smtp.messages) == 1 and owed(booking_id).status == "sent"
    services.sweep(now=timezone.now() + timedelta(hours=2))
    run_worker(smtp.port)
    assert len(smtp.messages) == 1


def test_the_scheduler_hands_lost_mail_back_to_a_worker(smtp, queue):
    """A task lost with its queue (a flushed Redis, a deleted row) is found by the sweep."""
    booking_id = book()
    if queue == "db":
        from django_tasks_db.models import DBTaskResult

        DBTaskResult.objects.all().delete()
    else:
        import django_rq

        django_rq.get_queue("default").empty()
    OutgoingMail.objects.update(enqueued_at=timezone.now() - services.REQUEUE_AFTER - timedelta(seconds=1))
    result = subprocess.run(
        [sys.executable, "manage.py", "run_scheduler", "--once"],
        cwd=ROOT,
        env=worker_env(smtp.port),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    run_worker(smtp.port)
    run_worker(smtp.port)
    assert len(smtp.messages) == 1 and owed(booking_id).status == "sent"


def test_a_moved_event_reaches_everyone_through_the_worker(smtp, queue):
    """The organizer's request records one row; the worker hands it out and sends one
    mail per person registered or invited, each with the update for their calendar."""
    from events import services as event_services
    from tests.factories import next_weekday_at

    organizer = UserFactory()
    event = event_services.create_event(
        organizer=organizer, title="All hands", start=next_weekday_at(10), end=next_weekday_at(11), room=RoomFactory()
    )
    people = UserFactory.create_batch(12)
    for person in people:
        event_services.register(event=event, user=person)
    invitee = UserFactory(email="invitee@example.com")
    event_services.invite(event=event, invited_by=organizer, invitees=[invitee])
    assert run_worker(smtp.port).returncode == 0
    smtp.messages.clear()

    event_services.change_event(
        event=event, actor=organizer, title="All hands", start=next_weekday_at(14), end=next_weekday_at(15)
    )
    news = OutgoingMail.objects.filter(object_id=event.pk, kind=OutgoingMail.Kind.EVENT_CHANGED)
    assert news.count() == 1 and smtp.messages == []
    result = run_worker(smtp.port)
    assert result.returncode == 0, result.stderr[-2000:]
    recipients = sorted(
        line.split(b":", 1)[1].strip().decode()
        for message in smtp.messages
        for line in message.splitlines()
        if line.startswith(b"To:")
    )
    assert recipients == sorted([person.email for person in people] + [invitee.email])
    assert all(b"METHOD:REQUEST" in message and b"SEQUENCE:1" in message for message in smtp.messages)
    assert set(news.values_list("status", flat=True)) == {"sent"} and news.count() == 14
