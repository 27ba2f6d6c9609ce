"""PostgreSQL stopped and started again while a gunicorn server is under load.

Runs only with RUN_FAULT_TESTS=1 on PostgreSQL, as root, in a pytest run of its
own (``make fault``; CI does this last), because it stops the database server."""

import json
import os
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection

from accounts.services import issue_api_token
from events.models import Event
from rooms.models import Booking
from tests.factories import RoomFactory, UserFactory, next_weekday_at
from tests.servers import gunicorn_servers

pytestmark = [
    pytest.mark.fault,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(os.environ.get("RUN_FAULT_TESTS") != "1", reason="set RUN_FAULT_TESTS=1 (make fault)"),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
    pytest.mark.skipif(
        shutil.which("pg_ctlcluster") is None or os.geteuid() != 0, reason="needs root and pg_ctlcluster"
    ),
]


def cluster(action: str) -> None:
    version = sorted(path.name for path in Path("/etc/postgresql").iterdir())[0]
    subprocess.run(
        [
            "pg_ctlcluster",
            "--skip-systemctl-redirect",
            version,
            "main",
            action,
            *(["-m", "fast"] if action == "stop" else []),
        ],
        check=True,
        timeout=60,
    )


def wait_for_postgres(seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1"], check=False).returncode == 0:
            return
        time.sleep(0.5)
    raise RuntimeError("PostgreSQL did not come back")


def call(url: str, token: str, body: dict | None = None) -> int:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST" if body is not None else "GET",
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0


def test_database_restart_under_load():
    rooms = [RoomFactory(capacity=50) for _ in range(3)]
    token = issue_api_token(user=UserFactory(), name="fault")[1]
    statuses: list[int] = []
    base = next_weekday_at(8)
    stop = threading.Event()
    with gunicorn_servers(1, workers=2) as (url,):

        def load(worker: int) -> None:
            slot = 0
            while not stop.is_set() and slot < 400:
                start = base + slot * timedelta(minutes=20)
                end = start + timedelta(minutes=15)
                body = {"title": f"load {worker}-{slot}", "start": start.isoformat(), "end": end.isoformat()}
                if slot % 2:
                    statuses.append(call(f"{url}/api/events/", token, {**body, "room": rooms[worker].pk}))
                else:
                    statuses.append(call(f"{url}/api/bookings/", token, {**body, "room": rooms[worker].pk}))
                statuses.append(call(f"{url}/api/rooms/", token))
                slot += 1

        threads = [threading.Thread(target=load, args=(worker,)) for worker in range(3)]
        for thread in threads:
            thread.start()
        try:
            time.sleep(2)
            cluster("stop")
            time.sleep(1)
            during = [call(f"{url}/healthz", token), call(f"{url}/api/rooms/", token)]
            time.sleep(2)
        finally:
            cluster("start")
            wait_for_postgres()
        deadline = time.monotonic() + 30
        while call(f"{url}/healthz", token) != 200 and time.monotonic() < deadline:
            time.sleep(0.5)
        after = call(f"{url}/api/rooms/", token)
        time.sleep(2)
        stop.set()
        for thread in threads:
            thread.join(timeout=60)

    connection.close()
    assert during == [503, 503]
    assert after == 200
    assert 503 in statuses and 201 in statuses
    assert set(statuses) <= {200, 201, 400, 503}, sorted(set(statuses))
    for event in Event.objects.select_related("booking"):
        assert event.booking is not None and (event.booking.start, event.booking.end) == (event.start, event.end)
    event_bookings = set(Event.objects.values_list("booking_id", flat=True))
    for booking in Booking.objects.filter(title__startswith="load", title__regex=r"-\d*[13579]$"):
        assert booking.pk in event_bookings, "a room booked for an event whose event was never written"
