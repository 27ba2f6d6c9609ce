"""`make bench`: the site under gunicorn against PostgreSQL (or SQLite with
--sqlite), driven from a separate load-generator process on loopback.

Prints one table per data set (office scale and demo) and writes both, with the
targets, to docs/benchmark.md.
"""

import argparse
import json
import os
import platform
import secrets
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

from prepare import urls

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
GUNICORN = str(Path(PYTHON).with_name("gunicorn"))
SECRET = "bench-secret-key-long-enough-for-production-settings-0123456789abcdef"

OPERATIONS = [
    ("floor", "bare view (floor)", "GET"),
    ("rooms", "room list", "GET"),
    ("room", "room page", "GET"),
    ("timeline", "day timeline", "GET"),
    ("finder", "free-room finder", "GET"),
    ("my_bookings", "my bookings", "GET"),
    ("events", "event list", "GET"),
    ("event", "event page", "GET"),
    ("api_rooms", "API room list", "GET"),
    ("api_book", "API booking create", "POST"),
    ("html_book", "HTML booking create", "POST"),
]


READ_PAGES = ["rooms", "room", "timeline", "finder", "my_bookings", "events", "event"]


def env_for(database_url: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "SECRET_KEY": SECRET,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        "SECURE_HSTS_SECONDS": "0",
        "STATIC_MANIFEST": "0",
        "BENCH_ENDPOINTS": "1",
        "LOG_LEVEL": "WARNING",
        "BOOKING_HORIZON_DAYS": "3650",
        **(extra or {}),
    }


def manage(env: dict[str, str], *args: str) -> str:
    return subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout


PREPARE = r"""
import json, secrets
from datetime import timedelta
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db.models import Count
from django.utils import timezone
from accounts.models import ApiToken, User
from events.models import Event
from rooms.models import Booking, Room
user = User.objects.annotate(n=Count("bookings")).order_by("-n").first()
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()
token = ApiToken.issue(user, "bench")[1]
room = Room.objects.annotate(n=Count("bookings")).order_by("-n").first()
upcoming = Event.objects.active().upcoming().annotate(n=Count("registrations"))
event = upcoming.order_by("-n", "start").first() or Event.objects.first()
rooms = list(Room.objects.active().values_list("pk", flat=True)[:400])
print(json.dumps({"session": session.session_key, "token": token, "room": room.pk, "event": event.pk, "rooms": rooms,
                  "today": timezone.localdate().isoformat()}))
"""


def prepare(env: dict[str, str]) -> dict:
    return json.loads(manage(env, "shell", "-c", PREPARE).strip().splitlines()[-1])


def start_server(env: dict[str, str], port: int, workers: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            GUNICORN,
            "booking_site.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--timeout",
            "120",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return process
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError("gunicorn did not start")


def worker_peak_mb(master: subprocess.Popen) -> float:
    peak = 0
    for child in Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split():
        for line in Path(f"/proc/{child}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peak = max(peak, int(line.split()[1]))
    return peak / 1024


def specs(data: dict, base: str, seconds: float, concurrency: int) -> dict[str, dict]:
    session = {"Cookie": f"sessionid={data['session']}; csrftoken=benchcsrfbenchcsrfbenchcsrf12345"}
    api = {"Authorization": f"Bearer {data['token']}", "Content-Type": "application/json"}
    from datetime import date

    today = date.fromisoformat(data["today"])
    tomorrow = (today + timedelta(days=1)).isoformat()
    offset = secrets.randbelow(2400) + 400  # fresh slots on every run
    far = [today + timedelta(days=offset + index) for index in range(60)]
    far_form = [today + timedelta(days=offset + 60 + index) for index in range(600)]
    api_bodies, form_bodies = [], []
    for index in range(6000):
        room = data["rooms"][index % len(data["rooms"])]
        day = far[(index // len(data["rooms"])) % len(far)]
        hour = 8 + (index // (len(data["rooms"]) * len(far))) % 10
        api_bodies.append(
            json.dumps({"room": room, "title": "bench", "start": f"{day}T{hour:02d}:00", "end": f"{day}T{hour:02d}:30"})
        )
        form_day = far_form[index % len(far_form)]
        form_hour = 8 + (index // len(far_form)) % 10
        form_bodies.append(
            "csrfmiddlewaretoken=benchcsrfbenchcsrfbenchcsrf12345&title=bench"
            f"&date={form_day}&start_time={form_hour:02d}:30&end_time={form_hour + 1:02d}:00"
        )
    form_headers = {**session, "Content-Type": "application/x-www-form-urlencoded", "Referer": base}

    def get(path: str, headers: dict) -> dict:
        return {"method": "GET", "path": path, "headers": headers}

    return {
        name: {"base": base, "seconds": seconds, "concurrency": concurrency, **spec}
        for name, spec in {
            "floor": get("/bench/floor", session),
            "rooms": get("/rooms/", session),
            "room": get(f"/rooms/{data['room']}/", session),
            "timeline": get(f"/timeline/?day={tomorrow}", session),
            "finder": get(f"/rooms/find/?date={tomorrow}&start_time=10:00&end_time=11:00&people=6", session),
            "my_bookings": get("/bookings/", session),
            "events": get("/events/", session),
            "event": get(f"/events/{data['event']}/", session),
            "api_rooms": get("/api/rooms/", api),
            "api_book": {"method": "POST", "path": "/api/bookings/", "headers": api, "bodies": api_bodies},
            "html_book": {
                "method": "POST",
                "path": f"/rooms/{data['room']}/book/",
                "headers": form_headers,
                "bodies": form_bodies,
            },
        }.items()
    }


def measure(
    database_url: str,
    port: int,
    seconds: float,
    concurrency: int,
    workers: int,
    extra_env: dict[str, str] | None = None,
    only: list[str] | None = None,
) -> tuple[dict, float]:
    env = env_for(database_url, extra_env)
    data = prepare(env)
    server = start_server(env, port, workers)
    results = {}
    try:
        for name, spec in specs(data, f"http://127.0.0.1:{port}", seconds, concurrency).items():
            if only and name not in only:
                continue
            done = subprocess.run(
                [PYTHON, str(ROOT / "bench" / "loadgen.py")],
                input=json.dumps(spec),
                capture_output=True,
                text=True,
                check=True,
            )
            results[name] = json.loads(done.stdout)
            row = results[name]
            print(
                f"  {name:12} {row['rps']:8.1f} req/s  median {row['median_ms']:7.1f} ms  {row['statuses']}", flush=True
            )
            if "sample_error" in row:
                print(f"    e.g. {row['sample_error'][:200]}", flush=True)
        memory = worker_peak_mb(server)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return results, memory


def table(results: dict, memory: float, demo: dict | None) -> str:
    floor = results["floor"]["rps"]
    lines = [
        "| operation | req/s | share of floor | median ms | p99 ms | SQL queries | median vs demo |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, label, _method in OPERATIONS:
        if name not in results:
            continue
        row = results[name]
        ratio = f"{row['median_ms'] / demo[name]['median_ms']:.2f}x" if demo and demo[name]["median_ms"] else "–"
        share = row["rps"] / floor * 100
        lines.append(
            f"| {label} | {row['rps']:.1f} | {share:.0f}% | {row['median_ms']:.1f} | {row['p99_ms']:.1f} "
            f"| {row['queries']:.0f} | {ratio} |"
        )
    lines.append(f"\nPeak memory of a gunicorn worker: {memory:.0f} MB.")
    return "\n".join(lines)


API_READS = ["api_rooms"]
CREATES = ["api_book", "html_book"]


def targets(office: dict, demo: dict, memory: float) -> str:
    """The issue's targets, each checked against this run."""
    floor = office["floor"]["rps"]

    def share(names: list[str]) -> float:
        return min(office[name]["rps"] / floor for name in names) * 100

    ratios = {name: office[name]["median_ms"] / demo[name]["median_ms"] for name, _label, _m in OPERATIONS[1:]}
    worst = max(ratios, key=ratios.get)
    labels = {name: label for name, label, _method in OPERATIONS}
    rows = [
        ("read pages ≥ 25% of the floor's req/s", share(READ_PAGES) >= 25, f"lowest {share(READ_PAGES):.0f}%"),
        ("API reads ≥ 50% of the floor", share(API_READS) >= 50, f"{share(API_READS):.0f}%"),
        ("booking creation ≥ 15% of the floor", share(CREATES) >= 15, f"lowest {share(CREATES):.0f}%"),
        (
            "median at office scale ≤ 1.5x demo",
            ratios[worst] <= 1.5,
            f"highest {ratios[worst]:.2f}x ({labels[worst]})",
        ),
        ("no worker above 150 MB", memory <= 150, f"{memory:.0f} MB"),
    ]
    lines = ["| target | result |", "| --- | --- |"]
    lines += [f"| {name} | {'met' if ok else '**not met**'}: {value} |" for name, ok, value in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sqlite", action="store_true", help="SQLite files instead of PostgreSQL")
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--write", default="")
    args = parser.parse_args()
    office_url, demo_url = urls(args.sqlite)
    write = Path(args.write or ROOT / "docs" / ("benchmark-sqlite.md" if args.sqlite else "benchmark.md"))
    run = (args.seconds, args.concurrency, args.workers)
    uncached = {"FRAGMENT_CACHE_SECONDS": "0"}
    print("== demo data", flush=True)
    demo, demo_memory = measure(demo_url, 8771, *run)
    print("== office scale", flush=True)
    office, office_memory = measure(office_url, 8772, *run)
    print("== demo data, without the fragment cache", flush=True)
    demo_cold, _memory = measure(demo_url, 8773, *run, extra_env=uncached, only=["floor", *READ_PAGES])
    print("== office scale, without the fragment cache", flush=True)
    office_cold, cold_memory = measure(office_url, 8774, *run, extra_env=uncached, only=["floor", *READ_PAGES])
    office_table = table(office, max(office_memory, cold_memory), demo)
    print("\n" + office_table)
    machine = f"{platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}"
    database = "SQLite files" if args.sqlite else "PostgreSQL on the same machine"
    write.parent.mkdir(exist_ok=True)
    write.write_text(
        "# Benchmark\n\n"
        f"Made by `make bench{' BENCH_ARGS=--sqlite' if args.sqlite else ''}` on {time.strftime('%Y-%m-%d')}, "
        f"{machine}; gunicorn with {args.workers} sync workers, {args.concurrency} concurrent clients per "
        f"operation for {args.seconds:.0f} s, {database}. {data_summary(office_url)}\n\n"
        "## Targets\n\n" + targets(office, demo, max(office_memory, cold_memory)) + "\n\n" + NOTES + "\n"
        "## Office scale\n\n" + office_table + "\n\n"
        "## Demo data\n\n" + table(demo, demo_memory, None) + "\n\n"
        "## Office scale without the fragment cache\n\n"
        "Every read page rendered in full on every request (`FRAGMENT_CACHE_SECONDS=0`): the cost of a miss, "
        "which the first viewer after a change pays.\n\n" + table(office_cold, cold_memory, demo_cold) + "\n"
    )
    print(f"\nWritten to {write}")


NOTES = """\
The read pages keep their rendered main part in a shared cache (`booking_site/fragments.py`)
that any change to rooms, bookings, events, registrations or people replaces at
once, so the first two tables measure a page as people see it when nothing has
changed since the last view; the event page, which shows each person their own
buttons and forms, is always rendered in full. The last table turns the cache off and shows what a
miss costs (the first view after a change): there, the room list, the timeline,
the finder, my bookings and the event list show more rows on the office data
than on the demo data, and Django template rendering of those rows, not SQL, is
most of the time (every search for bookings is an index range scan; see
`BookingQuerySet.touching`).
"""

SUMMARY = r"""
from accounts.models import User
from events.models import Event, Invitation, Registration
from rooms.models import Booking, Room
print(f"{Room.objects.count():,} rooms, {User.objects.count():,} people, {Booking.objects.count():,} bookings, "
      f"{Event.objects.count():,} events, {Registration.objects.count() + Invitation.objects.count():,} "
      "registrations and invitations")
"""


def data_summary(database_url: str) -> str:
    counts = manage(env_for(database_url), "shell", "-c", SUMMARY).strip().splitlines()[-1]
    return f"Office data: {counts}."


if __name__ == "__main__":
    main()
