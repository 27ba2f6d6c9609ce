"""`make bench`: the site under gunicorn against PostgreSQL (or SQLite with
--sqlite), driven from a separate load-generator process (bench/loadgen.py) on
loopback, with nothing cached.

1. The floor: a minimal Django project (bench/floor_project: one view, no
   middleware, no database) under the same gunicorn settings.
2. Each data set (demo, then office scale): every operation alone, at
   --concurrency clients for --seconds.
3. Office scale: a person's calendar feed in full and answered 304, and an
   organizer moving an event with 300 people registered and with 1.
4. Office scale: a mixed workload of many people, 90% reads and 10% writes, at
   8 and 32 clients for --mix-seconds each.

Every row reports the server's CPU time per request (bench/cpu.py), besides
req/s, median and p99 latency and SQL queries. The targets are checked here and
everything is written to docs/benchmark.md (docs/benchmark-sqlite.md with
--sqlite).
"""

import argparse
import json
import math
import os
import platform
import random
import re
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import urllib.request
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import cpu
from prepare import urls

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PYTHON = sys.executable
GUNICORN = str(Path(PYTHON).with_name("gunicorn"))
SECRET = "bench-secret-key-long-enough-for-production-settings-0123456789abcdef"
CSRF = "benchcsrfbenchcsrfbenchcsrf12345"
PLACEHOLDER = "(filled in by hand)"
CHANGES_HEADING = "## What was changed to get there"

# name, label; the floor comes first, then what the site serves.
FLOOR = ("floor", "minimal Django (floor)")
OPERATIONS = [
    ("floor_mw", "middleware-only view"),
    ("rooms", "room list"),
    ("room", "room page"),
    ("timeline", "day timeline"),
    ("finder", "free-room finder"),
    ("my_bookings", "my bookings"),
    ("events", "event list"),
    ("event", "event page"),
    ("api_rooms", "API room list"),
    ("api_bookings", "API my bookings"),
    ("api_events", "API event list"),
    ("api_book", "API booking create"),
    ("html_book", "HTML booking create"),
    ("api_change", "API booking change (PATCH)"),
    ("api_cancel", "API booking cancel"),
    ("api_register", "API event registration"),
    ("report", "usage report, 3 years of a room with 20,000 bookings"),
]
MAIL_ROWS = [
    ("api_book_inline", "API booking create, mail sent in the request (TASK_BACKEND=immediate, as before)"),
    ("html_book_inline", "HTML booking create, mail sent in the request (TASK_BACKEND=immediate, as before)"),
]
# Office scale only: a calendar app polling a person's feed, and an organizer moving an event.
CALENDAR_ROWS = [
    ("feed_written", "feed, written anew (in process: a new version's first answer)"),
    ("feed_full", "feed, full (a version already written)"),
    ("feed_304", "feed, 304 (If-None-Match: the ETag of a first request)"),
    ("move_1", "event move, 1 attendee"),
    ("move_300", "event move, 300 attendees"),
]
# Each calendar row compared with: the 304 with the full feed, the big move with the small one.
CALENDAR_BASE = {"feed_full": "feed_written", "feed_304": "feed_written", "move_300": "move_1"}
LABELS = dict([FLOOR, *OPERATIONS, *MAIL_ROWS, *CALENDAR_ROWS])
WRITES = ["api_book", "html_book", "api_change", "api_cancel", "api_register"]

# Server CPU per request at office scale, nothing cached: (operation, limit in ms).
CPU_TARGETS = [
    ("floor_mw", 1.5),
    ("timeline", 15),
    ("finder", 15),
    ("my_bookings", 12),
    ("rooms", 12),
    ("events", 12),
    ("room", 12),
    ("event", 10),
    ("api_rooms", 3),
    ("api_book", 8),
]
MEDIAN_RATIO = 1.5
WRITE_P99_RATIO = 3
MEMORY_MB = 150
MIN_SAMPLES = 20  # fewer requests than this in a row make its median too rough to compare

# The mix: weights per kind, 90 for reads and 10 for writes.
MIX_WEIGHTS = {
    "rooms": 9,
    "room": 12,
    "timeline": 12,
    "finder": 10,
    "my_bookings": 10,
    "events": 9,
    "event": 12,
    "api_rooms": 6,
    "api_bookings": 5,
    "api_events": 5,
    "api_book": 3,
    "html_book": 2,
    "api_change": 2,
    "api_cancel": 1.5,
    "api_register": 1.5,
}
MIX_PEOPLE = 200
TIMELINE_DAYS = 29  # a week back, three weeks ahead
MIX_TOKENS = 100


def env_for(database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "booking_site.settings",
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
        # The API's rate limits stay on (their cost is measured) but far above the load.
        "API_RATE_PER_TOKEN": "100000000/min",
        "API_RATE_PER_ADDRESS": "100000000/min",
        # Every page cold: no fragment cache now, and harmless once it is gone.
        "FRAGMENT_CACHE_SECONDS": "0",
    }


def fixtures(env: dict[str, str], options: dict[str, Any]) -> dict[str, Any]:
    done = subprocess.run(
        [PYTHON, str(BENCH / "fixtures.py")],
        cwd=ROOT,
        env={**env, "BENCH_FIXTURES": json.dumps(options)},
        capture_output=True,
        text=True,
    )
    if done.returncode:
        sys.stderr.write(done.stderr)
        raise RuntimeError("bench/fixtures.py failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


class Days:
    """Hands out far-future day ranges, one per write load, so that no two creates of a run share a
    (room, day) pair. A random start keeps runs apart as well."""

    def __init__(self, today: date) -> None:
        self.cursor = today + timedelta(days=random.randint(400, 2400))

    def first(self) -> str:
        return self.cursor.isoformat()

    def skip_to(self, day: str) -> None:
        self.cursor = max(self.cursor, date.fromisoformat(day))

    def take(self, rooms: list[int], creates: int) -> dict[str, Any]:
        days = max(1, math.ceil(creates / len(rooms)))
        first = self.cursor
        self.cursor += timedelta(days=days)
        return {"rooms": rooms, "first_day": first.isoformat(), "days": days}


class Server:
    """gunicorn with the given app, sync workers, as the site is deployed."""

    def __init__(self, app: str, env: dict[str, str], cwd: Path, port: int, workers: int, health: str) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.log = tempfile.NamedTemporaryFile(prefix="bench-gunicorn-", suffix=".log", delete=False)  # noqa: SIM115
        command = [GUNICORN, app, "--bind", f"127.0.0.1:{port}", "--workers", str(workers)]
        command += ["--worker-class", "sync", "--timeout", "120"]
        self.process = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )
        self.peak_mb = 0.0
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                with urllib.request.urlopen(self.base + health, timeout=5):
                    return
            except OSError:
                time.sleep(0.3)
        tail = Path(self.log.name).read_text(errors="replace")[-3000:]
        self.stop()
        raise RuntimeError(f"gunicorn ({app}) did not start:\n{tail}")

    @property
    def pid(self) -> int:
        return self.process.pid

    def note_memory(self) -> None:
        self.peak_mb = max(self.peak_mb, cpu.peak_memory_mb(self.pid))

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)


def database_tracker(database_url: str) -> cpu.Tracker | None:
    """Follows the PostgreSQL backends of the site's database, when PostgreSQL runs on this machine."""
    if not database_url.startswith("postgres"):
        return None
    parts = urlsplit(database_url)
    if parts.hostname not in ("127.0.0.1", "localhost", "::1", None):
        return None
    import psycopg

    with psycopg.connect(database_url) as connection:
        backend, user, name = connection.execute("SELECT pg_backend_pid(), current_user, current_database()").fetchone()
        # While the connection is open: once it closes, the backend may be gone before it is read.
        postmaster = cpu.parent_of(backend)
    if not postmaster or cpu.stat(postmaster) is None:
        return None
    return cpu.Tracker(lambda: cpu.backends(postmaster, f" {user} {name} "))


def load(spec: dict[str, Any], server: Server, database: cpu.Tracker | None) -> dict[str, Any]:
    """Run one load through bench/loadgen.py; add the server's (and the database's) CPU per request."""
    before = cpu.snapshot(server.pid)
    if database:
        database.start()
    process = subprocess.Popen(
        [PYTHON, str(BENCH / "loadgen.py")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    output: list[tuple[str, str]] = []
    talk = threading.Thread(target=lambda: output.append(process.communicate(json.dumps(spec))))
    talk.start()
    while talk.is_alive():
        if database:
            database.poll()
        talk.join(0.25)
    after = cpu.snapshot(server.pid)
    db_used = database.seconds() if database else None
    stdout, stderr = output[0]
    if process.returncode:
        sys.stderr.write(stderr)
        raise RuntimeError("bench/loadgen.py failed")
    result = json.loads(stdout)
    served = result["requests"]
    used = cpu.seconds_between(before, after)
    result["cpu_ms"] = used * 1000 / served if used is not None and served else None
    result["db_cpu_ms"] = db_used * 1000 / served if db_used is not None and served else None
    server.note_memory()
    return result


def show(name: str, row: dict[str, Any]) -> None:
    if not row["requests"]:
        print(f"  {name:13} nothing to do", flush=True)
        return
    db = f"  db {row['db_cpu_ms']:6.2f}" if row.get("db_cpu_ms") is not None else ""
    print(
        f"  {name:13} {row['rps']:8.1f} req/s  cpu {row['cpu_ms']:6.2f} ms/req{db}  median {row['median_ms']:7.1f}"
        f"  p99 {row['p99_ms']:7.1f} ms  {answers(merged_statuses(row))}",
        flush=True,
    )
    for kind, error in row.get("errors", {}).items():
        print(f"    {kind}: e.g. {error[:200]!r}", flush=True)


# -- what each operation asks ---------------------------------------------------------


def read_paths(data: dict[str, Any]) -> dict[str, tuple[str, list[str]]]:
    """Per read operation: (auth, paths) for the single-operation rows: one person, fixed targets."""
    single = data["single"]
    tomorrow = (date.fromisoformat(data["today"]) + timedelta(days=1)).isoformat()
    return {
        "floor_mw": ("session", ["/bench/floor"]),
        "rooms": ("session", ["/rooms/"]),
        "room": ("session", [f"/rooms/{single['room']}/"]),
        "timeline": ("session", [f"/timeline/?day={tomorrow}"]),
        "finder": ("session", [f"/rooms/find/?date={tomorrow}&start_time=10:00&end_time=11:00&people=6"]),
        "my_bookings": ("session", ["/bookings/"]),
        "events": ("session", ["/events/"]),
        "event": ("session", [f"/events/{single['event']}/"]),
        "api_rooms": ("token", ["/api/rooms/"]),
        "api_bookings": ("token", ["/api/bookings/"]),
        "api_events": ("token", ["/api/events/"]),
        "report": (
            "session",
            [
                f"/reports/usage/?start={date.fromisoformat(data['today']).replace(day=1) - timedelta(days=3 * 365)}"
                f"&end={data['today']}&rooms={single['report_room']}"
            ],
        ),
    }


def mix_paths(data: dict[str, Any]) -> dict[str, tuple[str, list[str]]]:
    """Per read operation: (auth, paths) for the mix: many rooms, days, searches and events."""
    today = date.fromisoformat(data["today"])
    mix = data["mix"]
    days = [(today + timedelta(days=offset)).isoformat() for offset in range(-7, TIMELINE_DAYS - 7)]
    searches = [
        f"/rooms/find/?date={day}&start_time={hour:02d}:00&end_time={hour + length:02d}:00&people={people}"
        for day in days[7:22]
        for hour in (9, 11, 14, 16)
        for length in (1, 2)
        for people in (2, 6, 12)
    ]
    paths = read_paths(data)
    paths.update(
        {
            "room": ("session", [f"/rooms/{room}/" for room in mix["rooms"]]),
            "timeline": ("session", [f"/timeline/?day={day}" for day in days]),
            "finder": ("session", searches),
            "event": ("session", [f"/events/{event}/" for event in mix["events"]]),
        }
    )
    return paths


def spec(
    base: str,
    kinds: list[dict[str, Any]],
    users: list[dict[str, Any]],
    seconds: float,
    concurrency: int,
    slots: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "base": base,
        "kinds": kinds,
        "users": users,
        "seconds": seconds,
        "concurrency": concurrency,
        "csrf": CSRF,
        "slots": slots,
        "seed": random.randrange(1 << 30),
        **extra,
    }


def kind(name: str, paths: dict[str, tuple[str, list[str]]], weight: float = 1) -> dict[str, Any]:
    if name in WRITES:
        return {"name": name, "action": name, "weight": weight}
    auth, urls_ = paths[name]
    return {"name": name, "auth": auth, "paths": urls_, "weight": weight}


def fetch(base: str, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(base + path, headers=headers or {})
    with urllib.request.urlopen(request, timeout=120) as response:
        return response.status, dict(response.headers), response.read()


def event_sequence(base: str, event: int, session: str) -> int:
    """The SEQUENCE of an event's .ics as its organizer downloads it: raised by every real move."""
    _status, _headers, body = fetch(base, f"/events/{event}/event.ics", {"Cookie": f"sessionid={session}"})
    found = re.search(rb"^SEQUENCE:(\d+)", body, re.M)
    if not found:
        raise RuntimeError(f"event {event}: no SEQUENCE in its .ics")
    return int(found.group(1))


WRITE_FEED = """
import time
from accounts.models import User
from booking_site import ical
person = User.objects.get(calendar_token={token!r})
ical.user_feed(person)
started = time.process_time()
for _ in range({times}):
    ical.user_feed(person)
print((time.process_time() - started) / {times} * 1000)
"""


def feed_written(env: dict[str, str], feed: str, times: int = 10) -> dict[str, Any]:
    """The CPU of writing the person's feed, which a calendar app's request pays once
    per version (later answers of that version are the stored file): measured in a
    process of its own, as no steady load can ask for a new version every time."""
    token = feed.rsplit("/", 1)[-1].removesuffix(".ics")
    command = [PYTHON, "manage.py", "shell", "-c", WRITE_FEED.format(token=token, times=times)]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    cpu_ms = float(result.stdout.strip().splitlines()[-1])
    row = {"requests": times, "cpu_ms": cpu_ms, "in_process": True}
    print(f"  {'feed_written':13} in process   cpu {cpu_ms:6.2f} ms per feed written", flush=True)
    return row


def measure_calendars(
    args: argparse.Namespace, server: Server, database: cpu.Tracker | None, calendars: dict[str, Any]
) -> dict[str, Any]:
    """The calendar rows (CALENDAR_ROWS): the person's feed as a calendar app asks for it (no
    session), in full and conditionally; then the organizer moving each event through its page,
    by one client, so that each request moves the event from where the one before left it."""
    rows: dict[str, Any] = {}
    feed = calendars["feed"]
    status, headers, body = fetch(server.base, feed)
    etag = headers.get("ETag")
    if status != 200 or not etag:
        raise RuntimeError(f"the feed answered {status} without an ETag")
    items = body.count(b"BEGIN:VEVENT")
    if items != calendars["feed_items"]:
        raise RuntimeError(f"the feed holds {items} items, the fixture made {calendars['feed_items']}")
    nobody = [{"session": "-"}]
    feeds = {
        "feed_full": {"name": "feed_full", "auth": "none", "paths": [feed]},
        "feed_304": {"name": "feed_304", "auth": "none", "paths": [feed], "headers": {"If-None-Match": etag}},
    }
    load(spec(server.base, list(feeds.values()), nobody, 30, 2, max_requests=10), server, database)  # warm up
    for name, feed_kind in feeds.items():
        row = load(spec(server.base, [feed_kind], nobody, args.seconds, args.concurrency), server, database)
        expected = "304" if name == "feed_304" else "200"
        statuses = merged_statuses(row)
        if not row["requests"] or set(statuses) != {expected}:
            raise RuntimeError(f"{LABELS[name]}: answered {answers(statuses)}, every answer should be {expected}")
        rows[name] = row
        show(name, row)
    organizer = [{"session": calendars["organizer_session"]}]
    for move in sorted(calendars["moves"], key=lambda move: move["audience"]):
        name = f"move_{move['audience']}"
        if name not in LABELS:
            raise RuntimeError(f"an event with {move['audience']} people registered has no row")
        move_kind = {"name": name, "action": "event_move", **{key: move[key] for key in ("event", "title", "day")}}
        move_kind["times"] = move["times"]
        # An even number of warm-up moves leaves the event where the fixture found it.
        load(spec(server.base, [move_kind], organizer, 30, 1, max_requests=4), server, database)
        before = event_sequence(server.base, move["event"], calendars["organizer_session"])
        row = load(spec(server.base, [move_kind], organizer, args.seconds, 1), server, database)
        moved = event_sequence(server.base, move["event"], calendars["organizer_session"]) - before
        statuses = merged_statuses(row)
        if not row["requests"] or set(statuses) != {"302"} or moved != row["requests"]:
            raise RuntimeError(
                f"{LABELS[name]}: answered {answers(statuses)} and moved the event {moved} times; "
                "every request should move it and answer 302"
            )
        rows[name] = row
        show(name, row)
    return rows


# -- one data set ------------------------------------------------------------------------


def measure_floor(args: argparse.Namespace, port: int) -> dict[str, Any]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "floor.settings", "PYTHONPATH": str(BENCH / "floor_project")}
    server = Server("floor.wsgi:application", env, BENCH / "floor_project", port, args.workers, "/")
    try:
        floor = {"name": "floor", "auth": "session", "paths": ["/"]}
        users = [{"session": "-"}]
        load(spec(server.base, [floor], users, 2, 2, max_requests=200), server, None)  # warm up
        row = load(spec(server.base, [floor], users, args.seconds, args.concurrency), server, None)
        show("floor", row)
        return row
    finally:
        server.stop()


def measure_site(
    args: argparse.Namespace, database_url: str, port: int, days: Days, mix: bool
) -> tuple[dict[str, Any], dict[int, dict[str, Any]], dict[str, Any], float]:
    env = env_for(database_url)
    creates = int(args.seconds * 400) + 100  # more than two sync workers can make
    options: dict[str, Any] = {"register_events": 1500}
    if mix:
        options.update(
            people=MIX_PEOPLE,
            tokens=MIX_TOKENS,
            events_per_person=40,
            bookings_per_person=2,
            first_day=days.first(),
            calendars=True,
        )
    data = fixtures(env, options)
    if mix:
        days.skip_to(data["mix"]["next_day"])
    server = Server("booking_site.wsgi:application", env, ROOT, port, args.workers, "/healthz")
    database = database_tracker(database_url)
    single = data["single"]
    person = {"session": single["session"], "token": single["token"], "events": single["events"]}
    paths = read_paths(data)
    rows: dict[str, Any] = {}
    mixes: dict[int, dict[str, Any]] = {}
    try:
        warm = [kind(name, paths) for name in paths] + [kind("api_book", paths), kind("html_book", paths)]
        slots = days.take(data["rooms"], 100)
        load(spec(server.base, warm, [dict(person)], 60, 2, slots, max_requests=4 * len(warm)), server, database)
        pool: list = []
        for name, _label in OPERATIONS:
            user = {**person, "bookings": pool}
            if name == "report":
                user = {"session": single["admin_session"]}
            slots = days.take(data["rooms"], creates) if name in ("api_book", "html_book") else None
            one = spec(server.base, [kind(name, paths)], [user], args.seconds, args.concurrency, slots)
            row = load(one, server, database)
            if name == "api_book":
                pool = row["users"][0]["bookings"]  # for the change and the cancel rows
            rows[name] = row
            show(name, row)
        if mix:
            # With the task engine the rows above use: a move's mails are one outbox row in the request.
            rows.update(measure_calendars(args, server, database, data["calendars"]))
            rows["feed_written"] = feed_written(env, data["calendars"]["feed"])
            # The same creates with the mail written and sent inside the request, as before the task engine.
            server.stop()
            server = Server(
                "booking_site.wsgi:application",
                {**env, "TASK_BACKEND": "immediate"},
                ROOT,
                port,
                args.workers,
                "/healthz",
            )
            for name in ("api_book", "html_book"):
                slots = days.take(data["rooms"], creates)
                one = spec(
                    server.base, [kind(name, paths)], [dict(person, bookings=[])], args.seconds, args.concurrency, slots
                )
                rows[f"{name}_inline"] = load(one, server, database)
                show(f"{name}_inline", rows[f"{name}_inline"])
            server.stop()
            server = Server("booking_site.wsgi:application", env, ROOT, port, args.workers, "/healthz")
            mixed = mix_paths(data)
            kinds = [kind(name, mixed, weight) for name, weight in MIX_WEIGHTS.items()]
            users = data["mix"]["users"]
            for clients in args.mix_clients:
                slots = days.take(data["rooms"], int(args.mix_seconds * 40) + 50)
                row = load(
                    spec(server.base, kinds, users, args.mix_seconds, clients, slots, fallback=True), server, database
                )
                # Carry what is left of each person's bookings and events into the next mix.
                for user, left in zip((user for user in users if user.get("token")), row["users"], strict=True):
                    user.update(left)
                # The same writes alone, by as many clients: what the mix adds to them.
                write_kinds = [kind(name, mixed, weight) for name, weight in MIX_WEIGHTS.items() if name in WRITES]
                slots = days.take(data["rooms"], int(args.mix_seconds / 2 * 400) + 50)
                alone = load(
                    spec(server.base, write_kinds, users, args.mix_seconds / 2, clients, slots, fallback=True),
                    server,
                    database,
                )
                for user, left in zip((user for user in users if user.get("token")), alone["users"], strict=True):
                    user.update(left)
                row["writes_alone"] = alone
                mixes[clients] = row
                show(f"mix {clients}", row)
                show(f"writes {clients}", alone)
    finally:
        server.stop()
    return rows, mixes, data, server.peak_mb


# -- the report ---------------------------------------------------------------------------


def ms(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.2f}" if value < 10 else f"{value:.1f}"


def merged_statuses(row: dict[str, Any]) -> dict[str, int]:
    merged: dict[str, int] = {}
    for kind_row in row.get("kinds", {}).values():
        for status, count in kind_row["statuses"].items():
            merged[status] = merged.get(status, 0) + count
    return merged


def answers(statuses: dict[str, int]) -> str:
    return " ".join(f"{status}×{count}" for status, count in sorted(statuses.items()))


def queries(row: dict[str, Any]) -> str:
    counts = [kind_row["queries"] for kind_row in row["kinds"].values() if kind_row.get("queries") is not None]
    return f"{counts[0]:.0f}" if counts else "–"


def operations_table(rows: dict[str, Any], demo: dict[str, Any] | None, db: bool, floor: dict | None) -> str:
    head = ["operation", "req/s", "CPU ms/req"] + (["DB CPU ms/req"] if db else [])
    head += ["median ms", "p99 ms", "SQL queries"] + (["median vs demo", "CPU vs demo"] if demo else [])
    head.append("answers")
    lines = ["| " + " | ".join(head) + " |", "| --- |" + " ---: |" * (len(head) - 2) + " --- |"]
    named = ([("floor", floor)] if floor else []) + [(name, rows.get(name)) for name, _label in OPERATIONS]
    for name, row in named:
        if row is None:
            continue
        if not row["requests"]:
            lines.append("| " + " | ".join([LABELS[name], *["–"] * (len(head) - 2), "nothing to act on"]) + " |")
            continue
        cells = [LABELS[name], f"{row['rps']:.1f}", ms(row["cpu_ms"])] + ([ms(row.get("db_cpu_ms"))] if db else [])
        cells += [f"{row['median_ms']:.1f}", f"{row['p99_ms']:.1f}", queries(row)]
        if demo:
            other = demo.get(name) or {}
            for key in ("median_ms", "cpu_ms"):
                usable = other.get("requests") and other.get(key) and row.get(key)
                cells.append(f"{row[key] / other[key]:.2f}x" if usable else "–")
        cells.append(answers(merged_statuses(row)))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def mail_table(rows: dict[str, Any]) -> str:
    head = ["booking create", "CPU ms/req", "median ms", "p99 ms", "SQL queries", "answers"]
    lines = ["| " + " | ".join(head) + " |", "| --- |" + " ---: |" * (len(head) - 2) + " --- |"]
    for name in ("api_book", "api_book_inline", "html_book", "html_book_inline"):
        row = rows.get(name)
        if not row or not row["requests"]:
            continue
        cells = [LABELS[name], ms(row["cpu_ms"]), f"{row['median_ms']:.1f}", f"{row['p99_ms']:.1f}", queries(row)]
        lines.append("| " + " | ".join([*cells, answers(merged_statuses(row))]) + " |")
    return "\n".join(lines)


def calendar_table(rows: dict[str, Any], db: bool) -> str:
    head = ["operation", "req/s", "CPU ms/req"] + (["DB CPU ms/req"] if db else [])
    head += ["median ms", "p99 ms", "SQL queries", "CPU vs", "answers"]
    lines = ["| " + " | ".join(head) + " |", "| --- |" + " ---: |" * (len(head) - 3) + " --- | --- |"]
    for name, label in CALENDAR_ROWS:
        row = rows.get(name)
        if not row or not row["requests"]:
            continue
        if row.get("in_process"):
            cells = [label, "–", ms(row["cpu_ms"])] + (["–"] if db else []) + ["–", "–", "–"]
            lines.append("| " + " | ".join([*cells, "–", "–"]) + " |")
            continue
        cells = [label, f"{row['rps']:.1f}", ms(row["cpu_ms"])] + ([ms(row.get("db_cpu_ms"))] if db else [])
        cells += [f"{row['median_ms']:.1f}", f"{row['p99_ms']:.1f}", queries(row)]
        base = rows.get(CALENDAR_BASE.get(name, ""))
        usable = base and base.get("cpu_ms") and row.get("cpu_ms")
        cells.append(f"{row['cpu_ms'] / base['cpu_ms']:.2f}x ({LABELS[CALENDAR_BASE[name]]})" if usable else "–")
        lines.append("| " + " | ".join([*cells, answers(merged_statuses(row))]) + " |")
    return "\n".join(lines)


def cpu_ratio(rows: dict[str, Any], name: str) -> float | None:
    """A calendar row's CPU per request over that of the row it is compared with."""
    row, base = rows.get(name) or {}, rows.get(CALENDAR_BASE[name]) or {}
    if not row.get("cpu_ms") or not base.get("cpu_ms"):
        return None
    return row["cpu_ms"] / base["cpu_ms"]


def calendar_text(rows: dict[str, Any], data: dict[str, Any]) -> str:
    calendars = data.get("calendars")
    if not calendars or not {"feed_full", "feed_304", "move_1", "move_300"} <= set(rows):
        return "(not run)"
    full, conditional, small, big = (rows[name] for name in ("feed_full", "feed_304", "move_1", "move_300"))
    items = calendars["feed_items"]
    least, most = sorted(move["audience"] for move in calendars["moves"])
    feed_ratio, move_ratio = cpu_ratio(rows, "feed_304"), cpu_ratio(rows, "move_300")
    written = rows.get("feed_written") or {}
    database_side = ""
    if full.get("db_cpu_ms") is not None and conditional.get("db_cpu_ms") is not None:
        database_side = (
            f" The database spends {ms(conditional['db_cpu_ms'])} ms of its CPU per 304 and "
            f"{ms(full['db_cpu_ms'])} per full answer: the version's queries use the person's indexes "
            "(their registrations, bookings, invitations and the events they organize), whatever the size of "
            "the office."
        )
    per_item = (
        f", about {written['cpu_ms'] / items:.2f} ms per item, almost all of it in building the file and folding "
        "its lines with `icalendar`"
        if written.get("cpu_ms")
        else ""
    )
    stored = (
        f"{full['cpu_ms'] / written['cpu_ms']:.1%} of writing it"
        if written.get("cpu_ms") and full.get("cpu_ms")
        else ""
    )
    return "\n\n".join(
        [
            paragraph(
                "A calendar app polls a person's feed (`/calendar/<token>.ics`) every few minutes, without a "
                f"session. The person here has {items} items in it: bookings over the coming months (in a closed "
                "room, so no page lists them) and registrations, all from the feed's 90 days back on. Writing "
                f"the feed costs {ms(written.get('cpu_ms'))} ms of CPU{per_item}; the first request for a new "
                "version (after a change that concerns the person) pays that once, measured *in process* because no "
                "steady load can ask for a new version every time. *Feed, full* asks without a condition for a "
                "version already written: the answer is the stored file (`events.FeedState`), "
                f"{ms(full['cpu_ms'])} ms in {queries(full)} queries{', ' + stored if stored else ''}. *Feed, 304* "
                "sends `If-None-Match` with the ETag of a first request, as a polling app does; every answer must "
                "be 304 (the run stops otherwise). It reads the person, works out the feed's version (four small "
                f"queries) and when it was first served ({queries(conditional)} queries in all) and writes nothing: "
                + (f"{feed_ratio:.1%} of writing the feed." if feed_ratio else "its CPU is not known.")
                + database_side
            ),
            paragraph(
                "The move rows are an organizer moving an event through its page (`POST /events/<pk>/edit/`, "
                "answered 302) between two times of its day, one request after another by one client, so that each "
                "request really moves it: the event's SEQUENCE must rise by one per request (the run checks it). "
                f"One event has {most} people registered, the other {least}. The task engine is the one the rows "
                "above use: the request records one outbox row for everyone (and a task row that hands it to a "
                "worker; none runs here), and a worker writes the mails, one per person, later. The move with "
                f"{most} people costs "
                + (f"{move_ratio:.2f}x the CPU of the move with {least}" if move_ratio else "an unknown CPU")
                + f", in {queries(big)} queries against {queries(small)}. The page is used rather than the API's "
                "`PATCH /api/events/<pk>/` because the API answers with the event's details, which list everyone "
                "registered: that answer, not the mail, grows with the audience."
            ),
        ]
    )


def write_ratio(mix: dict[str, Any]) -> float:
    """The writes' p99 within the mix over their p99 when they run alone, by as many clients."""
    return mix["classes"]["write"]["p99_ms"] / mix["writes_alone"]["classes"]["write"]["p99_ms"]


def mix_tables(mixes: dict[int, dict[str, Any]], alone: dict[str, Any], db: bool) -> str:
    head = ["clients", "req/s", "CPU ms/req"] + (["DB CPU ms/req"] if db else [])
    head += ["reads median", "reads p99", "writes median", "writes p99", "writes' p99 vs alone", "write answers"]
    lines = ["| " + " | ".join(head) + " |", "| ---: |" + " ---: |" * (len(head) - 2) + " --- |"]
    for clients, row in mixes.items():
        reads, writes = row["classes"]["read"], row["classes"]["write"]
        write_statuses: dict[str, int] = {}
        for name in WRITES:
            for status, count in row["kinds"].get(name, {}).get("statuses", {}).items():
                write_statuses[status] = write_statuses.get(status, 0) + count
        cells = [str(clients), f"{row['rps']:.1f}", ms(row["cpu_ms"])] + ([ms(row.get("db_cpu_ms"))] if db else [])
        cells += [f"{reads['median_ms']:.1f}", f"{reads['p99_ms']:.1f}"]
        cells += [f"{writes['median_ms']:.1f}", f"{writes['p99_ms']:.1f}"]
        cells += [f"{write_ratio(row):.1f}x", answers(write_statuses)]
        lines.append("| " + " | ".join(cells) + " |")
    clients = list(mixes)
    lines += [
        "",
        "Each operation within the mix (latency in ms):",
        "",
        "| operation | " + " | ".join(f"share @{c} | median @{c} | p99 @{c}" for c in clients) + " | answers |",
        "| --- |" + " ---: | ---: | ---: |" * len(clients) + " --- |",
    ]
    for name, label in OPERATIONS:
        present = [mixes[c]["kinds"].get(name) for c in clients]
        if not any(present):
            continue
        cells = [label]
        statuses: dict[str, int] = {}
        for c, kind_row in zip(clients, present, strict=True):
            if not kind_row:
                cells += ["–", "–", "–"]
                continue
            share = kind_row["requests"] / max(mixes[c]["requests"], 1) * 100
            cells += [f"{share:.1f}%", f"{kind_row['median_ms']:.1f}", f"{kind_row['p99_ms']:.1f}"]
            for status, count in kind_row["statuses"].items():
                statuses[status] = statuses.get(status, 0) + count
        lines.append("| " + " | ".join([*cells, answers(statuses)]) + " |")
    return "\n".join(lines)


def targets_table(
    office: dict[str, Any], demo: dict[str, Any], mixes: dict[int, dict[str, Any]], floor: dict, memory: float
) -> str:
    rows: list[tuple[str, str, str, bool | None]] = []
    for name, limit in CPU_TARGETS:
        value = office[name]["cpu_ms"]
        met = value is not None and value <= limit
        rows.append((f"{LABELS[name]}, CPU per request", f"≤ {limit:g} ms", f"{ms(value)} ms", met))
    ratios = {
        name: office[name]["median_ms"] / demo[name]["median_ms"]
        for name, _label in OPERATIONS
        if name in demo
        and min(office[name]["requests"], demo[name]["requests"]) >= MIN_SAMPLES
        and demo[name]["median_ms"]
    }
    worst = max(ratios, key=ratios.get, default=None)
    rows.append(
        (
            "each page's median, office vs demo",
            f"≤ {MEDIAN_RATIO:g}x",
            f"highest {ratios[worst]:.2f}x ({LABELS[worst]})" if worst else "–",
            worst is not None and ratios[worst] <= MEDIAN_RATIO,
        )
    )
    if mixes:
        ratios = {clients: write_ratio(mix) for clients, mix in sorted(mixes.items())}
        rows.append(
            (
                "writes' p99 under the mix vs alone (same clients)",
                f"≤ {WRITE_P99_RATIO:g}x",
                ", ".join(f"{ratio:.1f}x at {clients}" for clients, ratio in ratios.items()),
                max(ratios.values()) <= WRITE_P99_RATIO,
            )
        )
    rows.append(("peak worker memory", f"≤ {MEMORY_MB} MB", f"{memory:.0f} MB", memory <= MEMORY_MB))
    rows.append(("minimal Django (floor), CPU per request, for comparison", "–", f"{ms(floor['cpu_ms'])} ms", None))
    lines = ["| target | limit | measured | result |", "| --- | ---: | ---: | --- |"]
    for label, limit, value, ok in rows:
        verdict = "–" if ok is None else ("met" if ok else "**not met**")
        lines.append(f"| {label} | {limit} | {value} | {verdict} |")
    return "\n".join(lines)


def kept_changes(path: Path) -> str:
    """The hand-written section of an earlier report, so that rewriting the file keeps it."""
    if not path.exists():
        return PLACEHOLDER
    found = re.search(rf"^{re.escape(CHANGES_HEADING)}[ \t]*\n(.*?)(?=^## |\Z)", path.read_text(), re.M | re.S)
    return found.group(1).strip() if found and found.group(1).strip() else PLACEHOLDER


def paragraph(text: str) -> str:
    return textwrap.fill(" ".join(text.split()), width=110, break_long_words=False, break_on_hyphens=False)


def report(
    args: argparse.Namespace,
    path: Path,
    floor: dict,
    office: dict,
    demo: dict,
    mixes: dict,
    office_data: dict,
    memory: float,
    db: bool,
) -> str:
    machine = f"{platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}"
    database = "SQLite files" if args.sqlite else "PostgreSQL on the same machine"
    data = ", ".join(f"{count:,} {name}" for name, count in office_data["counts"].items())
    mix = office_data.get("mix", {})
    searches = len(mix_paths(office_data)["finder"][1]) if mix else 0
    clients = " and ".join(str(c) for c in args.mix_clients)
    db_note = (
        "**DB CPU ms/req** is the same for the PostgreSQL backends serving the site's database."
        if db
        else "With SQLite the database work happens inside the workers, so their CPU includes it."
    )
    blocks = [
        "# Benchmark",
        paragraph(
            f"Made by `make bench{' BENCH_ARGS=--sqlite' if args.sqlite else ''}` on {time.strftime('%Y-%m-%d')}, "
            f"{machine}; gunicorn with {args.workers} sync workers, {args.concurrency} concurrent clients per "
            f"operation for {args.seconds:g} s, the mix at {clients} clients for {args.mix_seconds:g} s each, "
            f"{database}. Office data: {data}."
        ),
        paragraph(
            "Nothing is cached: the site runs with `FRAGMENT_CACHE_SECONDS=0`, so every page is rendered in full "
            "on every request. **CPU ms/req** is the server's CPU time per request: the user + system time of the "
            "gunicorn workers (`/proc/<pid>/stat` of every child of the master, re-forked ones included) during a "
            "load, divided by the requests it served. It is the steady figure: req/s and latency move with whatever "
            f"else the shared cores do (the load generator and the database run on them too). {db_note}"
        ),
        "## Targets",
        "Server CPU per request at office scale with nothing cached, and the rest as named.",
        targets_table(office, demo, mixes, floor, memory),
        CHANGES_HEADING,
        kept_changes(path),
        "## Office scale",
        paragraph(
            "Each operation alone, by one person (the one with the most bookings) with fixed targets: the room "
            "with the most bookings, tomorrow's timeline and a search for tomorrow, the upcoming event with the "
            "most people. The change and cancel rows act on the bookings the create row made, the registration "
            "row on open events, each once, so they may end before the time is up (the demo data has two events, "
            "which its person may have joined in an earlier run: nothing to act on). *Answers* counts the HTTP "
            "statuses (an HTML booking answers 302 when it is made, 200 when the form comes back with an error). "
            "*CPU vs demo* is the steadier twin of *median vs demo*."
        ),
        operations_table(office, demo, db, floor),
        f"Peak memory of a gunicorn worker: {memory:.0f} MB.",
        paragraph(
            "The minimal Django floor is `bench/floor_project` (one view returning a small response; no "
            "middleware, no apps, no database) under the same gunicorn settings. The middleware-only view is the "
            "site's `/bench/floor` (`booking_site/bench.py`): it does nothing itself but passes every middleware, "
            "so it reads the session and the person."
        ),
        "## Booking creation and its mail",
        paragraph(
            "Every booking owes its holder a mail. The rows above hand it to the task engine (one outbox row and "
            "one task row, both in the booking's transaction; a worker writes and sends it later). The rows "
            "below run the same creates with `TASK_BACKEND=immediate`, so the mail (with its .ics) is written "
            "and sent (console backend) inside the request, as it was before: the cost that left the request."
        ),
        mail_table(office),
        "## Calendar feeds and event moves (office scale)",
        calendar_text(office, office_data),
        calendar_table(office, db),
        "## Mixed workload (office scale)",
        paragraph(
            f"{MIX_PEOPLE} people, each logged in with a session of their own, {MIX_TOKENS} of them also with an "
            "API token. Each request picks a kind by weight, then a person: 90% reads over every page and API read "
            f"(the room list, {len(mix.get('rooms', []))} rooms' pages, the timelines of {TIMELINE_DAYS} days, "
            f"{searches} finder searches, my bookings, the event list, {len(mix.get('events', []))} events' pages, "
            "the API's rooms, bookings and events), 10% writes (booking a room through the API and through the "
            "HTML form, changing and cancelling one's own bookings through the API, registering for events). "
            "Every create gets a free far-future slot of its own. *Writes' p99 vs alone* divides the writes' p99 "
            "in the mix by their p99 when the same writes run alone, by as many clients, right after the mix: "
            "what the reads add to a writer's wait, beyond the queue that so many clients make for two workers."
        ),
        mix_tables(mixes, office, db) if mixes else "(not run)",
        "## Demo data",
        operations_table(demo, None, db, None),
    ]
    return "\n\n".join(blocks) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sqlite", action="store_true", help="SQLite files instead of PostgreSQL")
    parser.add_argument("--seconds", type=float, default=5, help="per operation")
    parser.add_argument("--concurrency", type=int, default=4, help="clients per operation")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--mix-seconds", type=float, default=30)
    parser.add_argument("--mix-clients", type=lambda text: [int(c) for c in text.split(",")], default=[8, 32])
    parser.add_argument("--write", default="", help="where the report goes")
    args = parser.parse_args()
    office_url, demo_url = urls(args.sqlite)
    path = Path(args.write or ROOT / "docs" / ("benchmark-sqlite.md" if args.sqlite else "benchmark.md"))
    started = time.monotonic()
    days = Days(date.today())
    print("== minimal Django floor", flush=True)
    floor = measure_floor(args, 8770)
    print("== demo data", flush=True)
    demo, _mixes, _data, demo_memory = measure_site(args, demo_url, 8771, days, mix=False)
    print("== office scale", flush=True)
    office, mixes, data, office_memory = measure_site(args, office_url, 8772, days, mix=True)
    db = office["floor_mw"].get("db_cpu_ms") is not None
    memory = max(demo_memory, office_memory)
    text = report(args, path, floor, office, demo, mixes, data, memory, db)
    print("\n" + text[text.index("## Targets") : text.index(CHANGES_HEADING)])
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    print(f"Written to {path} in {time.monotonic() - started:.0f} s.")


if __name__ == "__main__":
    main()
